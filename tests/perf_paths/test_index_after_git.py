"""Real git rewrites the index between two of our commits; our next commit splices into
git's index, keeps what the person staged, and leaves cached trees that vouch only for
the entries they cover (``git write-tree`` must give the tree of the entries)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitworktree.history import Repository
from tests.oracle import git
from tests.perf_paths.conftest import FILES, make_git_repository


def _chmod(root: Path) -> None:
    git(root, "update-index", "--chmod=+x", "work/tasks/t001.json")


def _version_4(root: Path) -> None:
    git(root, "update-index", "--index-version", "4")


def _version_4_and_back(root: Path) -> None:
    git(root, "update-index", "--index-version", "4")
    git(root, "update-index", "--index-version", "2")


def _soft_reset(root: Path) -> None:
    git(root, "reset", "-q", "--soft", "HEAD~1")  # the index keeps our last commit's trees


def _mixed_reset(root: Path) -> None:
    git(root, "reset", "-q", "HEAD~1")


def _stash(root: Path) -> None:
    (root / "work/tasks/t002.json").write_text('{"n": "stashed"}\n')
    git(root, "stash", "-q")


def _split_index(root: Path) -> None:
    (root / "work/notes/n9.json").write_text("{}\n")
    git(root, "update-index", "--split-index")
    git(root, "add", "work/notes/n9.json")


def _skip_worktree(root: Path) -> None:
    git(root, "update-index", "--skip-worktree", "archive/done/old.json")


def _skip_hash(root: Path) -> None:
    """The index as git >= 2.40 writes it with ``index.skipHash``: a zero checksum."""
    (root / "work/notes/n9.json").write_text("{}\n")
    git(root, "add", "work/notes/n9.json")
    index = root / ".git" / "index"
    index.write_bytes(index.read_bytes()[:-20] + bytes(20))
    assert git(root, "diff", "--cached", "--name-only") == "work/notes/n9.json\n"  # git reads it


def _many_files(root: Path) -> None:
    git(root, "config", "feature.manyFiles", "true")  # version 4, untracked cache
    (root / "work/notes/n9.json").write_text("{}\n")
    git(root, "add", "work/notes/n9.json")


EDITS = {
    "chmod-x": _chmod,
    "version-4": _version_4,
    "version-4-and-back": _version_4_and_back,
    "reset-soft": _soft_reset,
    "reset-mixed": _mixed_reset,
    "stash": _stash,
    "split-index-then-add": _split_index,
    "skip-worktree": _skip_worktree,
    "index.skipHash": _skip_hash,
    "feature.manyFiles": _many_files,
}


def _tree_of_the_entries(root: Path) -> str:
    """The tree ``git write-tree`` makes of the index's entries with no cached trees."""
    entries = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-s"], capture_output=True, check=True
    ).stdout
    env = {**os.environ, "GIT_INDEX_FILE": str(root / ".git" / "scratch-index")}
    try:
        subprocess.run(
            ["git", "-C", str(root), "update-index", "--index-info"],
            input=entries, env=env, check=True,
        )  # fmt: skip
        return subprocess.run(
            ["git", "-C", str(root), "write-tree"], env=env, capture_output=True, text=True
        ).stdout.strip()
    finally:
        (root / ".git" / "scratch-index").unlink(missing_ok=True)


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_our_commits_around_git_s_index_edits_keep_them_and_stay_true(
    tmp_path: Path, edit: object
) -> None:
    root = make_git_repository(tmp_path / "repo", FILES)
    with Repository.open(root) as repository:
        repository.commit_changes(
            {"work/tasks/t000.json": b'{"n": "ours 1"}\n', "work/new/a.json": b"{}\n"},
            message="ours 1",
        )
        edit(root)  # type: ignore[operator]
        status = git(root, "status", "--porcelain", "--untracked-files=all")
        staged = git(root, "diff", "--cached", "--raw")

        repository.commit_changes(
            {"work/tasks/t010.json": b'{"n": "ours 2"}\n', "work/notes/n0.json": b"{}\n"},
            message="ours 2",
        )  # other paths than the person's: theirs must stay exactly as they are
        repository.commit_changes({"archive/new/b.json": b"{}\n"}, message="ours 3")

    assert (
        git(root, "status", "--porcelain", "--untracked-files=all") == status
    )  # the person's state, as it was
    assert git(root, "diff", "--cached", "--raw") == staged
    assert git(root, "write-tree").strip() == _tree_of_the_entries(root)
    assert git(root, "show", "HEAD:work/notes/n0.json") == "{}\n"
    assert git(root, "show", "HEAD:work/tasks/t010.json") == '{"n": "ours 2"}\n'
    git(root, "fsck", "--strict", "--no-dangling")
