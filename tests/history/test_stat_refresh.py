"""`status` and a diff against the work tree record the stat data of files they had to
read to find unchanged, as `git status` and `git diff` do: a copied work tree (``cp -a``,
a restored backup) is read once, not at every look. Checked with git's own view of the
index (`git diff-files` lists an entry whose stat data no longer matches its file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from gitworktree import Repository
from gitworktree.history._worktree import status as status_module
from gitworktree.history._worktree.cache_tree import parse_cache_tree
from gitworktree.history._worktree.index_file import read_index_file
from tests.oracle import git_as_someone

FILES = ("a.txt", "b.json", "dir/c.txt", "dir/deeper/d.txt")


def _age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("refresh") / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name in FILES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"{name}\n")
        _age(repo / name)  # written an hour ago: nothing racy about them
    git_as_someone(repo, "add", "-A")
    git_as_someone(repo, "commit", "-qm", "files")
    return repo


@pytest.fixture
def copied(original: Path, tmp_path: Path) -> Path:
    """A copy as `cp -a` makes it: same mtimes, other inodes (and change times)."""
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, symlinks=True)
    assert sorted(git_as_someone(copy, "diff-files", "--name-only").split()) == sorted(FILES)
    return copy


def _index_inode(repo: Path, path: str) -> int:
    raw = (repo / ".git" / "index").read_bytes()
    index = read_index_file(str(repo / ".git" / "index"), raw)
    assert index is not None
    return index.stage_zero()[path].ino


def test_a_copied_work_tree_is_read_once(copied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Repository.open(copied).status() == []
    assert git_as_someone(copied, "diff-files") == ""  # git agrees: every stat recorded
    assert git_as_someone(copied, "status", "--porcelain") == ""

    def no_reading(root: Path, path: str) -> bytes:
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(status_module, "read_worktree_file", no_reading)
    assert Repository.open(copied).status() == []


def test_a_diff_against_the_work_tree_refreshes_too(copied: Path) -> None:
    assert Repository.open(copied).diff("HEAD", None) == []
    assert git_as_someone(copied, "diff-files") == ""


def test_the_cached_trees_stay(copied: Path) -> None:
    Repository.open(copied).status()
    raw = (copied / ".git" / "index").read_bytes()
    index = read_index_file(str(copied / ".git" / "index"), raw)
    assert index is not None
    data = index.extension(b"TREE")
    assert data is not None
    root = parse_cache_tree(data)
    assert root.valid
    assert root.sha is not None
    assert root.sha.decode() == git_as_someone(copied, "rev-parse", "HEAD^{tree}").strip()


def test_a_held_index_lock_is_left_alone(copied: Path) -> None:
    lock = copied / ".git" / "index.lock"
    lock.write_text("git's\n")
    before = (copied / ".git" / "index").read_bytes()
    assert Repository.open(copied).status() == []
    assert lock.read_text() == "git's\n"
    assert (copied / ".git" / "index").read_bytes() == before


def test_a_changed_file_keeps_its_entry(copied: Path) -> None:
    (copied / "a.txt").write_text("edited\n")
    _age(copied / "a.txt")
    inode = _index_inode(copied, "a.txt")
    changes = Repository.open(copied).status()
    assert [(change.path, change.status) for change in changes] == [("a.txt", "modified")]
    assert _index_inode(copied, "a.txt") == inode
    assert git_as_someone(copied, "diff-files", "--name-only").split() == ["a.txt"]


def test_a_file_touched_just_now_is_not_trusted_yet(copied: Path) -> None:
    os.utime(copied / "b.json")  # same content, a new mtime: racily clean
    inode = _index_inode(copied, "b.json")
    assert Repository.open(copied).status() == []
    assert _index_inode(copied, "b.json") == inode
    assert git_as_someone(copied, "diff-files", "--name-only").split() == ["b.json"]
    assert git_as_someone(copied, "status", "--porcelain") == ""
