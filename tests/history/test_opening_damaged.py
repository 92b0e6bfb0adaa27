"""A repository that git's own files make unreadable is a `GitWorktreeError` wherever it is
opened (`Repository.open`, `Repository.discover`, the LangGraph `GitSaver`), never dulwich's
raw exception, and nothing is written into it.

`GitRepo` opens what dulwich's ``Repo`` opens and refuses what it refuses, with the same
exception (tests/history/test_opening.py); these are the shapes where that exception
reached the caller raw.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import Repository
from gitworktree.errors import RepositoryError
from gitworktree.langgraph import GitSaver


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _bare_and_worktree(repo: Path) -> None:
    _git(repo, "config", "core.bare", "true")
    _git(repo, "config", "core.worktree", str(repo))


def _config_line(repo: Path) -> None:
    with (repo / ".git" / "config").open("a") as config:
        config.write("[core\n")


def _shallow_line(repo: Path) -> None:
    (repo / ".git" / "shallow").write_text("not an object id\n")


def _grafts_folder(repo: Path) -> None:
    (repo / ".git" / "info" / "grafts").mkdir(parents=True)


def _git_file_garbage(repo: Path) -> None:
    (repo / ".git").rename(repo.parent / "moved.git")
    (repo / ".git").write_text("not a gitdir line\n")


def _git_file_names_a_file(repo: Path) -> None:
    (repo / ".git").rename(repo.parent / "moved.git")
    (repo.parent / "a-file").write_text("x")
    (repo / ".git").write_text("gitdir: ../a-file\n")


def _config_fifo(repo: Path) -> None:
    (repo / ".git" / "config").unlink()
    os.mkfifo(repo / ".git" / "config")  # dulwich's plain open would wait forever


def _git_file_names_nothing(repo: Path) -> None:
    (repo / ".git").rename(repo.parent / "moved.git")
    (repo / ".git").write_text("gitdir: ../gone\n")  # a linked worktree's folder removed


def _alternates_loop(repo: Path) -> None:
    objects = repo / ".git" / "objects"
    (objects / "info" / "alternates").write_text(f"{objects}\n")  # dulwich would recurse


def _commondir_folder(repo: Path) -> None:
    (repo / ".git" / "commondir").mkdir()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "core.bare with core.worktree": _bare_and_worktree,
    "config line that does not parse": _config_line,
    "shallow line that is no object id": _shallow_line,
    "info/grafts is a folder": _grafts_folder,
    ".git file without gitdir": _git_file_garbage,
    ".git file naming a file": _git_file_names_a_file,
    "commondir is a folder": _commondir_folder,
    "config is a FIFO": _config_fifo,
    ".git file naming no folder": _git_file_names_nothing,
    "alternates naming themselves": _alternates_loop,
}

OPENERS: dict[str, Callable[[Path], object]] = {
    "Repository.open": Repository.open,
    "Repository.open read-only": lambda path: Repository.open(path, read_only=True),
    "Repository.discover": Repository.discover,
    "GitSaver": GitSaver,
}


def _listing(root: Path) -> list[tuple[str, bytes | None]]:
    return sorted(
        (str(path.relative_to(root)), path.read_bytes() if path.is_file() else None)
        for path in root.rglob("*")
    )


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.parametrize("opener", OPENERS.values(), ids=OPENERS.keys())
def test_a_damaged_repository_is_a_repository_error_and_stays_as_it_was(
    tmp_path: Path, damage: Callable[[Path], None], opener: Callable[[Path], object]
) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    damage(repo)
    before = _listing(tmp_path)
    with pytest.raises(RepositoryError) as raised:
        opener(repo)
    assert str(repo) in str(raised.value)
    assert _listing(tmp_path) == before
