"""The working tree as shared state: outside edits, interrupted checkouts, stale bases."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from gitworktree import ConflictError, mount
from gitworktree.history import Repository
from tests.git.writers import leave_a_killed_writer
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree, Task, TaskTree


def commit_elsewhere(root: Path, changes: dict[str, bytes | None]) -> str:
    """A commit by 'another process' that moved the branch but wrote no files yet."""
    with Repository.open(root) as repository:
        return repository.commit_changes(changes, message="elsewhere", materialize=False).sha


def test_an_interrupted_checkout_is_finished_on_the_next_mount(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mount(CounterTree, tmp_path)
    sha = commit_elsewhere(tmp_path, {"counter.json": b'{\n  "number": 8\n}\n'})
    leave_a_killed_writer(tmp_path / ".git")  # the writer that moved it died before the files
    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        tree = mount(CounterTree, tmp_path)
    assert tree.counter.number == 8
    assert "interrupted checkout" in caplog.text and "counter.json" in caplog.text
    assert git(tmp_path, "rev-parse", "HEAD").strip() == sha  # nothing reverted
    assert git(tmp_path, "status", "--porcelain") == ""
    assert tree.commit() is None


def test_an_outside_edit_of_a_committed_file_is_kept_and_committed_once_adopted(
    tmp_path: Path,
) -> None:
    mount(CounterTree, tmp_path)
    (tmp_path / "counter.json").write_text('{"number": 4}\n')
    tree = mount(CounterTree, tmp_path)
    assert tree.counter.number == 4
    assert tree.commit("Not yet") is None  # someone else's edit: not the program's to sign
    tree.adopt()
    info = tree.commit("Adopt the edit")
    assert info is not None and info.paths == ("counter.json",)
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 4}
    assert git(tmp_path, "status", "--porcelain") == ""


def test_an_outside_edit_that_is_invalid_is_refused_by_the_gate(tmp_path: Path) -> None:
    from gitworktree import SchemaValidationError

    mount(CounterTree, tmp_path)
    (tmp_path / "counter.json").write_text('{"number": "lots"}\n')
    with pytest.raises(SchemaValidationError, match=r"counter\.json"):
        mount(CounterTree, tmp_path)
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 0}


def test_a_declared_artifact_deleted_from_disk_is_restored(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    tree.counter.number = 3
    tree.commit()
    (tmp_path / "counter.json").unlink()
    assert mount(CounterTree, tmp_path).counter.number == 3
    assert git(tmp_path, "status", "--porcelain") == ""


def test_files_present_before_the_first_mount_land_once_adopted(tmp_path: Path) -> None:
    (tmp_path / "counter.json").write_text('{"number": 12}')
    tree = mount(TaskTree, tmp_path)  # tasks/ is new, counter.json was there already
    assert tree.counter.number == 12
    assert git(tmp_path, "rev-parse", "--verify", "-q", "HEAD", check=False) == ""  # no commit
    assert tree.adopt() == ["counter.json"]
    info = tree.commit("First state")
    assert info is not None and info.paths == ("counter.json",)
    # Pydantic artifacts are stored canonically, so the adopted file is rewritten so.
    assert git(tmp_path, "show", "HEAD:counter.json") == '{\n  "number": 12\n}\n'
    assert git(tmp_path, "status", "--porcelain") == ""


def test_a_new_map_item_on_disk_lands_in_the_commit_that_adopts_it(tmp_path: Path) -> None:
    tree = mount(TaskTree, tmp_path)
    (tmp_path / "tasks" / "hand.json").write_text('{"title": "by hand"}')
    again = mount(TaskTree, tmp_path)
    assert git_lines(tmp_path, "log", "--format=%s") == ["Initialize counter.json"]
    again.adopt(["tasks"])
    info = again.commit("Add the hand-written task", author="Ann <ann@example.com>")
    assert info is not None and info.paths == ("tasks/hand.json",)
    assert tree.tasks.get("hand") is None  # the first mount was not re-synced


def test_a_map_item_deleted_on_disk_is_removed_by_the_commit_that_adopts_it(
    tmp_path: Path,
) -> None:
    tree = mount(TaskTree, tmp_path)
    tree.tasks["a"] = Task(title="A")
    tree.commit()
    (tmp_path / "tasks" / "a.json").unlink()
    again = mount(TaskTree, tmp_path)
    assert "a" not in again.tasks
    assert again.adopt(["tasks/a.json"]) == ["tasks/a.json"]
    info = again.commit("Drop a")
    assert info is not None and info.paths == ("tasks/a.json",)
    assert git_lines(tmp_path, "ls-files", "tasks") == []
    assert git(tmp_path, "status", "--porcelain") == ""


def test_a_repair_made_while_loading_is_recorded_when_it_lands(tmp_path: Path) -> None:
    mount(CounterTree, tmp_path)
    (tmp_path / "counter.json").write_text('{"number": "two"}')
    tree = mount(CounterTree, tmp_path, repair=lambda content, issues, kind: '{"number": 2}')
    tree.adopt()  # the invalid file was someone else's: repairing it is the program's call
    info = tree.commit("Land it")
    assert info is not None and info.trailers["Gitworktree-Repaired"] == "counter.json attempts=1"


def test_a_change_built_on_a_replaced_version_is_refused(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    commit_elsewhere(tmp_path, {"counter.json": b'{"number": 100}'})  # disk not yet updated
    tree.counter.number = 1
    with pytest.raises(ConflictError) as caught:
        tree.commit()
    assert caught.value.paths == ("counter.json",)
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 100}


def test_a_change_to_another_file_lands_on_top_of_the_new_tip(tmp_path: Path) -> None:
    tree = mount(TaskTree, tmp_path)
    other = commit_elsewhere(tmp_path, {"notes.txt": b"written elsewhere\n"})
    tree.counter.number = 1
    info = tree.commit()
    assert info is not None and info.parents == (other,)
    assert git(tmp_path, "show", "HEAD:notes.txt") == "written elsewhere\n"
