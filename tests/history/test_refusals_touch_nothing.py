"""Refused calls leave the repository as they found it, and odd arguments get clear errors.

Found from the outside (the MCP server handing the library what an agent typed):

- a refused checkpoint or restore in a repository gitworktree never wrote to made
  ``.git/gitworktree.lock``: the writer lock was taken before the name was checked;
- a NUL in a commit message or trailer was committed: git refuses one, and ``git log``
  shows the message cut at the NUL, so an auditor never sees the rest;
- ``log(limit=10**30)`` escaped as a raw ``ValueError`` from ``itertools.islice``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from gitworktree import CheckpointError, InvalidNameError, JsonDocument, Repository, Worktree, mount


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def made_by_git(tmp_path: Path) -> Path:
    """A repository with two commits, made by git alone."""
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for number in (1, 2):
        (root / "a.txt").write_text(f"{number}\n")
        _git(root, "add", "a.txt")
        _git(root, "commit", "-q", "-m", f"commit {number}")
    return root


def _control_files(root: Path) -> list[str]:
    git_dir = root / ".git"
    return sorted(
        os.path.relpath(os.path.join(folder, name), git_dir)
        for folder, _dirs, names in os.walk(git_dir)
        for name in names
    )


REFUSALS: list[tuple[str, Callable[[Repository], object], type[Exception]]] = [
    ("create-checkpoint-bad-name", lambda r: r.create_checkpoint("../x"), InvalidNameError),
    ("delete-checkpoint-bad-name", lambda r: r.delete_checkpoint("../x"), InvalidNameError),
    ("delete-unknown-checkpoint", lambda r: r.delete_checkpoint("nope"), CheckpointError),
    ("restore-bad-name", lambda r: r.restore("../x"), InvalidNameError),
    ("restore-unknown-target", lambda r: r.restore("no-such-checkpoint"), CheckpointError),
]


@pytest.mark.parametrize(
    ("call", "error"),
    [pytest.param(call, error, id=name) for name, call, error in REFUSALS],
)
def test_a_refusal_leaves_the_git_directory_as_it_was(
    made_by_git: Path, call: Callable[[Repository], object], error: type[Exception]
) -> None:
    before = _control_files(made_by_git)
    with Repository.open(made_by_git) as repo, pytest.raises(error):
        call(repo)
    assert _control_files(made_by_git) == before
    assert "gitworktree.lock" not in before


@pytest.mark.parametrize(
    ("message", "trailers"),
    [("step\x00hidden", None), ("step", {"Agent-Note": "a\x00b"})],
    ids=["in-the-message", "in-a-trailer"],
)
def test_a_nul_in_a_commit_message_is_refused_and_nothing_lands(
    made_by_git: Path, message: str, trailers: dict[str, str] | None
) -> None:
    head = _git(made_by_git, "rev-parse", "HEAD")
    with Repository.open(made_by_git) as repo, pytest.raises(InvalidNameError) as refused:
        repo.commit_changes({"b.txt": b"b\n"}, message=message, trailers=trailers)
    assert refused.value.reason == "nul-character"
    assert _git(made_by_git, "rev-parse", "HEAD") == head
    assert not (made_by_git / "b.txt").exists()


class Notes(JsonDocument):
    default: ClassVar[object] = {"lines": []}


class Tree(Worktree):
    notes: Notes


def test_a_mounted_tree_refuses_a_nul_in_its_commit_message(tmp_path: Path) -> None:
    tree = mount(Tree, tmp_path / "data")
    head = tree.repo.head
    tree.notes.data = {"lines": ["one"]}
    with pytest.raises(InvalidNameError, match="NUL"):
        tree.commit("step\x00hidden")
    assert tree.repo.head == head


def test_a_log_limit_past_any_history_means_every_commit(made_by_git: Path) -> None:
    with Repository.open(made_by_git) as repo:
        assert len(repo.log(limit=10**30)) == 2


def test_a_negative_log_limit_is_a_clear_value_error(made_by_git: Path) -> None:
    with Repository.open(made_by_git) as repo, pytest.raises(ValueError, match="limit must be"):
        repo.log(limit=-1)
