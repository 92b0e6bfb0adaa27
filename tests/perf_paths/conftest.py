"""Fixtures for the fast paths: repositories made by the real git, as users' would be."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree.history import Repository
from tests.oracle import git


def make_git_repository(root: Path, files: dict[str, bytes]) -> Path:
    """A repository whose first commit, index and cached trees were all written by git."""
    root.mkdir(parents=True)
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "made by git")
    return root


FILES = {
    "settings.json": b'{"a": 1}\n',
    **{f"work/tasks/t{index:03d}.json": b'{"n": %d}\n' % index for index in range(60)},
    **{f"work/notes/n{index}.json": b'{"note": %d}\n' % index for index in range(5)},
    "archive/done/old.json": b"{}\n",
}


@pytest.fixture
def git_repo(tmp_path: Path) -> Iterator[Repository]:
    """A repository built by git (index with a complete ``TREE`` extension)."""
    with Repository.open(make_git_repository(tmp_path / "repo", FILES)) as repository:
        yield repository
