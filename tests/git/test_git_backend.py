"""The Git backend end to end: real commits, checkpoints, restores, time travel.

The real ``git`` binary is the oracle: what we write, ``git fsck``, ``git log`` and
``git status`` must accept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gitworktree import (
    CheckpointError,
    ConflictError,
    InvalidNameError,
    ReadOnlyError,
    UnknownRevisionError,
    mount,
)
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree, FilesTree, ProjectTree, Task, TaskTree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def assert_clean(path: Path) -> None:
    assert git(path, "status", "--porcelain") == ""
    git(path, "fsck", "--strict")


def test_counter_example_over_git_makes_three_commits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for expected in ("0", "1"):
        out = subprocess.run(
            [sys.executable, str(EXAMPLES / "counter.py"), str(data)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert out.stdout.strip() == expected
    assert git_lines(data, "log", "--format=%s") == [
        "Increment counter",
        "Increment counter",
        "Initialize counter.json",
    ]
    assert_clean(data)


def test_every_commit_is_a_git_commit_with_message_author_and_trailers(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    tree.counter.number = 5
    info = tree.commit(
        "Set to five", author="Planner Agent <planner@agents>", trailers={"Agent-Run": "42"}
    )
    assert info is not None
    assert git(tmp_path, "rev-parse", "HEAD").strip() == info.sha
    assert (
        git(tmp_path, "log", "-1", "--format=%an <%ae>").strip() == "Planner Agent <planner@agents>"
    )
    assert (
        git(tmp_path, "log", "-1", "--format=%(trailers:key=Agent-Run,valueonly)").strip() == "42"
    )
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 5}
    assert git_lines(tmp_path, "diff", "--name-only", "HEAD~1", "HEAD") == ["counter.json"]
    assert_clean(tmp_path)


def test_repaired_commits_say_so_in_a_trailer(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path, repair=lambda content, issues, kind: '{"number": 1}')
    tree.counter.number = "one"  # type: ignore[assignment]
    tree.commit("Agent step")
    trailer = git(tmp_path, "log", "-1", "--format=%(trailers:key=Gitworktree-Repaired,valueonly)")
    assert trailer.strip() == "counter.json attempts=1"


def test_generated_message_names_the_changed_paths(tmp_path: Path) -> None:
    tree = mount(TaskTree, tmp_path)
    tree.tasks["a"] = Task(title="A")
    tree.tasks["b"] = Task(title="B")
    info = tree.commit()
    assert info is not None and info.message == "Update 2 files: tasks/a.json, tasks/b.json"
    del tree.tasks["a"]
    assert tree.commit().message == "Remove tasks/a.json"  # type: ignore[union-attr]
    assert git_lines(tmp_path, "ls-files", "tasks") == ["tasks/b.json"]
    assert_clean(tmp_path)


def test_edits_in_the_working_tree_are_picked_up_by_sync(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    (tmp_path / "counter.json").write_text('{"number": 9}\n')
    tree.sync()
    assert tree.counter.number == 9


def test_an_unsynced_edit_on_disk_is_a_conflict_and_is_kept(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    (tmp_path / "counter.json").write_text('{"number": 9}\n')
    tree.counter.number = 1
    with pytest.raises(ConflictError) as caught:
        tree.commit()
    assert caught.value.paths == ("counter.json",)
    assert (tmp_path / "counter.json").read_text() == '{"number": 9}\n'
    assert len(git_lines(tmp_path, "log", "--format=%H")) == 1


def test_two_writers_on_disjoint_artifacts_both_land(tmp_path: Path) -> None:
    first = mount(ProjectTree, tmp_path)
    second = mount(ProjectTree, tmp_path)
    first.app.storage.db.port = 1
    second.app.config.debug = True
    first.commit("first")
    second.commit("second")
    again = mount(ProjectTree, tmp_path)
    assert again.app.storage.db.port == 1 and again.app.config.debug is True
    assert_clean(tmp_path)


def test_two_writers_on_the_same_artifact_never_overwrite_silently(tmp_path: Path) -> None:
    first = mount(CounterTree, tmp_path)
    second = mount(CounterTree, tmp_path)
    first.counter.number = 1
    second.counter.number = 2
    first.commit()
    with pytest.raises(ConflictError):
        second.commit()
    assert mount(CounterTree, tmp_path).counter.number == 1
    second.sync()
    second.counter.number += 10
    second.commit()
    assert mount(CounterTree, tmp_path).counter.number == 11


def test_anchor_directories_are_snapshotted(tmp_path: Path) -> None:
    tree = mount(FilesTree, tmp_path)
    handle = tree.attachments.handle()
    handle.touch("a.txt").write_text("a")
    handle.touch("sub/b.txt").write_text("b")
    info = tree.commit("Add attachments")
    assert info is not None and set(info.paths) == {"attachments/a.txt", "attachments/sub/b.txt"}
    handle.rm("a.txt")
    info = tree.commit("Remove one")
    assert info is not None and info.paths == ("attachments/a.txt",)
    assert git_lines(tmp_path, "ls-files", "attachments") == ["attachments/sub/b.txt"]
    assert_clean(tmp_path)


# --- checkpoints and restore -------------------------------------------------------------


def test_checkpoint_is_a_ref_git_can_read(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    checkpoint = tree.checkpoint("before-step")
    assert checkpoint.ref == "refs/checkpoints/before-step"
    assert git(tmp_path, "rev-parse", "refs/checkpoints/before-step").strip() == checkpoint.sha
    assert git_lines(tmp_path, "log", "--format=%H", "checkpoints/before-step") == [checkpoint.sha]


def test_checkpoint_without_a_name_gets_one(tmp_path: Path) -> None:
    checkpoint = mount(CounterTree, tmp_path).checkpoint()
    assert checkpoint.name.startswith("cp-")
    assert git(tmp_path, "rev-parse", checkpoint.ref).strip() == checkpoint.sha


BAD_NAMES = ["../escape", "a..b", "-rm", "with space", "x.lock", "a@{1}", "tab\there", "a/", "/a"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_invalid_checkpoint_names_are_refused(tmp_path: Path, name: str) -> None:
    tree = mount(CounterTree, tmp_path)
    with pytest.raises(InvalidNameError):
        tree.checkpoint(name)
    assert git(tmp_path, "for-each-ref", "refs/checkpoints") == ""


def test_soft_restore_adds_a_commit_and_resyncs_the_tree(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    checkpoint = tree.checkpoint("zero")
    tree.counter.number = 3
    tree.commit("three")
    info = tree.restore("zero")
    assert tree.counter.number == 0
    assert info.trailers["Gitworktree-Restored-From"] == checkpoint.sha
    assert git_lines(tmp_path, "log", "--format=%s") == [
        "Restore zero", "three", "Initialize counter.json"
    ]  # fmt: skip
    assert json.loads((tmp_path / "counter.json").read_text()) == {"number": 0}
    assert_clean(tmp_path)


def test_hard_restore_moves_the_branch_and_the_reflog_keeps_the_old_tip(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    checkpoint = tree.checkpoint("zero")
    tree.counter.number = 3
    lost = tree.commit("three")
    tree.restore(checkpoint, hard=True)
    assert git(tmp_path, "rev-parse", "HEAD").strip() == checkpoint.sha
    assert lost is not None and lost.sha in git(tmp_path, "reflog", "--format=%H")
    assert tree.counter.number == 0
    assert_clean(tmp_path)


def test_restore_of_some_paths_only(tmp_path: Path) -> None:
    tree = mount(ProjectTree, tmp_path)
    tree.checkpoint("start")
    tree.app.storage.db.port = 1
    tree.app.config.debug = True
    tree.commit()
    tree.restore("start", paths=["app/storage"])
    assert tree.app.storage.db.port == 5432
    assert tree.app.config.debug is True
    assert_clean(tmp_path)


def test_checkpoint_context_manager_restores_on_error(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    with pytest.raises(RuntimeError), tree.checkpoint("guard"):
        tree.counter.number = 7
        tree.commit("bad step")
        raise RuntimeError("the agent went wrong")
    assert tree.counter.number == 0
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 0}


def test_discarded_checkpoint_is_gone(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    tree.checkpoint("tmp").discard()
    assert git(tmp_path, "for-each-ref", "refs/checkpoints") == ""
    with pytest.raises(CheckpointError, match="tmp"):
        tree.restore("tmp")


def test_restore_to_an_unknown_name_is_a_clear_error(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    with pytest.raises((CheckpointError, UnknownRevisionError), match="nope"):
        tree.restore("nope")


# --- time travel ----------------------------------------------------------------------------


def test_mount_at_a_revision_is_read_only_time_travel(tmp_path: Path) -> None:
    tree = mount(ProjectTree, tmp_path)
    tree.checkpoint("v1")
    tree.app.storage.db.host = "v2.example"
    tree.commit()
    old = mount(ProjectTree, tmp_path, rev="checkpoints/v1")
    assert old.app.storage.db.host == "localhost"
    assert mount(ProjectTree, tmp_path, rev="HEAD").app.storage.db.host == "v2.example"
    with pytest.raises(ReadOnlyError):
        old.commit()
    with pytest.raises(ReadOnlyError):
        old.app.storage.db = old.app.storage.db


def test_repo_gives_history(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    tree.counter.number = 1
    tree.commit("one")
    assert [info.message for info in tree.repo.log()] == ["one", "Initialize counter.json"]
    assert tree.repo.log(limit=1)[0].paths == ("counter.json",)


def test_failed_transaction_puts_anchor_files_back(tmp_path: Path) -> None:
    tree = mount(FilesTree, tmp_path)
    handle = tree.attachments.handle()
    handle.touch("kept.txt").write_text("v1")
    tree.commit("add kept")
    with pytest.raises(RuntimeError), tree.transaction("never"):
        handle.object("kept.txt").write_text("v2")
        handle.touch("new.txt").write_text("scratch")
        tree.counter.number = 3
        raise RuntimeError("step failed")
    assert (tmp_path / "attachments" / "kept.txt").read_text() == "v1"
    assert not (tmp_path / "attachments" / "new.txt").exists()
    assert tree.counter.number == 0
    assert_clean(tmp_path)


def test_successful_transaction_is_one_commit(tmp_path: Path) -> None:
    tree = mount(FilesTree, tmp_path)
    with tree.transaction("one step"):
        tree.counter.number = 1
        tree.attachments.handle().touch("log.txt").write_text("did it")
    assert git_lines(tmp_path, "log", "-1", "--format=%s") == ["one step"]
    assert git_lines(tmp_path, "show", "--name-only", "--format=", "HEAD") == [
        "attachments/log.txt",
        "counter.json",
    ]


def test_diff_since_a_checkpoint_matches_git(tmp_path: Path) -> None:
    tree = mount(TaskTree, tmp_path)
    tree.tasks["keep"] = Task(title="k")
    tree.tasks["gone"] = Task(title="g")
    tree.commit()
    tree.checkpoint("base")
    tree.tasks["keep"].done = True
    del tree.tasks["gone"]
    tree.tasks["new"] = Task(title="n")
    tree.commit()
    ours = {
        (change.status[0].upper(), change.path)
        for change in tree.repo.diff("checkpoints/base", "HEAD")
    }
    theirs = {
        tuple(line.split("\t"))
        for line in git_lines(
            tmp_path, "diff", "--no-renames", "--name-status", "checkpoints/base", "HEAD"
        )
    }
    assert ours == theirs
    pointers = {p.pointer for c in tree.repo.diff("checkpoints/base", "HEAD") for p in c.pointers}
    assert "/done" in pointers


def test_a_restore_records_the_agent_that_asked_for_it(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path)
    tree.checkpoint("zero")
    tree.counter.number = 1
    tree.commit()
    tree.restore("zero", author="Guardian Agent <guardian@agents>")
    assert git(tmp_path, "log", "-1", "--format=%an <%ae>").strip() == (
        "Guardian Agent <guardian@agents>"
    )


AGENT = "Planner Agent <planner@agents>"


def test_a_tree_mounted_with_an_author_signs_its_commits(tmp_path: Path) -> None:
    tree = mount(CounterTree, tmp_path, author=AGENT)  # the first commit initializes
    tree.counter.number = 1
    tree.commit("By the tree's author")
    tree.checkpoint("one")
    tree.counter.number = 2
    tree.commit("By someone else", author="Ann <ann@example.com>")
    tree.restore("one")

    assert git_lines(tmp_path, "log", "--format=%an <%ae>|%s") == [
        f"{AGENT}|Restore one",
        "Ann <ann@example.com>|By someone else",
        f"{AGENT}|By the tree's author",
        f"{AGENT}|Initialize counter.json",
    ]
    committer = git(tmp_path, "var", "GIT_COMMITTER_IDENT").split(" <")[0]
    assert set(git_lines(tmp_path, "log", "--format=%cn")) == {committer}  # the machine's


def test_a_malformed_tree_author_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(InvalidNameError, match="Name <email>"):
        mount(CounterTree, tmp_path / "data", author="planner")
    assert not (tmp_path / "data").exists()
