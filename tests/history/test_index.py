"""The index after our commits: what git ls-files and git diff --cached see."""

from __future__ import annotations

import os

from dulwich.repo import Repo

from gitworktree.history import Repository
from gitworktree.history._worktree.index import update_index_entries
from tests.oracle import git, git_lines


def test_index_matches_head_after_commits(repo: Repository) -> None:
    repo.commit_changes({"a/x.txt": b"x", "b.txt": b"b", "c/d/e.txt": b"e"}, message="1")
    repo.commit_changes({"a/x.txt": None, "b.txt": b"b2", "c/new.txt": b"n"}, message="2")

    staged = git_lines(repo, "ls-files", "-s")
    committed = git_lines(repo, "ls-tree", "-r", "HEAD")
    assert [line.split()[-1] for line in staged] == [line.split()[-1] for line in committed]
    assert [line.split()[1] for line in staged] == [line.split()[2] for line in committed]
    assert git(repo, "diff", "--cached", "--name-only") == ""
    assert git(repo, "diff", "--name-only") == ""


def test_stale_cache_tree_is_not_reused_by_git(repo: Repository) -> None:
    repo.commit_changes({"dir/a.txt": b"1\n"}, message="ours")
    git(repo, "commit", "-q", "--allow-empty", "-m", "writes a cache-tree into the index")
    repo.commit_changes({"dir/a.txt": b"2\n"}, message="ours again")

    git(repo, "commit", "-q", "--allow-empty", "-m", "would reuse a stale cache-tree")

    assert git(repo, "rev-parse", "HEAD^{tree}") == git(repo, "rev-parse", "HEAD~1^{tree}")
    assert git(repo, "show", "HEAD:dir/a.txt") == "2\n"


def test_update_index_entries_sets_and_drops_exactly_the_given_paths(repo: Repository) -> None:
    repo.commit_changes({"keep.txt": b"k", "drop.txt": b"d"}, message="1")
    (repo.path / "added.txt").write_bytes(b"added")
    sha = repo.hash_blob(b"added")
    git(repo, "hash-object", "-w", "added.txt")

    with Repo(str(repo.path)) as dulwich_repo:  # the low-level entry point takes a dulwich Repo
        update_index_entries(
            dulwich_repo, {"added.txt": (sha, os.lstat(repo.path / "added.txt")), "drop.txt": None}
        )

    assert git_lines(repo, "ls-files") == ["added.txt", "keep.txt"]
    assert git_lines(repo, "diff", "--cached", "--name-status") == ["A\tadded.txt", "D\tdrop.txt"]
