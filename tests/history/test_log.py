"""log(): newest first, path filters and limits agree with git log."""

from __future__ import annotations

import subprocess

import pytest

from gitworktree.history import Repository
from tests.oracle import git, git_lines


@pytest.fixture
def history(repo: Repository) -> Repository:
    """Commits touching different files and directories."""
    changes = [
        {"a.txt": b"1"},
        {"dir/x.json": b"{}"},
        {"a.txt": b"2", "dir/sub/y.txt": b"y"},
        {"b.txt": b"b"},
        {"dir/x.json": None},
        {"dir/sub/y.txt": b"y2"},
    ]
    for number, change in enumerate(changes):
        repo.commit_changes(change, message=f"commit {number}")
    return repo


def test_log_is_newest_first_like_git(history: Repository) -> None:
    assert [info.sha for info in history.log()] == git_lines(history, "log", "--format=%H")


def test_log_paths_are_changed_paths_like_git(history: Repository) -> None:
    for info in history.log():
        expected = git_lines(
            history, "show", "--format=", "--name-only", "--no-renames", "--root", info.sha
        )
        assert list(info.paths) == sorted(expected)


@pytest.mark.parametrize(
    "path", ["a.txt", "dir", "dir/sub", "dir/x.json", "dir/sub/y.txt", "b.txt", "missing.txt"]
)
def test_path_filter_matches_git_log(history: Repository, path: str) -> None:
    ours = [info.sha for info in history.log(path=path)]
    assert ours == git_lines(history, "log", "--format=%H", "--", path)


def test_limit_returns_the_newest(history: Repository) -> None:
    assert [info.sha for info in history.log(limit=2)] == git_lines(
        history, "log", "-2", "--format=%H"
    )
    assert [info.message for info in history.log(path="a.txt", limit=1)] == ["commit 2"]


def test_log_from_another_revision(history: Repository) -> None:
    assert [info.sha for info in history.log(rev="HEAD~3")] == git_lines(
        history, "log", "--format=%H", "HEAD~3"
    )


def test_log_of_an_unborn_branch_is_empty(repo: Repository) -> None:
    assert repo.log() == []


def test_path_filter_through_merges_matches_git(repo: Repository) -> None:
    repo.commit_changes({"shared.txt": b"base", "other.txt": b"o"}, message="base")
    git(repo, "checkout", "-q", "-b", "side")
    (repo.path / "shared.txt").write_text("side")
    git(repo, "commit", "-qam", "side edits shared")
    git(repo, "checkout", "-q", "main")
    (repo.path / "other.txt").write_text("main")
    git(repo, "commit", "-qam", "main edits other")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    repo.commit_changes({"shared.txt": b"after"}, message="after merge")

    for path in ("shared.txt", "other.txt"):
        ours = [info.sha for info in repo.log(path=path)]
        assert ours == git_lines(repo, "log", "--format=%H", "--", path), path
    assert {info.sha for info in repo.log()} == set(git_lines(repo, "log", "--format=%H"))


def test_log_limit_on_a_long_history(repo: Repository) -> None:
    """5,000 commits made by git fast-import; log(limit=20) walks only the newest."""
    commands = []
    for number in range(5000):
        data = f"{number}\n"
        commands.append(
            f"commit refs/heads/main\n"
            f"committer T <t@example.com> {1_700_000_000 + number} +0000\n"
            f"data 2\nc\n"
            f"M 100644 inline f{number % 50}.txt\ndata {len(data)}\n{data}\n"
        )
    subprocess.run(
        ["git", "-C", str(repo.path), "fast-import", "--quiet"],
        input="".join(commands).encode(),
        check=True,
    )

    newest = repo.log(limit=20)

    assert [info.sha for info in newest] == git_lines(repo, "log", "-20", "--format=%H")
    assert newest[0].paths == ("f49.txt",)
    filtered = repo.log(path="f7.txt", limit=3)
    assert [info.sha for info in filtered] == git_lines(
        repo, "log", "-3", "--format=%H", "--", "f7.txt"
    )
