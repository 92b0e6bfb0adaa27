"""``core.sharedRepository = group``: what a commit creates, the group can write, as git does.

A repository shared by a group of people is used under a umask that keeps the group out;
git widens what it creates (folders group-writable and set-group-id, files
group-writable) so that the next person's ``git commit`` can lock a ref in a folder
and append to a reflog. Ours must too, or a colleague's next commit fails.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree.history import Repository
from tests.oracle import git


@pytest.fixture
def shared_repo(tmp_path: Path) -> Iterator[Path]:
    """A group-shared repository on branch ``agent/work``, used under umask 022."""
    previous = os.umask(0o022)
    try:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "-q", "-b", "agent/work", "--shared=group")
        (root / "a.txt").write_text("a\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "made by git")
        yield root
    finally:
        os.umask(previous)


def group_writable(path: Path) -> bool:
    mode = path.stat().st_mode
    wanted = stat.S_IRWXG | stat.S_ISGID if path.is_dir() else stat.S_IRGRP | stat.S_IWGRP
    return mode & wanted == wanted


def commit_once(root: Path) -> None:
    with Repository.open(root) as repository:
        repository.commit_changes({"a.txt": b"ours\n"}, message="ours")


def test_a_branch_folder_made_again_after_pack_refs_is_group_writable(
    shared_repo: Path,
) -> None:
    git(shared_repo, "pack-refs", "--all")  # removes refs/heads/agent/ with the loose ref
    assert not (shared_repo / ".git/refs/heads/agent").exists()

    commit_once(shared_repo)

    assert group_writable(shared_repo / ".git/refs/heads/agent")
    assert group_writable(shared_repo / ".git/refs/heads/agent/work")
    git(shared_repo, "fsck", "--strict", "--no-dangling")


def test_reflogs_made_again_after_they_were_removed_are_group_writable(
    shared_repo: Path,
) -> None:
    shutil.rmtree(shared_repo / ".git/logs")

    commit_once(shared_repo)

    logs = shared_repo / ".git/logs"
    made = [logs, logs / "HEAD", logs / "refs/heads/agent", logs / "refs/heads/agent/work"]
    assert [path.name for path in made if not group_writable(path)] == []
    assert git(shared_repo, "reflog", "-1", "--format=%gs").strip() == "commit: ours"


@pytest.mark.parametrize("split", ["false", "true"], ids=["one_index_file", "split_index"])
def test_under_a_private_umask_the_group_can_still_read_the_index(
    shared_repo: Path, split: str
) -> None:
    # What core.sharedRepository is for: people whose umask keeps the group out.
    git(shared_repo, "config", "core.splitIndex", split)
    os.umask(0o077)  # the fixture puts the umask back

    commit_once(shared_repo)

    written = [shared_repo / ".git/index", *(shared_repo / ".git").glob("sharedindex.*")]
    assert [path.name for path in written if not group_writable(path)] == []
    assert git(shared_repo, "status", "--porcelain") == ""


def test_the_first_commit_of_a_new_branch_leaves_its_file_readable_by_the_group(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o077)
    try:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "-q", "-b", "main", "--shared=group")

        commit_once(root)  # the branch is born: no compare-and-swap, a new ref

        assert group_writable(root / ".git/refs/heads/main")
        assert git(root, "log", "--format=%s") == "ours\n"
    finally:
        os.umask(previous)
