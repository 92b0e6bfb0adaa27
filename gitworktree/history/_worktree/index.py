"""The index (``.git/index``): updating the entries of the paths a commit wrote.

After a commit is materialized, the index must hold the new blob id and the stat data
of every written file, so that ``git status`` is clean and a later plain ``git commit``
starts from our content.

Only the entries of the written paths are re-encoded; every other entry is kept as the
raw bytes it was (see `gitworktree.history._worktree.index_file`), and the cached trees of the
``TREE`` extension follow the commit (see `gitworktree.history._worktree.cache_tree`), in
index versions 2 to 4 alike; a sparse index is refused (see `IndexLock.read`). A split index (git's
``core.splitIndex``) is read with its shared index and written in split form (see
`gitworktree.history._worktree.split_index`).

The cached-tree functions are imported where an update uses them: reading the index
(``status``, ``diff``) needs none of them, and they would add to every such start.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.file import FileLocked, adjust_shared_perm
from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID
from dulwich.repo import Repo

from gitworktree.atomic import process_id, process_token, write_all
from gitworktree.errors import RepositoryError
from gitworktree.history._core.locks import lock_errors, wait_for_lock
from gitworktree.history._core.paths import encode_path
from gitworktree.history._core.plainfiles import read_plain_file
from gitworktree.history._core.processes import process_identity
from gitworktree.history._objects.rawtrees import EMPTY_TREE
from gitworktree.history._worktree.index_entries import parse_index_at
from gitworktree.history._worktree.index_file import (
    EntrySplice,
    IndexFile,
    cleanup_mode,
    encode_entry,
    note_written,
    remember,
    serialize_index,
    serialize_split,
    splice_index,
)

if TYPE_CHECKING:
    from dulwich.file import SharedPerm
    from dulwich.index import ConflictedIndexEntry
    from dulwich.index import IndexEntry as DulwichEntry

    from gitworktree.history._worktree.attributes import WorktreeFilters
    from gitworktree.history._worktree.cache_tree import CacheTree
    from gitworktree.history._worktree.index_file import IndexEntry
    from gitworktree.history._worktree.split_index import SplitIndexSettings, SplitLink


__all__ = [
    "INDEX_TEMP_INFIX",
    "IndexLock",
    "IndexUpdate",
    "TreeChange",
    "lock_marker",
    "lock_markers_of",
    "locked_index",
    "marker_name",
    "refresh_stat_data",
    "remove_lock_marker",
    "update_index_entries",
]

#: path -> (blob id as hex, stat of the file just written), or ``None`` to drop the entry.
IndexUpdate = Mapping[str, "tuple[str, os.stat_result] | None"]

_Entries = dict[bytes, "DulwichEntry | ConflictedIndexEntry"]

log = logging.getLogger("gitworktree")

#: The new index is written to ``index<INFIX><pid>`` and renamed over ``index``.
INDEX_TEMP_INFIX = ".gitworktree-"


class TreeChange:
    """The move of HEAD's tree that an index update follows.

    Give it to `IndexLock.apply` when the update writes every file that differs between
    ``old`` and ``new`` (a commit's or a reset's checkout), so that the cached trees of
    the directories involved become ``new``'s instead of being invalidated.

    A plain record rather than a frozen dataclass, whose methods would be built at every
    ``status`` start (this module reads the index too).
    """

    __slots__ = ("new", "old", "store")

    def __init__(self, store: BaseObjectStore, old: ObjectID | None, new: ObjectID) -> None:
        self.store = store
        self.old = old
        self.new = new


class IndexLock:
    """The index, locked (``index.lock`` held) until the `locked_index` block ends.

    Unlike git, which writes the new index into ``index.lock`` and renames it into place
    (so releasing the lock and publishing the index are one step), `apply` puts the new
    index in place while the lock is still held: a commit then moves its branch *after*
    the index is in place and releases the lock last (see `gitworktree.history._worktree.commit`).
    The lock file holds `lock_marker` so that a writer killed mid-write can be told from
    a live ``git`` (see `gitworktree.history._worktree.writelock`).
    """

    def __init__(self, index_path: Path, old: bytes | None) -> None:
        self._index_path = index_path
        self._old = old
        #: The parse of ``old``, once read: every check under the lock shares it.
        self._parsed: list[IndexFile | None] = []
        self.applied = False
        self.kept = False
        #: ``core.splitIndex`` as configured, if the writer read it: ``True`` writes a
        #: split index, ``False`` a whole one; ``None`` keeps the form the index has.
        self.split_index: bool | None = None
        #: ``splitIndex.*`` as configured, if the writer read them (git's defaults if not).
        self.split_settings: SplitIndexSettings | None = None
        #: The version a new index is written in (``index.version``, ``feature.manyFiles``),
        #: if the writer read it; an index that exists keeps its own, as git keeps it.
        self.new_version: int | None = None
        #: ``core.sharedRepository``: the files written are widened for the group by it.
        self.shared_perm: SharedPerm | None = None

    def configure(self, filters: WorktreeFilters) -> None:
        """Take the settings the index is written by from the config ``filters`` read:
        split form and its thresholds (``core.splitIndex``, ``splitIndex.*``), and the
        version of an index that does not exist yet.

        Call it before writing any file: a value git refuses refuses the write.

        Raises:
            RepositoryError: the config cannot be read, or holds such a value.
        """
        self.split_index = filters.split_index()
        if self._old is None:
            self.new_version = filters.new_index_version()
        current = self.read()
        split = current is not None and current.link is not None
        if self.split_index is True or (split and self.split_index is None):
            self.split_settings = filters.split_index_settings()

    def keep(self) -> None:
        """Keep the new index even if the block ends with an exception (the branch moved)."""
        self.kept = True

    def apply(
        self, updates: IndexUpdate, *, trees: TreeChange | None = None, same_ids: bool = False
    ) -> None:
        """Set or drop the entries of ``updates``, keeping every other entry as it was.

        The cached trees along the updated paths follow ``trees`` when given, and are
        invalidated otherwise; a stale cached tree would make a later ``git commit``
        write old trees.

        Args:
            updates: path -> (blob id, stat result of the written file) or ``None``.
            trees: the tree change the update completes, if it is a whole checkout.
            same_ids: every update gives an entry its own blob id again (new stat data
                only): the cached trees stay as they are.
        """
        if self.applied:
            raise RuntimeError("the index was already written under this lock")
        index = self.read()
        if index is None:
            self._apply_with_dulwich(updates)
            return
        if self._old is None and self.new_version == 4:
            # A new index in the version git would write it in (`index.version`,
            # `feature.manyFiles`).
            index = IndexFile(4, index.paths, index.entries, index.extended, index.extensions)
        # The paths stay the same list unless an entry is added or dropped (a commit that
        # only edits files): at 100,000 entries a copy is ~0.4 ms.
        paths, entries, extended = index.paths, list(index.entries), index.extended
        deltas: dict[bytes, int] = {}
        written: dict[bytes, bytes | None] = {}
        splices: list[EntrySplice] = []
        # From the last path back, so that each span's positions are still the old index's.
        for path, update in sorted(updates.items(), reverse=True):
            key = encode_path(path)
            start, stop = _span(paths, key)
            extended -= sum(1 for entry in entries[start:stop] if entry[60] & 0x40)
            new = [] if update is None else [encode_entry(key, update[0], update[1])]
            written[key] = new[0] if new else None
            entries[start:stop] = new
            splices.append(EntrySplice(start, stop, new))
            if len(new) != stop - start:
                if paths is index.paths:
                    paths = list(paths)
                paths[start:stop] = [key] * len(new)
                for directory in _directories_above(key):
                    deltas[directory] = deltas.get(directory, 0) + len(new) - (stop - start)
        cached = self._cached_trees(index)
        if cached is not None:
            from gitworktree.history._worktree.cache_tree import (
                follow_tree_moves,
                invalidate_paths,
                tree_moves,
            )

            if same_ids:
                pass  # no id changed: every cached tree still holds
            elif trees is not None:
                keys = [encode_path(path) for path in updates]
                moves = tree_moves(trees.store, trees.old, trees.new, keys)
                cached = follow_tree_moves(cached, moves, deltas)
            else:
                cached = invalidate_paths(cached, [encode_path(path) for path in updates])
        splices.reverse()
        changes = _changes_after(index.link, written)
        self._write(index, splices, paths, entries, extended, cached, changes)

    def read(self) -> IndexFile | None:
        """The index as it is now (empty if there is none); ``None`` for a format we do
        not patch.

        Raises:
            RepositoryError: if the index cannot be parsed, or is a split or sparse index.
        """
        if self.applied:
            raw = _read_or_none(self._index_path)
            return IndexFile.empty() if raw is None else parse_index_at(self._index_path, raw)
        if not self._parsed:
            raw = self._old
            self._parsed.append(
                IndexFile.empty() if raw is None else parse_index_at(self._index_path, raw)
            )
        return self._parsed[0]

    def matches_tree(self, tree: ObjectID | None) -> bool:
        """Whether the index's cached root tree vouches that its entries are ``tree``'s.

        ``None`` is an unborn branch: true for an empty index. Conservative: ``False``
        whenever the cached trees cannot tell (or the format is not ours to read).
        """
        index = self.read()
        if index is None:
            return False
        if tree is None:
            return not index.entries
        root = _parsed_trees(index)
        if root is None:
            return False
        return root.valid and root.sha == tree and root.entry_count == len(index.entries)

    def record_tree(self, store: BaseObjectStore, tree: ObjectID) -> None:
        """Write complete cached trees for ``tree``; the caller has checked that the
        index's entries are exactly ``tree``'s files. A no-op for formats we do not patch.
        """
        index = self.read()
        if index is None or index.has_conflicts():
            return
        from gitworktree.history._worktree.cache_tree import cache_tree_of

        cached = cache_tree_of(store, tree)
        if cached.entry_count != len(index.entries):
            return  # not the same files after all: leave the index alone
        changes = None if index.link is None else index.link.changes
        self._write(index, [], index.paths, index.entries, index.extended, cached, changes)

    def _cached_trees(self, index: IndexFile) -> CacheTree | None:
        if index.extension(b"TREE") is None:
            from gitworktree.history._worktree.cache_tree import CacheTree

            # An index with no entries holds the empty tree: start a record of it, so
            # that a repository's first commit leaves complete cached trees behind.
            return None if index.entries else CacheTree(b"", 0, EMPTY_TREE)
        return _parsed_trees(index)  # None if unreadable: dropped below, git rebuilds it

    def _write(
        self,
        index: IndexFile,
        splices: list[EntrySplice],
        paths: list[bytes],
        entries: list[bytes],
        extended: int,
        cached: CacheTree | None,
        changes: dict[bytes, bytes | None] | None,
    ) -> None:
        extensions = [(name, data) for name, data in index.extensions if name != b"TREE"]
        if cached is not None:
            from gitworktree.history._worktree.cache_tree import serialize_cache_tree

            extensions.insert(0, (b"TREE", serialize_cache_tree(cached)))
        split = self.split_index is True or (index.link is not None and self.split_index is None)
        if split and index.version != 4:  # git's split form in version 4 is not ours to write
            whole = IndexFile(index.version, paths, entries, extended, extensions)
            written = self._in_split_form(whole, index.link, changes)
        else:
            written = splice_index(
                index, splices, paths, entries, extended, extensions
            ) or serialize_index(index.version, paths, entries, extended, extensions)
        if cached is not None:
            written.cache_tree_memo().append(cached)
        if index.known_without_conflicts():
            # Only stage-0 entries were added (`encode_entry`): the next commit's check
            # for unmerged paths need not scan every entry again.
            written.without_conflicts()
        self._place(written.raw)
        remember(str(self._index_path), written)
        with contextlib.suppress(OSError):  # still under index.lock: the file is ours
            note_written(str(self._index_path), os.stat(self._index_path))

    def _in_split_form(
        self,
        whole: IndexFile,
        link: SplitLink | None,
        changes: dict[bytes, bytes | None] | None,
    ) -> IndexFile:
        """``whole`` (not serialized) as a split index: over the same shared index until
        ``splitIndex.maxPercentChange`` says the split file holds too many entries, else
        over a new shared index of every entry. Only the second serializes every entry."""
        from gitworktree.history._worktree.split_index import (
            SplitIndexSettings,
            SplitLink,
            freshen_shared_index,
            split_entry_count,
            write_shared_index,
        )

        settings = self.split_settings or SplitIndexSettings()
        directory = str(self._index_path.parent)
        if (
            link is not None
            and changes is not None
            and not settings.needs_new_shared_index(split_entry_count(changes), len(whole.entries))
        ):
            split = serialize_split(whole, link, changes)
            if split is not None and freshen_shared_index(directory, link.shared_id):
                return split
        shared = serialize_index(whole.version, whole.paths, whole.entries, whole.extended, [])
        in_use = None if link is None else link.shared_id  # the index put back names it
        shared_id = write_shared_index(
            directory, shared.raw, self.shared_perm, in_use, settings.expire_after
        )
        fresh = SplitLink(shared_id, whole.paths, whole.entries, {})
        return serialize_split(whole, fresh, {}) or whole  # no changes: never None

    def _apply_with_dulwich(self, updates: IndexUpdate) -> None:
        """Rewrite the whole index through dulwich (formats we do not patch)."""
        from dulwich.index import IndexChecksumWriter, index_entry_from_stat, write_index_dict

        entries, version = self._read_with_dulwich()
        for path, update in updates.items():
            key = encode_path(path)
            if update is None:
                entries.pop(key, None)
            else:
                sha, stat_result = update
                entries[key] = index_entry_from_stat(stat_result, ObjectID(sha.encode("ascii")))
        buffer = io.BytesIO()
        writer = IndexChecksumWriter(buffer)
        write_index_dict(writer, entries, version=version)
        writer.write_checksum()
        self._place(buffer.getvalue())

    def _place(self, raw: bytes) -> None:
        """Replace the index with ``raw`` by a rename: readers see the old or the new."""
        _replace_file(self._index_path, raw, self.shared_perm)
        self.applied = True

    def restore(self) -> None:
        """Put back the index as it was when the lock was taken (if `apply` replaced it)."""
        if not self.applied:
            return
        if self._old is None:
            self._index_path.unlink(missing_ok=True)
        else:
            _replace_file(self._index_path, self._old, self.shared_perm)
        self.applied = False

    def _read_with_dulwich(self) -> tuple[_Entries, int]:
        from dulwich.index import DEFAULT_VERSION, IndexChecksumReader, read_index_dict_with_version

        found = read_plain_file(self._index_path)
        if found is None:
            return {}, DEFAULT_VERSION
        try:
            entries, version, _extensions = read_index_dict_with_version(
                IndexChecksumReader(io.BytesIO(found[0]))
            )
        except Exception as err:
            raise RepositoryError(
                self._index_path, f"cannot read the index ({err}); `git status` may repair it"
            ) from err
        return entries, version


def _parsed_trees(index: IndexFile) -> CacheTree | None:
    """The index's cached trees (its ``TREE`` extension) parsed, once per index: the
    records are never changed, only copied (see `gitworktree.history._worktree.cache_tree`).
    ``None`` if it has none or they cannot be read."""
    memo = index.cache_tree_memo()
    if not memo:
        data = index.extension(b"TREE")
        if data is None:
            return None
        from gitworktree.history._worktree.cache_tree import parse_cache_tree

        try:
            memo.append(parse_cache_tree(data))
        except ValueError:
            return None
    return memo[0]


def _changes_after(
    link: SplitLink | None, written: Mapping[bytes, bytes | None]
) -> dict[bytes, bytes | None] | None:
    """A split index's changes against its shared index once ``written`` is applied."""
    if link is None or link.changes is None:
        return None
    changes = dict(link.changes)
    for path, entry in written.items():
        at = bisect_left(link.shared_paths, path)
        if entry is None and not (at < len(link.shared_paths) and link.shared_paths[at] == path):
            changes.pop(path, None)  # added since the shared index, and gone again
        else:
            changes[path] = entry
    return changes


def _span(paths: list[bytes], path: bytes) -> tuple[int, int]:
    """Where ``path``'s entries (all stages) are in the sorted ``paths``."""
    return bisect_left(paths, path), bisect_right(paths, path)


def _directories_above(path: bytes) -> Iterator[bytes]:
    """``b""`` and every directory containing ``path``."""
    yield b""
    at = path.find(b"/")
    while at >= 0:
        yield path[:at]
        at = path.find(b"/", at + 1)


@contextmanager
def locked_index(repo: Repo) -> Iterator[IndexLock]:
    """Hold the index lock for the duration of the block.

    Taking the lock first lets a commit fail on a held ``index.lock`` before it publishes
    anything. `IndexLock.apply` puts the new index in place at once; the lock is released
    when the block ends. On an exception the index is put back as it was, unless the
    block has called `IndexLock.keep` (a commit whose branch has moved keeps its index).

    Raises:
        dulwich.file.FileLocked: if ``index.lock`` exists.
    """
    index_path = Path(repo.index_path())
    lock_path = index_path.with_name(index_path.name + ".lock")
    wait_for_lock(lambda: _create_lock(index_path, lock_path))
    try:
        index = IndexLock(index_path, _read_or_none(index_path))
        index.shared_perm = getattr(repo.object_store, "shared_perm", None)
        index.read()  # refuse an index we cannot update before anything is written
        try:
            yield index
        except BaseException:
            if not index.kept:
                _put_back(index)
            raise
    finally:
        _release_lock(lock_path)


def _put_back(index: IndexLock) -> None:
    try:
        index.restore()
    except OSError as error:
        log.warning(
            "could not put the index back after a write that did not land (%s); "
            "`git reset` rebuilds it from HEAD",
            error,
        )


def lock_marker() -> bytes:
    """What our ``index.lock`` holds: this process's id, so a stale one can be told apart."""
    return b"gitworktree " + process_identity().encode("ascii") + b"\n"


def _create_lock(index_path: Path, lock_path: Path) -> None:
    """Create ``index.lock`` holding `lock_marker`, in one step.

    The marker is a file of our own (``index.lock.gitworktree-<pid>``), hard-linked as
    the lock: the link fails if the lock exists (as ``O_EXCL`` would), and a lock that
    exists is never without its marker, even if we are killed at any instant. The
    marker says the same for the whole life of the process, so it is written once and
    kept (creating a file cost 0.3-0.7 ms on a busy disk, each commit): it goes when
    the process exits, or with the next writer's clean-up if the process is killed.
    """
    marker = lock_path.with_name(marker_name(lock_path.name, process_id(), process_token()))
    if marker not in _KEPT_MARKERS:
        _write_marker(marker)
    try:
        os.link(marker, lock_path)
    except FileExistsError:
        raise FileLocked(os.fsencode(index_path), os.fsencode(lock_path)) from None
    except FileNotFoundError:  # someone tidied it away since: written again
        _write_marker(marker)
        _link_lock(index_path, lock_path, marker)
    except OSError:  # no hard links on this file system: create it, then write
        _create_lock_without_link(index_path, lock_path)


def _link_lock(index_path: Path, lock_path: Path, marker: Path) -> None:
    try:
        os.link(marker, lock_path)
    except FileExistsError:
        raise FileLocked(os.fsencode(index_path), os.fsencode(lock_path)) from None
    except OSError:
        _create_lock_without_link(index_path, lock_path)


#: The lock markers this process wrote and keeps (see `_create_lock`).
_KEPT_MARKERS: set[Path] = set()


def _write_marker(marker: Path) -> None:
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, lock_marker())
    finally:
        os.close(fd)
    if marker not in _KEPT_MARKERS:
        _KEPT_MARKERS.add(marker)
        atexit.register(_remove_marker, marker, process_id())


def marker_name(lock_name: str, pid: int, token: str) -> str:
    """The name of a writer's ``index.lock`` marker: its pid and a token of its own (two
    processes in two containers can share a pid and a ``.git``)."""
    return f"{lock_name}{INDEX_TEMP_INFIX}{pid}.{token}"


def lock_markers_of(control_dir: Path, pid: int) -> list[Path]:
    """The ``index.lock`` markers of writers with ``pid`` (and the name used before the token)."""
    return [
        *control_dir.glob(marker_name("index.lock", pid, "*")),
        control_dir / f"index.lock{INDEX_TEMP_INFIX}{pid}",
    ]


def remove_lock_marker(control_dir: Path, pid: object) -> None:
    """Remove the ``index.lock`` markers writers with ``pid`` kept (a no-op if none)."""
    if isinstance(pid, int):
        for marker in lock_markers_of(control_dir, pid):
            with contextlib.suppress(OSError):
                marker.unlink()


def _remove_marker(marker: Path, pid: int) -> None:
    if pid == process_id():  # not a child's exit: the marker is its parent's
        with contextlib.suppress(OSError):
            marker.unlink()
    _KEPT_MARKERS.discard(marker)


def _create_lock_without_link(index_path: Path, lock_path: Path) -> None:
    try:
        fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise FileLocked(os.fsencode(index_path), os.fsencode(lock_path)) from None
    try:
        os.write(fd, lock_marker())
    finally:
        os.close(fd)


def _release_lock(lock_path: Path) -> None:
    try:
        lock_path.unlink()
    except FileNotFoundError:
        # Someone deleted our lock while we held it (a person's `rm .git/index.lock`):
        # whatever they did since is theirs; there is nothing left to release.
        log.warning("%s was removed by someone else while gitworktree held it", lock_path)
    except OSError as error:
        log.warning(
            "could not remove %s (%s); no other writer can update the index until it is "
            "deleted: delete it once no gitworktree or git process is running",
            lock_path,
            error,
        )


def _read_or_none(path: Path) -> bytes | None:
    found = read_plain_file(path)
    return None if found is None else found[0]


def _replace_file(path: Path, raw: bytes, shared_perm: SharedPerm | None = None) -> None:
    """Write ``raw`` to a temporary file next to ``path`` and rename it over ``path``.

    Like git's index, not flushed (``core.fsync`` leaves the index out by default): the
    index is a cache of HEAD plus stat data, and the objects and refs it names are.
    The temporary name carries our pid, so a killed writer's is recognized and removed.
    With ``shared_perm`` (``core.sharedRepository``) it is widened for the group as git
    widens its index, or a colleague's git could not read it under a private umask.
    """
    temp = path.with_name(f"{path.name}{INDEX_TEMP_INFIX}{process_id()}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:  # a plain descriptor: a buffered file object costs three more system calls
            write_all(fd, raw)
        finally:
            os.close(fd)
        adjust_shared_perm(temp, shared_perm)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def refresh_stat_data(repo: Repo, unchanged: Mapping[str, tuple[ObjectID, os.stat_result]]) -> bool:
    """Record the stat data of files found to hold their index entry's content, as
    ``git status`` and ``git diff`` do (see `StaleStats`), so that the next look trusts
    a ``stat`` instead of reading each of them again.

    Best effort, never waiting and never failing: nothing is written when ``index.lock``
    is held (a writer is at work) or the index was written since it was read here, when
    it holds a racily clean entry that may hide an edit (see `_holds_racily_clean`), or
    when anything goes wrong (the index is then left as it was). An entry that changed
    since the scan looked at it (another id or mode, a conflict, an extended or
    assume-valid flag) keeps its stat data. The cached trees stay: no blob id changes.

    Args:
        repo: a non-bare repository.
        unchanged: path -> (the blob id the file holds, its ``lstat`` before it was read).

    Returns:
        Whether the index was written.
    """
    index_path = Path(repo.index_path())
    try:
        found = read_plain_file(index_path)
        # Everything that reads files is done before the lock, as git does, so that a
        # person's git finds index.lock held for the time of a write, not of a scan.
        updates = None if found is None else _stat_updates(repo, index_path, found, unchanged)
    except Exception as error:  # a refresh is an optimization: it never fails a status
        log.debug("the index's stat data was not refreshed: %s", error)
        return False
    if found is None or not updates:
        return False
    lock_path = index_path.with_name(index_path.name + ".lock")
    try:
        _create_lock(index_path, lock_path)
    except (FileLocked, OSError):
        return False
    try:
        index = IndexLock(index_path, _read_or_none(index_path))
        if index._old != found[0]:
            return False  # written since it was read: the next look tries again
        index.shared_perm = getattr(repo.object_store, "shared_perm", None)
        try:
            index.apply(updates, same_ids=True)
        except BaseException:
            _put_back(index)
            raise
        return True
    except Exception as error:
        log.debug("the index's stat data was not refreshed: %s", error)
        return False
    finally:
        _release_lock(lock_path)


def _stat_updates(
    repo: Repo,
    index_path: Path,
    found: tuple[bytes, os.stat_result],
    unchanged: Mapping[str, tuple[ObjectID, os.stat_result]],
) -> IndexUpdate | None:
    """The entries of the index ``found`` (its bytes and stat) to give new stat data;
    ``None`` if the index is to be left alone."""
    current = IndexLock(index_path, found[0]).read()
    if current is None or current.link is not None:
        return None  # dulwich's format, or a split index: left for git to refresh
    entries = current.stage_zero()
    updates: dict[str, tuple[str, os.stat_result] | None] = {}
    for path, (sha, stat_result) in unchanged.items():
        entry = entries.get(path)
        if entry is None or entry.sha != sha or entry.flags & _KEEP_FLAGS:
            continue
        if entry.mode != cleanup_mode(stat_result.st_mode):
            continue  # a mode staged since (`git update-index --chmod`): it stays
        if (entry.ino, entry.mtime) == (stat_result.st_ino & 0xFFFFFFFF, _seconds(stat_result)):
            continue  # already recorded (someone refreshed it meanwhile)
        updates[path] = (sha.decode("ascii"), stat_result)
    if not updates or _holds_racily_clean(repo, current, updates, found[1].st_mtime_ns):
        return None
    return updates


def _holds_racily_clean(
    repo: Repo, index: IndexFile, refreshed: Mapping[str, object], written_ns: int
) -> bool:
    """Whether an entry the refresh leaves as it is may vouch for content its file does
    not hold once the index is written again: stamped in the second the index was
    written (git's "racily clean" entry, compared in seconds as git built without
    ``USE_NSEC`` compares it), its stat data still the file's, and its content not
    (or not provably) the file's.

    Such an entry is trusted only because it is racy: the file may have been edited in
    that same instant, keeping its size and mtime. Writing the index later would make
    it look settled, to us and to git, and hide the edit. git smudges it when it writes
    (``ce_smudge_racily_clean_entry``); a refresh just leaves the index alone.
    """
    second = written_ns // 1_000_000_000
    keys = {encode_path(path) for path in refreshed}
    suspects = [
        path
        for path, entry in zip(index.paths, index.entries, strict=True)
        if int.from_bytes(entry[8:12], "big") >= second and path not in keys
    ]
    if not suspects:
        return False
    from dulwich.objects import S_ISGITLINK

    from gitworktree.history._core.configfiles import FileStamp, settled
    from gitworktree.history._core.paths import decode_path
    from gitworktree.history._worktree.attributes import WorktreeFilters
    from gitworktree.history._worktree.status import worktree_entry

    root = Path(repo.path)
    entries = index.stage_zero()
    filters = WorktreeFilters.for_repo(repo)
    now_ns = time.time_ns()
    for key in suspects:
        path = decode_path(key)
        entry = entries.get(path)
        if entry is None or entry.flags & _KEEP_FLAGS or S_ISGITLINK(entry.mode):
            continue  # a conflict stage, or an entry whose stat data git does not trust
        try:
            stat_result = os.lstat(root / path)
        except OSError:
            continue  # gone: its stat data vouches for nothing
        if not _same_stat(entry, stat_result):
            continue  # looked at again whatever the index's mtime
        mtime = stat_result.st_mtime_ns
        if not settled(FileStamp(stat_result.st_ino, stat_result.st_size, mtime, mtime), now_ns):
            return True  # it could still change and keep its mtime
        if worktree_entry(root, path, None, 0, filters) != (entry.mode, entry.sha):
            return True
    return False


def _same_stat(entry: IndexEntry, stat_result: os.stat_result) -> bool:
    return (
        entry.mtime == _seconds(stat_result)
        and entry.size == stat_result.st_size & 0xFFFFFFFF
        and entry.ino == stat_result.st_ino & 0xFFFFFFFF
        and entry.mode == cleanup_mode(stat_result.st_mode)
    )


#: Entry flags a refresh must not rewrite: assume-valid and extended (skip-worktree,
#: intent-to-add). An entry that has them is left as it is.
_KEEP_FLAGS = 0x8000 | 0x4000


def _seconds(stat_result: os.stat_result) -> tuple[int, int]:
    """The mtime as the index stores it: (seconds, nanoseconds)."""
    return divmod(stat_result.st_mtime_ns, 1_000_000_000)


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
