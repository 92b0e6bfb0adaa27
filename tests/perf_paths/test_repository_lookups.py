"""The lookups a mount and a restore use: a directory's file ids, and what two commits
changed. ``git`` is the oracle."""

from __future__ import annotations

import pytest

from gitworktree import NodeKindError
from gitworktree.history import Repository
from tests.oracle import git, git_lines


def test_file_ids_are_the_files_of_list_tree(git_repo: Repository) -> None:
    git_repo.commit_changes({"work/tasks/sub/deep.json": b"{}\n"}, message="a subdirectory")
    for directory in ("", "work", "work/tasks", "archive/done"):
        expected = {
            item.name: item.sha
            for item in git_repo.list_tree("HEAD", directory)
            if item.kind == "file"
        }
        assert git_repo.file_ids("HEAD", directory) == expected
    ls_tree = git_lines(git_repo, "ls-tree", "HEAD", "work/tasks/")
    files = {line.split("\t")[1].rsplit("/", 1)[1]: line.split()[2]
             for line in ls_tree if line.split()[1] == "blob"}  # fmt: skip
    assert git_repo.file_ids("HEAD", "work/tasks") == files


def test_file_ids_of_a_missing_directory_or_a_file(git_repo: Repository) -> None:
    assert git_repo.file_ids("HEAD", "nowhere") == {}
    with pytest.raises(NodeKindError):
        git_repo.file_ids("HEAD", "settings.json")


def test_file_ids_leave_out_submodules(git_repo: Repository) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    git(git_repo, "update-index", "--add", "--cacheinfo", f"160000,{commit},work/module")
    git(git_repo, "commit", "-q", "-m", "a submodule entry")
    assert "module" not in git_repo.file_ids("HEAD", "work")


def test_changed_files_are_what_git_diff_names(git_repo: Repository) -> None:
    first = git_repo.head
    assert first is not None
    git_repo.commit_changes(
        {
            "work/tasks/t001.json": b"changed\n",
            "work/tasks/t002.json": None,
            "new/dir/file.json": b"new\n",
            "settings.json": None,
        },
        message="several",
    )
    changed = git_repo.changed_files(first, "HEAD")
    assert list(changed) == git_lines(git_repo, "diff", "--name-only", first, "HEAD")
    for path, blob in changed.items():
        listed = git(git_repo, "ls-tree", "HEAD", "--", path).split()  # mode type id path
        assert blob == (listed[2] if listed and listed[1] == "blob" else None)
    assert changed["work/tasks/t002.json"] is None
    assert git_repo.changed_files("HEAD", "HEAD") == {}
    assert git_repo.changed_files(None, first) == {
        path: git(git_repo, "rev-parse", f"{first}:{path}").strip()
        for path in git_lines(git_repo, "ls-tree", "-r", "--name-only", first)
    }


def test_changed_files_when_a_file_and_a_directory_trade_places(git_repo: Repository) -> None:
    first = git_repo.head
    assert first is not None
    git_repo.commit_changes(
        {"archive/done/old.json": None, "archive/done": b"now a file\n"}, message="swap"
    )
    changed = git_repo.changed_files(first, "HEAD")
    assert changed["archive/done/old.json"] is None
    assert changed["archive/done"] == git_repo.hash_blob(b"now a file\n")
