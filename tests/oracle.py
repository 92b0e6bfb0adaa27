"""The real ``git`` binary as a test oracle (the library itself never runs it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitworktree.history import Repository

__all__ = ["git", "git_as_someone", "git_lines"]


def git(repo: Repository | Path, *args: str, check: bool = True) -> str:
    """Run the real ``git`` in the repository and return its standard output."""
    root = repo.path if isinstance(repo, Repository) else repo
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def git_as_someone(repo: Repository | Path, *args: str, check: bool = True) -> str:
    """`git` with an identity given on its command line: for repositories a module-scoped
    fixture builds, which runs before the autouse ``isolated_git`` sets one."""
    return git(repo, "-c", "user.name=A", "-c", "user.email=a@example.com", *args, check=check)


def git_lines(repo: Repository | Path, *args: str) -> list[str]:
    """``git`` output as a list of non-empty lines."""
    return [line for line in git(repo, *args).splitlines() if line]
