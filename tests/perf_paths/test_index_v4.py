"""Index version 4 (``index.version = 4``, ``feature.manyFiles``), patched in place.

A commit re-encodes only the entries it writes and the one after each run of them;
git is the oracle: the index we write is byte for byte the one git writes for the same
entries (``git update-index --index-version`` re-encodes every entry), and git reads
it as HEAD plus stat data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitworktree.history import Repository
from gitworktree.history._worktree.index_file import parse_index
from gitworktree.history._worktree.index_v4 import encode_all_v4, parse_v4_entries, splice_v4
from tests.oracle import git
from tests.perf_paths.conftest import FILES, make_git_repository

CHANGES: dict[str, dict[str, bytes | None]] = {
    "the_first_entry": {"archive/done/old.json": b"1\n"},
    "the_last_entry": {"work/tasks/t059.json": b"2\n"},
    "added_first_and_last": {"a.json": b"{}\n", "zz/z.json": b"{}\n"},
    "added_next_to_each_other": {"work/tasks/t010a.json": b"1\n", "work/tasks/t010b.json": b"2\n"},
    "a_prefix_of_its_neighbour": {"work/tasks/t01.json": b"{}\n"},
    "removed_first_and_in_a_run": {
        "archive/done/old.json": None,
        "work/tasks/t020.json": None,
        "work/tasks/t021.json": None,
        "work/tasks/t022.json": b"22\n",
    },
    "a_new_directory_in_between": {"work/m/deep/x.json": b"{}\n", "work/notes/n2.json": None},
}


def v4_repository(root: Path) -> Path:
    make_git_repository(root, FILES)
    git(root, "update-index", "--index-version", "4")
    return root


def git_encoding(root: Path, tmp_path: Path) -> bytes:
    """The index git writes for the same entries: re-encoded whole, from version 2."""
    copy = tmp_path / "by-git.index"
    shutil.copyfile(root / ".git" / "index", copy)
    env = {**os.environ, "GIT_INDEX_FILE": str(copy)}
    for version in ("2", "4"):
        subprocess.run(
            ["git", "-C", str(root), "update-index", "--index-version", version],
            env=env,
            check=True,
        )
    return copy.read_bytes()


@pytest.mark.parametrize("changes", CHANGES.values(), ids=CHANGES.keys())
def test_a_commit_on_a_version_4_index_writes_the_bytes_git_writes(
    tmp_path: Path, changes: dict[str, bytes | None]
) -> None:
    root = v4_repository(tmp_path / "repo")

    with Repository.open(root) as repository:
        repository.commit_changes(changes, message="ours")

    ours = (root / ".git" / "index").read_bytes()
    assert ours[4:8] == (4).to_bytes(4, "big")
    assert ours == git_encoding(root, tmp_path)
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "write-tree") == git(root, "rev-parse", "HEAD^{tree}")


def test_commits_one_after_another_keep_a_version_4_index_git_reads(tmp_path: Path) -> None:
    root = v4_repository(tmp_path / "repo")

    with Repository.open(root) as repository:
        for changes in CHANGES.values():  # each on the index the one before wrote
            repository.commit_changes(changes, message="ours")

    assert (root / ".git" / "index").read_bytes() == git_encoding(root, tmp_path)
    assert git(root, "status", "--porcelain") == ""


names = st.lists(
    st.text(alphabet="ab/", min_size=1, max_size=6).map(str.encode), max_size=12, unique=True
).map(sorted)


def entries_of(paths: list[bytes]) -> list[bytes]:
    """Version 2 entries for ``paths`` (their fixed parts tell them apart)."""
    return [
        bytes([n % 256]) * 60
        + min(len(p), 0xFFF).to_bytes(2, "big")
        + p
        + bytes(((62 + len(p) + 8) & ~7) - 62 - len(p))
        for n, p in enumerate(paths)
    ]


@given(names, names, st.integers(min_value=0, max_value=12))
def test_a_splice_gives_the_bytes_of_encoding_the_whole_index(
    old_paths: list[bytes], put: list[bytes], at: int
) -> None:
    # Replace a run of the old paths by `put` (kept sorted: they go where they sort).
    start = min(at, len(old_paths))
    stop = min(start + len(put) % 3, len(old_paths))
    low = old_paths[start - 1] if start else b""
    high = old_paths[stop] if stop < len(old_paths) else None
    put = [p for p in put if p > low and (high is None or p < high)]
    new_paths = old_paths[:start] + put + old_paths[stop:]
    old_entries = entries_of(old_paths)
    new_entries = old_entries[:start] + entries_of(put) + old_entries[stop:]

    spliced = splice_v4(
        encode_all_v4(old_paths, old_entries),
        [(start, stop, entries_of(put))],
        new_paths,
        new_entries,
    )

    assert spliced == encode_all_v4(new_paths, new_entries)
    raw = b"".join(spliced or [])
    parsed = parse_v4_entries(raw, len(new_paths), 0, len(raw))
    assert (parsed.paths, parsed.entries) == (new_paths, new_entries)


def test_an_entry_dropping_more_than_the_previous_path_is_refused() -> None:
    entry = bytes(60) + (1).to_bytes(2, "big") + b"\x05a\x00"  # drops 5 bytes of ""
    raw = b"DIRC" + (4).to_bytes(4, "big") + (1).to_bytes(4, "big") + entry + bytes(20)

    with pytest.raises(ValueError, match="drops more"):
        parse_index(raw)
