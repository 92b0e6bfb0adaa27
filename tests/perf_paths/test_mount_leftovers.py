"""A mount removes what killed writes left behind, listing each map directory only once.

A write killed between creating its temporary file and renaming it over the file leaves
``.gwt-tmp-*`` behind: a commit's (under the writer lock, whose record then says so), or
a ``Document.save()``'s or an anchor write's (no writer lock, so nothing says so). Every
mount removes them wherever they are in the work tree; the directories the mount reads
anyway are not listed a second time for it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from gitworktree import (
    Anchor,
    ArtifactMap,
    PydanticArtifact,
    SchemaValidationError,
    Worktree,
    mount,
)
from gitworktree.history import Repository
from tests.oracle import git


class Task(PydanticArtifact):
    title: str


class Counter(PydanticArtifact):
    number: int = 0


class Board(Worktree):
    counter: Counter
    tasks: ArtifactMap[Task]
    notes: Anchor


LEFTOVER = ".gwt-tmp-x.json.4242.0badcafe"


def new_board(root: Path) -> Path:
    tree = mount(Board, root)
    tree.tasks["a"] = Task(title="a")
    (root / "notes" / "sub").mkdir(parents=True)
    (root / "notes" / "sub" / "n.txt").write_text("n\n")
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "e.txt").write_text("e\n")
    tree.commit("a board")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "files beside the tree")
    return root


@pytest.mark.parametrize(
    "directory",
    ["", "tasks", "tasks/inside-a-map", "notes", "notes/sub", "elsewhere"],
    ids=["root", "map", "below-a-map", "anchor", "below-an-anchor", "undeclared"],
)
def test_a_killed_writes_temporary_file_is_removed_by_the_next_mount(
    tmp_path: Path, directory: str
) -> None:
    root = new_board(tmp_path / "repo")
    (root / directory).mkdir(parents=True, exist_ok=True)
    (root / directory / LEFTOVER).write_bytes(b"half a file")
    mount(Board, root)
    assert not (root / directory / LEFTOVER).exists()
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_mount_that_fails_still_removes_temporary_files(tmp_path: Path) -> None:
    root = new_board(tmp_path / "repo")
    (root / "tasks" / LEFTOVER).write_bytes(b"half a file")
    (root / "tasks" / "a.json").write_text('{"title": 1}\n')
    with pytest.raises(SchemaValidationError):
        mount(Board, root)
    assert not (root / "tasks" / LEFTOVER).exists()


def test_removed_temporary_files_are_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = new_board(tmp_path / "repo")
    (root / "tasks" / LEFTOVER).write_bytes(b"half a file")
    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        mount(Board, root)
    assert f"tasks/{LEFTOVER}" in caplog.text


@pytest.mark.parametrize(
    "place", [".git", "tasks/.git"], ids=["the-repository", "a-nested-repository"]
)
def test_files_named_like_temporary_files_inside_a_git_directory_are_left_alone(
    tmp_path: Path, place: str
) -> None:
    root = new_board(tmp_path / "repo")
    (root / place).mkdir(exist_ok=True)
    (root / place / LEFTOVER).write_bytes(b"not ours")
    mount(Board, root)
    assert (root / place / LEFTOVER).read_bytes() == b"not ours"


def test_a_mount_lists_each_map_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = new_board(tmp_path / "repo")
    listed: list[str] = []
    scandir = os.scandir

    def counting_scandir(path: str) -> object:
        listed.append(os.path.relpath(os.fspath(path), root))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting_scandir)
    mount(Board, root)
    assert listed.count("tasks") == 1
    assert listed.count("elsewhere") == 1  # not read by the mount: listed for leftovers


def test_a_temporary_file_renamed_away_since_the_scan_is_not_reported(tmp_path: Path) -> None:
    from gitworktree.history._worktree.checkout import ListedDirectory

    root = new_board(tmp_path / "repo")
    with Repository.open(root) as repository:
        removed = repository.remove_temporary_files({"tasks": ListedDirectory([LEFTOVER], [])})
    assert removed == []


def test_a_mount_with_nothing_to_remove_leaves_the_writer_lock_alone(tmp_path: Path) -> None:
    """Looking needs no lock; a mount takes the writer lock only to delete something."""
    root = new_board(tmp_path / "repo")
    record = b'{"state": "idle", "pid": 1}'  # as another process left it
    (root / ".git" / "gitworktree.lock").write_bytes(record)
    mount(Board, root)
    assert (root / ".git" / "gitworktree.lock").read_bytes() == record
    (root / "tasks" / LEFTOVER).write_bytes(b"half a file")
    mount(Board, root)
    assert (root / ".git" / "gitworktree.lock").read_bytes() != record
