"""A directory a person replaced with a symbolic link is never written or deleted through.

Every writer of work-tree files (commit, restore, discard, recovery) goes through one
function; it checks each path's parents on disk whatever its caller checked, so a
symbolic link to a directory outside the repository leads nothing there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import Repository, UnsafePathError
from tests.oracle import git


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose tracked ``tasks/`` became a link to a directory outside it."""
    root, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.json").write_text('{"keep": true}\n')
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "tasks").mkdir()
    (root / "tasks" / "t1.json").write_text('{"title": "x"}\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    for path in (root / "tasks").iterdir():
        path.unlink()
    (root / "tasks").rmdir()
    (root / "tasks").symlink_to(outside, target_is_directory=True)
    return root, outside


@pytest.mark.parametrize(
    "path",
    ["tasks/t1.json", "tasks/precious.json", "tasks"],
    ids=["write-back-through-the-link", "delete-through-the-link", "the-whole-directory"],
)
def test_discard_refuses_a_symlinked_directory_and_touches_nothing_outside(
    linked: tuple[Path, Path], path: str
) -> None:
    root, outside = linked
    before = snapshot(outside)
    with Repository.open(root) as repository, pytest.raises(UnsafePathError, match="symbolic link"):
        repository.discard_changes([path])
    assert snapshot(outside) == before
    assert (root / "tasks").is_symlink()
