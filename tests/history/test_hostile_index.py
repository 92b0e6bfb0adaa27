"""Index files git would list but that a commit cannot patch truthfully: refused whole.

git lists an index whose entries repeat a path, or (in version 4) whose path length in
the flags is not the path's, as it finds it; a commit patched on such an index would
leave one git reads as another tree. Each is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import RepositoryError
from gitworktree.history import Repository
from gitworktree.history._worktree.index_file import parse_index
from tests.oracle import git

FILES = ["abc/def1", "abc/def2", "abc/xyz", "b"]


def make_repository(root: Path, version: str) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "index.version", version)
    for path in FILES:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "made by git")
    return root


def rewrite_entries(index: Path, edit: Callable[[list[bytes]], list[bytes]]) -> bytes:
    """The index with its entries (as stored on disk) edited, checksum made good."""
    raw = index.read_bytes()
    parsed = parse_index(raw)
    assert parsed is not None
    stored = parsed.compressed if parsed.compressed is not None else parsed.entries
    end = 12 + sum(map(len, stored))
    entries = edit(list(stored))
    body = raw[:8] + len(entries).to_bytes(4, "big") + b"".join(entries) + raw[end:-20]
    index.write_bytes(body + hashlib.sha1(body).digest())
    return index.read_bytes()


def repeat_first_v2(entries: list[bytes]) -> list[bytes]:
    return [entries[0], *entries]


def repeat_first_v4(entries: list[bytes]) -> list[bytes]:
    # The same path again: drop nothing from the previous path, append nothing.
    return [entries[0], entries[0][:62] + b"\0\0", *entries[1:]]


def swap_last_two_v2(entries: list[bytes]) -> list[bytes]:
    return [*entries[:-2], entries[-1], entries[-2]]


def longer_path_than_flags_v4(entries: list[bytes]) -> list[bytes]:
    # `b` becomes `b/.git/x` (all 7 bytes of `abc/xyz` dropped); its flags still say 1.
    last = entries[-1]
    return [*entries[:-1], last[:62] + b"\x07" + b"b/.git/x\0"]


CASES = {
    "path_repeated_version_2": ("2", repeat_first_v2, "repeated"),
    "path_repeated_version_4": ("4", repeat_first_v4, "repeated"),
    "paths_out_of_order_version_2": ("2", swap_last_two_v2, "out of order"),
    "path_longer_than_its_flags_version_4": ("4", longer_path_than_flags_v4, "flags"),
}


@pytest.mark.parametrize(("version", "edit", "reason"), CASES.values(), ids=CASES.keys())
def test_an_index_git_lists_but_a_commit_cannot_patch_is_refused_untouched(
    tmp_path: Path, version: str, edit: Callable[[list[bytes]], list[bytes]], reason: str
) -> None:
    root = make_repository(tmp_path / "repo", version)
    index = root / ".git" / "index"
    hostile = rewrite_entries(index, edit)
    head = git(root, "rev-parse", "HEAD")

    with (
        Repository.open(root) as repository,
        pytest.raises(RepositoryError, match=reason) as raised,
    ):
        repository.commit_changes({"abc/def1": b"new\n"}, message="ours")

    assert "git reset" in str(raised.value)
    assert index.read_bytes() == hostile
    assert git(root, "rev-parse", "HEAD") == head


def test_a_version_4_strip_count_of_endless_continuation_bytes_is_refused_at_once(
    tmp_path: Path,
) -> None:
    # A mebibyte of 0xff where the second entry's strip count starts: read as one
    # number, each byte growing it, that took minutes (quadratic); git stops at overflow.
    root = make_repository(tmp_path / "repo", "4")
    index = root / ".git" / "index"
    hostile = rewrite_entries(
        index, lambda entries: [entries[0], entries[1][:62] + b"\xff" * (1 << 20), *entries[1:]]
    )
    started = time.monotonic()

    with (
        Repository.open(root) as repository,
        pytest.raises(RepositoryError, match="drops more than the previous path"),
    ):
        repository.commit_changes({"abc/def1": b"new\n"}, message="ours")

    # Milliseconds when stopped at once; about two minutes when the whole run is read.
    assert time.monotonic() - started < 20
    assert index.read_bytes() == hostile
