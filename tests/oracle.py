"""The real ``git`` binary as a test oracle (the library itself never runs it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitworktree.history import Repository

__all__ = ["git", "git_lines"]


def git(repo: Repository | Path, *args: str, check: bool = True) -> str:
    """Run the real ``git`` in the repository and return its standard output."""
    root = repo.path if isinstance(repo, Repository) else repo
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def git_lines(repo: Repository | Path, *args: str) -> list[str]:
    """``git`` output as a list of non-empty lines."""
    return [line for line in git(repo, *args).splitlines() if line]
