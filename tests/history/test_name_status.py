"""`Repository.name_status`: what changed between two revisions, file by file, without
reading a file: the same files and statuses as `diff`, and as `git diff --name-status`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitworktree import Repository
from tests.oracle import git_as_someone

_GIT_STATUS = {"A": "added", "M": "modified", "T": "modified", "D": "deleted"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two commits: every kind of change between them (read, never changed, by the tests)."""
    repo = tmp_path_factory.mktemp("name-status") / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "kept.txt").write_text("same\n")
    (repo / "edited.json").write_text('{"a": 1}\n')
    (repo / "removed.txt").write_text("gone soon\n")
    (repo / "becomes-link").write_text("a file\n")
    (repo / "becomes-dir").write_text("a file\n")
    (repo / "deep" / "er").mkdir(parents=True)
    (repo / "deep" / "er" / "x.txt").write_text("x\n")
    git_as_someone(repo, "add", "-A")
    git_as_someone(repo, "commit", "-qm", "first")
    (repo / "edited.json").write_text('{"a": 2}\n')
    (repo / "removed.txt").unlink()
    (repo / "added.txt").write_text("new\n")
    (repo / "becomes-link").unlink()
    os.symlink("kept.txt", repo / "becomes-link")
    (repo / "becomes-dir").unlink()
    (repo / "becomes-dir").mkdir()
    (repo / "becomes-dir" / "inside.txt").write_text("in\n")
    (repo / "deep" / "er" / "x.txt").write_text("changed\n")
    git_as_someone(repo, "add", "-A")
    # A submodule entry (a gitlink): left out, as `diff` leaves it out.
    sha = git_as_someone(repo, "rev-parse", "HEAD").strip()
    git_as_someone(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},module")
    git_as_someone(repo, "commit", "-qm", "second")
    return repo


def _git_name_status(repo: Path, *paths: str) -> dict[str, str]:
    out = git_as_someone(
        repo, "diff", "--name-status", "--no-renames", "HEAD~1", "HEAD", "--", *paths
    )
    listed = {}
    for line in out.splitlines():
        letter, path = line.split("\t")
        if path != "module":
            listed[path] = _GIT_STATUS[letter]
    return listed


def test_lists_what_git_diff_name_status_lists(repo: Path) -> None:
    listed = Repository.open(repo).name_status("HEAD~1", "HEAD")
    assert listed == _git_name_status(repo)
    assert list(listed) == sorted(listed)


def test_lists_what_diff_lists_with_its_patches(repo: Path) -> None:
    repository = Repository.open(repo)
    changes = repository.diff("HEAD~1", "HEAD")
    assert repository.name_status("HEAD~1", "HEAD") == {c.path: c.status for c in changes}


@pytest.mark.parametrize("paths", [["deep"], ["edited.json", "becomes-dir"]], ids=["dir", "files"])
def test_keeps_to_the_paths_given(repo: Path, paths: list[str]) -> None:
    listed = Repository.open(repo).name_status("HEAD~1", "HEAD", paths)
    assert listed == _git_name_status(repo, *paths)


def test_from_the_empty_tree_everything_is_added(repo: Path) -> None:
    listed = Repository.open(repo).name_status(None, "HEAD~1")
    assert set(listed.values()) == {"added"}
    assert sorted(listed) == sorted(
        git_as_someone(repo, "ls-tree", "-r", "--name-only", "HEAD~1").split()
    )
