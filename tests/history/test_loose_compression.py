"""Large loose trees are stored uncompressed (the auto-pack compresses them), as git reads them."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from gitworktree.history import Repository
from tests.oracle import git

FILES = 2_000  # a tree of ~80 KB: past the 64 KiB from which loose objects are stored


def _loose_tree(repo: Repository) -> tuple[int, int]:
    """(size on disk, size inflated) of HEAD's ``items`` tree as a loose object."""
    sha = git(repo, "rev-parse", "HEAD:items").strip()
    data = (repo.path / ".git" / "objects" / sha[:2] / sha[2:]).read_bytes()
    return len(data), len(zlib.decompress(data))


@pytest.mark.parametrize(
    ("config", "stored"),
    [(None, True), ("1", False), ("9", False)],
    ids=["default: stored", "core.looseCompression=1: compressed", "level 9: compressed"],
)
def test_a_large_loose_tree_is_stored_unless_the_repository_sets_a_level(
    tmp_path: Path, config: str | None, stored: bool
) -> None:
    root = tmp_path / "repo"
    (root / "items").mkdir(parents=True)
    for index in range(FILES):
        (root / "items" / f"item-{index:05d}.json").write_bytes(b"%d\n" % index)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Add the items")
    if config is not None:
        git(root, "config", "core.looseCompression", config)
    with Repository.open(root) as repo:
        repo.commit_changes({"items/item-00007.json": b"changed\n"}, message="Change one")

        on_disk, inflated = _loose_tree(repo)
        assert (on_disk > inflated) is stored
        assert git(repo, "fsck", "--strict") == ""
        listing = git(repo, "cat-file", "-p", "HEAD:items").splitlines()
        assert len(listing) == FILES
        assert git(repo, "show", "HEAD:items/item-00007.json") == "changed\n"
