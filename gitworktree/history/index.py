"""The index (``.git/index``): updating the entries of the paths a commit wrote.

After a commit is materialized, the index must hold the new blob id and the stat data
of every written file, so that ``git status`` is clean and a later plain ``git commit``
starts from our content.

The body of `IndexLock.apply` reads and rewrites the whole file through dulwich, which is
O(entries). It is isolated here so that it can later be replaced by an in-place patch of
only the changed entries, without touching its callers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from dulwich.file import GitFile
from dulwich.index import (
    DEFAULT_VERSION,
    ConflictedIndexEntry,
    IndexChecksumReader,
    IndexChecksumWriter,
    IndexEntry,
    cleanup_mode,
    index_entry_from_stat,
    read_index_dict_with_version,
    write_index_dict,
)
from dulwich.objects import ObjectID
from dulwich.repo import Repo

from gitworktree.errors import RepositoryError
from gitworktree.history.locks import lock_errors, wait_for_lock
from gitworktree.history.paths import decode_path, encode_path

__all__ = [
    "IndexLock",
    "IndexUpdate",
    "entry_matches_stat",
    "locked_index",
    "read_index_entries",
    "update_index_entries",
]

#: path -> (blob id as hex, stat of the file just written), or ``None`` to drop the entry.
IndexUpdate = Mapping[str, "tuple[str, os.stat_result] | None"]

_Entries = dict[bytes, IndexEntry | ConflictedIndexEntry]


class IndexLock:
    """The index, locked (``index.lock`` held) until the `locked_index` block ends."""

    def __init__(self, index_path: Path, lock: IO[bytes]) -> None:
        self._index_path = index_path
        self._lock = lock
        self.applied = False

    def apply(self, updates: IndexUpdate) -> None:
        """Set or drop the entries of ``updates``, keeping every other entry as it was.

        The cached-tree and other optional cache extensions are dropped rather than kept
        stale: git rebuilds them, while a stale cached tree would make a later
        ``git commit`` write old trees.

        Args:
            updates: path -> (blob id, stat result of the written file) or ``None``.
        """
        if self.applied:
            raise RuntimeError("the index was already written under this lock")
        entries, version = self._read()
        for path, update in updates.items():
            key = encode_path(path)
            if update is None:
                entries.pop(key, None)
            else:
                sha, stat_result = update
                entries[key] = index_entry_from_stat(stat_result, ObjectID(sha.encode("ascii")))
        writer = IndexChecksumWriter(self._lock)
        write_index_dict(writer, entries, version=version)
        writer.write_checksum()
        self.applied = True

    def _read(self) -> tuple[_Entries, int]:
        try:
            handle = open(self._index_path, "rb")  # noqa: SIM115 - closed in finally
        except FileNotFoundError:
            return {}, DEFAULT_VERSION
        try:
            entries, version, _extensions = read_index_dict_with_version(
                IndexChecksumReader(handle)
            )
        except Exception as err:
            raise RepositoryError(
                self._index_path, f"cannot read the index ({err}); `git status` may repair it"
            ) from err
        finally:
            handle.close()
        return entries, version


@contextmanager
def locked_index(repo: Repo) -> Iterator[IndexLock]:
    """Hold the index lock for the duration of the block.

    Taking the lock first lets a commit fail on a stale ``index.lock`` before it publishes
    anything. The new index replaces the old one when the block ends, if `IndexLock.apply`
    was called; otherwise (or on an exception) the index is left untouched.

    Raises:
        dulwich.file.FileLocked: if ``index.lock`` exists.
    """
    index_path = Path(repo.index_path())
    lock = wait_for_lock(lambda: GitFile(index_path, "wb"))
    index = IndexLock(index_path, lock)
    try:
        yield index
    except BaseException:
        lock.abort()
        raise
    if index.applied:
        lock.close()
    else:
        lock.abort()


def update_index_entries(repo: Repo, updates: IndexUpdate) -> None:
    """Set or drop index entries for exactly the paths in ``updates``.

    Args:
        repo: a non-bare repository.
        updates: path -> (blob id, stat result of the written file) or ``None``.

    Raises:
        RepositoryError: if ``index.lock`` exists.
    """
    with lock_errors(), locked_index(repo) as index:
        index.apply(updates)


def read_index_entries(repo: Repo) -> tuple[dict[str, IndexEntry], int]:
    """The index's stage-0 entries by path, and the index file's mtime in nanoseconds.

    Conflicted paths (stages 1-3) are left out. A missing index reads as empty.

    Raises:
        RepositoryError: if the index cannot be parsed.
    """
    index_path = Path(repo.index_path())
    try:
        handle = open(index_path, "rb")  # noqa: SIM115 - closed in finally
    except FileNotFoundError:
        return {}, 0
    try:
        mtime = os.fstat(handle.fileno()).st_mtime_ns
        entries, _version, _extensions = read_index_dict_with_version(IndexChecksumReader(handle))
    except Exception as err:
        raise RepositoryError(index_path, f"cannot read the index ({err})") from err
    finally:
        handle.close()
    return {
        decode_path(path): entry for path, entry in entries.items() if isinstance(entry, IndexEntry)
    }, mtime


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
