"""While git's own merge, rebase, cherry-pick or revert is unfinished, nothing commits.

Each situation is built with real git stopped on a conflict in ``journal.txt``; every
commit, restore and pull is refused with the operation named, and leaves HEAD, the
index and the files exactly as they were. ``status`` reports the unmerged path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitworktree import OperationInProgressError, mount
from tests.cli.conftest import invoke
from tests.git.foreign_trees import AGENT, Board, Task, disk_state
from tests.oracle import git

TREE = "tests.git.foreign_trees:Board"


def conflicting_histories(root: Path) -> None:
    """``main`` and ``side`` both changed journal.txt since ``main~1``; on ``main``."""
    tree = mount(Board, root, author=AGENT)
    tree.journal.text = "base\n"
    tree.tasks["t1"] = Task(title="Write the report")
    tree.commit("Base")
    git(root, "checkout", "-q", "-b", "side")
    (root / "journal.txt").write_text("side\n")
    git(root, "commit", "-q", "-am", "Side")
    git(root, "checkout", "-q", "main")
    (root / "journal.txt").write_text("main\n")
    git(root, "commit", "-q", "-am", "Main")


def stop_on_conflict(root: Path, operation: str) -> None:
    conflicting_histories(root)
    command = {
        "merge": ["merge", "side"],
        "rebase": ["rebase", "side"],
        "cherry-pick": ["cherry-pick", "side"],
        "revert": ["revert", "--no-edit", "HEAD~1"],
    }[operation]
    if operation == "revert":  # reverting "Base" conflicts with "Main"'s later change
        git(root, "commit", "-q", "--allow-empty", "-m", "Empty")
        command = ["revert", "--no-edit", "HEAD~2"]
    git(root, *command, check=False)
    assert "journal.txt" in git(root, "diff", "--name-only", "--diff-filter=U")


OPERATIONS = ["merge", "rebase", "cherry-pick", "revert"]


@pytest.fixture(params=OPERATIONS, ids=OPERATIONS)
def stopped(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "board"
    stop_on_conflict(root, request.param)
    return root, str(request.param)


def test_a_commit_is_refused_naming_the_operation_and_writes_nothing(
    stopped: tuple[Path, str],
) -> None:
    root, operation = stopped
    tree = mount(Board, root, author=AGENT)  # journal.txt has the conflict markers
    tree.adopt()  # (a revert in progress has also deleted tasks/t1.json)
    tree.tasks["t9"] = Task(title="Plan the next step")
    before = disk_state(root)
    with pytest.raises(OperationInProgressError) as raised:
        tree.commit("Close t1")
    assert raised.value.operation == operation
    assert raised.value.paths == ("journal.txt",)
    assert f"git {operation} --abort" in str(raised.value)
    assert disk_state(root) == before


def test_status_reports_the_unmerged_path_and_the_operation(stopped: tuple[Path, str]) -> None:
    root, operation = stopped
    tree = mount(Board, root, author=AGENT)
    changes = {change.path: change.status for change in tree.repo.status()}
    assert changes["journal.txt"] == "unmerged"
    assert tree.repo.operation_in_progress() == operation


def test_restore_is_refused_during_a_merge(tmp_path: Path) -> None:
    root = tmp_path / "board"
    stop_on_conflict(root, "merge")
    tree = mount(Board, root, author=AGENT)
    before = disk_state(root)
    with pytest.raises(OperationInProgressError):
        tree.restore("HEAD~1", paths=["tasks"])
    assert disk_state(root) == before


def test_unmerged_paths_alone_refuse_a_commit(tmp_path: Path) -> None:
    root = tmp_path / "board"
    stop_on_conflict(root, "merge")
    (root / ".git" / "MERGE_HEAD").unlink()  # as a killed `git merge` could leave it
    tree = mount(Board, root, author=AGENT)
    tree.tasks["t1"].done = True
    with pytest.raises(OperationInProgressError) as raised:
        tree.commit("Close t1")
    assert raised.value.operation is None
    assert "unmerged" in str(raised.value)


def test_a_commit_lands_once_the_merge_is_aborted(tmp_path: Path) -> None:
    root = tmp_path / "board"
    stop_on_conflict(root, "merge")
    git(root, "merge", "--abort")
    tree = mount(Board, root, author=AGENT)
    tree.tasks["t1"].done = True
    assert tree.commit("Close t1") is not None
    assert git(root, "status", "--porcelain") == ""


def test_the_cli_refuses_to_commit_or_restore_and_reports_unmerged_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "board"
    stop_on_conflict(root, "merge")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # tests.git importable
    before = disk_state(root)
    committed = invoke("-C", root, "commit", "-m", "Try", "--tree", TREE)
    assert committed.exit_code == 1
    assert "a git merge is in progress" in committed.output
    assert "git merge --abort" in committed.output
    restored = invoke("-C", root, "restore", "HEAD~1")
    assert restored.exit_code == 1
    assert "a git merge is in progress" in restored.output
    assert disk_state(root) == before
    status = json.loads(invoke("-C", root, "status", "--json").output)
    assert status["operation"] == "merge"
    assert {"path": "journal.txt", "status": "unmerged"} in status["changes"]
    text = invoke("-C", root, "status").output
    assert "A git merge is in progress" in text
    assert "unmerged:" in text
