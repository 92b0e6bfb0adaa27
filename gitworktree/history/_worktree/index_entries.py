"""The index read for a comparison: its stage-0 entries, and whether a file's stat still
vouches for one.

``status``, ``diff`` and a checkout's scan read the index without changing it; updating
it under ``index.lock`` (`gitworktree.history._worktree.index`) needs much more code,
which those commands need not load.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.repo import Repo

from gitworktree.errors import RepositoryError
from gitworktree.history._core.paths import decode_path
from gitworktree.history._core.plainfiles import read_plain_file
from gitworktree.history._worktree.index_file import (
    IndexEntry,
    IndexFile,
    UnsupportedIndexError,
    cleanup_mode,
    read_index_file,
    repair_advice,
)

if TYPE_CHECKING:
    from dulwich.index import IndexEntry as DulwichEntry

__all__ = ["entry_matches_stat", "parse_index_at", "read_index_entries"]


def parse_index_at(index_path: Path, raw: bytes) -> IndexFile | None:
    """The index file ``index_path`` holding ``raw``, parsed (the last parse is reused
    while the bytes are the same); ``None`` for an index version we do not know.

    Raises:
        RepositoryError: if it cannot be parsed, or uses a format we cannot update.
    """
    try:
        return read_index_file(str(index_path), raw)
    except UnsupportedIndexError as err:
        raise RepositoryError(
            index_path,
            f"the index uses {err}, which gitworktree cannot update; nothing was changed. "
            + repair_advice(err, index_path),
        ) from err
    except ValueError as err:
        raise RepositoryError(
            index_path, f"cannot read the index ({err}); {repair_advice(err, index_path)}"
        ) from err


def read_index_entries(repo: Repo) -> tuple[Mapping[str, IndexEntry], int]:
    """The index's stage-0 entries by path, and the index file's mtime in nanoseconds.

    Conflicted paths (stages 1-3) are left out. A missing index reads as empty. Entries
    are decoded only when looked up.

    Raises:
        RepositoryError: if the index cannot be parsed, or is a split or sparse index.
    """
    index_path = Path(repo.index_path())
    found = read_plain_file(index_path)
    if found is None:
        return {}, 0
    raw, mtime = found[0], found[1].st_mtime_ns
    parsed = parse_index_at(index_path, raw)
    if parsed is not None:
        return parsed.stage_zero(), mtime
    # Version 4, which dulwich reads (its index module is loaded for it alone).
    from dulwich.index import IndexChecksumReader, read_index_dict_with_version
    from dulwich.index import IndexEntry as DulwichEntry

    try:
        entries, _version, _extensions = read_index_dict_with_version(
            IndexChecksumReader(io.BytesIO(raw))
        )
    except Exception as err:
        raise RepositoryError(index_path, f"cannot read the index ({err})") from err
    return {
        decode_path(path): _ours(entry)
        for path, entry in entries.items()
        if isinstance(entry, DulwichEntry)
    }, mtime


def _ours(entry: DulwichEntry) -> IndexEntry:
    def pair(value: int | float | tuple[int, int]) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        nanoseconds = int(value * 1_000_000_000)
        return nanoseconds // 1_000_000_000, nanoseconds % 1_000_000_000

    return IndexEntry(
        pair(entry.ctime), pair(entry.mtime), entry.dev, entry.ino, entry.mode, entry.uid,
        entry.gid, entry.size, entry.sha, entry.flags, entry.extended_flags,
    )  # fmt: skip


def entry_matches_stat(entry: IndexEntry, stat_result: os.stat_result, index_mtime: int) -> bool:
    """Whether the file's stat data still vouches for the entry's blob id.

    As in git, a file modified in the same instant the index was written ("racily
    clean") is never trusted: its content must be hashed.

    Args:
        entry: the index entry of the path.
        stat_result: ``lstat`` of the file now.
        index_mtime: the index file's mtime in nanoseconds.
    """
    if stat_result.st_mtime_ns >= index_mtime:
        return False
    return (
        _nanoseconds(entry.mtime) == stat_result.st_mtime_ns
        and entry.size == stat_result.st_size & 0xFFFFFFFF
        and entry.ino == stat_result.st_ino & 0xFFFFFFFF
        and entry.mode == cleanup_mode(stat_result.st_mode)
    )


def _nanoseconds(value: int | float | tuple[int, int]) -> int:
    if isinstance(value, tuple):
        return value[0] * 1_000_000_000 + value[1]
    return int(value * 1_000_000_000)
