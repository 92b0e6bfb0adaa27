"""The index file's format (versions 2 to 4), parsed into raw entries and patched in place.

An index of 10,000 files is ~0.9 MB. dulwich reads and writes it as 10,000 Python
objects (~100 ms each way); git itself only rewrites the bytes. Here the file is split
once into its raw entries (one ``bytes`` each, sorted by path as git keeps them), so that
a commit replaces, inserts or drops only the entries of the paths it wrote. The new file
is then the old file's bytes with those entries spliced in (`splice_index`): the Python
work is O(changed entries), and the O(size) part — copying the unchanged runs and the
SHA-1 checksum, hashed on from the first byte that changed — runs in C.

The last parse is cached per index path and reused while the file's bytes are the same,
so consecutive commits do not parse it again (a changed file, written by git or anyone,
is parsed anew).

Version 4 (prefix-compressed paths) is parsed into the same version 2 form, its own
bytes kept beside it, and patched the same way (see
`gitworktree.history._worktree.index_v4`); a split index in version 4 is refused. A
split index (``link``) is merged with its shared index when read (see
`gitworktree.history._worktree.split_index`). A sparse index (``sdir``) or any other
required extension we do not know cannot be written correctly, and is refused
with `UnsupportedIndexError` before anything is changed.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import os
import stat
import struct
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from dulwich.objects import ObjectID

from gitworktree.history._core.plainfiles import read_plain_file
from gitworktree.history._worktree.index_layout import ChunkHashes, EntryOffsets, OffsetEdit

if TYPE_CHECKING:
    from gitworktree.history._worktree.cache_tree import CacheTree
    from gitworktree.history._worktree.split_index import SplitLink


__all__ = [
    "EntrySplice",
    "IndexEntry",
    "IndexFile",
    "SharedIndexError",
    "StageZeroEntries",
    "UnsupportedIndexError",
    "cleanup_mode",
    "decode_entry",
    "encode_entry",
    "note_written",
    "parse_index",
    "read_index_file",
    "read_index_if_changed",
    "remember",
    "repair_advice",
    "serialize_index",
    "serialize_split",
    "splice_index",
]

_SIGNATURE = b"DIRC"
_HEADER = struct.Struct(">4sII")
_FIXED = struct.Struct(">10I20sH")  # stat data, object id, flags: 62 bytes
_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF
_STAGE_SHIFT = 12
_U32 = 0xFFFFFFFF
#: Extensions we cannot keep once entries change: they hold offsets into the entries
#: (EOIE, IEOT), or state about files that a patch would make stale (UNTR, FSMN). They are
#: optional, so git rebuilds them when it wants them.
_DROPPED = frozenset({b"EOIE", b"IEOT", b"UNTR", b"FSMN"})
_KEPT = frozenset({b"TREE", b"REUC"})


class IndexEntry:
    """An index entry's fields, named as dulwich names them (its ``IndexEntry``).

    Our own type, so that reading the index (``status``, ``diff``) does not import
    dulwich's index module and what it brings along; a slotted class rather than a named
    tuple, whose class costs more to build at import (and whose instances are slower to
    make).
    """

    __slots__ = (
        "ctime",
        "dev",
        "extended_flags",
        "flags",
        "gid",
        "ino",
        "mode",
        "mtime",
        "sha",
        "size",
        "uid",
    )

    def __init__(
        self,
        ctime: tuple[int, int],
        mtime: tuple[int, int],
        dev: int,
        ino: int,
        mode: int,
        uid: int,
        gid: int,
        size: int,
        sha: ObjectID,
        flags: int = 0,
        extended_flags: int = 0,
    ) -> None:
        self.ctime = ctime
        self.mtime = mtime
        self.dev = dev
        self.ino = ino
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.sha = sha
        self.flags = flags
        self.extended_flags = extended_flags


_GITLINK = 0o160000


def cleanup_mode(mode: int) -> int:
    """The mode git records for a file whose ``st_mode`` is ``mode`` (as dulwich's
    ``cleanup_mode``): a link, a directory, a submodule, or a file, executable or not."""
    if stat.S_ISLNK(mode):
        return stat.S_IFLNK
    if stat.S_ISDIR(mode):
        return stat.S_IFDIR
    if stat.S_IFMT(mode) == _GITLINK:
        return _GITLINK
    return stat.S_IFREG | (0o755 if mode & 0o100 else 0o644)


class UnsupportedIndexError(ValueError):
    """The index uses a feature (a sparse index, say) that gitworktree cannot update."""


class IndexFile:
    """A parsed index: its version, raw entries, and extensions.

    Never changed once built (the memos below only fill in). A plain class rather than a
    frozen dataclass: building the dataclass's methods at import cost about a
    millisecond of every ``status`` and ``diff`` start.

    Attributes:
        version: 2, 3 or 4.
        paths: each entry's path, in file order (by path, then stage).
        entries: each entry's raw bytes, padding included.
        extended: how many entries carry extended flags (version 3 needs at least one).
        extensions: ``(signature, data)`` of each extension, in file order.
        raw: the bytes the file held (empty for an index that does not exist yet).
        link: for an index in split form, its shared index and what differs from it
            (``entries`` are then the whole index, merged).
        compressed: version 4: each entry's bytes in the file (``entries`` are in
            version 2 form).
    """

    __slots__ = (
        "_cache_tree",
        "_conflicts",
        "_hashes",
        "_offsets",
        "_stage_zero",
        "compressed",
        "entries",
        "extended",
        "extensions",
        "link",
        "paths",
        "raw",
        "version",
    )

    def __init__(
        self,
        version: int,
        paths: list[bytes],
        entries: list[bytes],
        extended: int,
        extensions: list[tuple[bytes, bytes]],
        raw: bytes = b"",
        link: SplitLink | None = None,
        *,
        _offsets: list[EntryOffsets] | None = None,
        _hashes: ChunkHashes | None = None,
        compressed: list[bytes] | None = None,
    ) -> None:
        self.version = version
        self.paths = paths
        self.entries = entries
        self.extended = extended
        self.extensions = extensions
        self.raw = raw
        self.link = link
        self.compressed = compressed
        self._stage_zero: list[StageZeroEntries] = []
        #: Whether an entry is at stage 1-3, once known: a commit asks before and under
        #: its lock, and the next index inherits the answer from this one
        #: (`without_conflicts`).
        self._conflicts: list[bool] = []
        #: Where each entry starts in ``raw``, once asked (`entry_offsets`).
        self._offsets: list[EntryOffsets] = [] if _offsets is None else _offsets
        #: SHA-1 states along ``raw``, saved when it was hashed (none if it was not).
        self._hashes = ChunkHashes() if _hashes is None else _hashes
        #: The ``TREE`` extension parsed, once asked (see `cache_tree_memo`).
        self._cache_tree: list[CacheTree] = []

    @classmethod
    def empty(cls) -> IndexFile:
        """The index of a repository nothing was added to yet."""
        return cls(2, [], [], 0, [])

    def extension(self, signature: bytes) -> bytes | None:
        """The data of extension ``signature``, if present."""
        for name, data in self.extensions:
            if name == signature:
                return data
        return None

    def has_conflicts(self) -> bool:
        """Whether any entry is at a stage other than 0 (an unresolved merge)."""
        if not self._conflicts:
            self._conflicts.append(any(entry[60] & 0x30 for entry in self.entries))
        return self._conflicts[0]

    def known_without_conflicts(self) -> bool:
        """Whether `has_conflicts` was asked and said no (an index built from this one
        by adding or dropping stage-0 entries has none either)."""
        return self._conflicts == [False]

    def without_conflicts(self) -> IndexFile:
        """Record that no entry is at a stage other than 0 (the caller knows it)."""
        if not self._conflicts:
            self._conflicts.append(False)
        return self

    def entry_offsets(self) -> EntryOffsets:
        """Where each entry starts in ``raw`` (computed once per parse, then kept up to
        date by `splice_index`); only for an index in whole form."""
        if not self._offsets:
            self._offsets.append(EntryOffsets.of(_HEADER.size, self.entries))
        return self._offsets[0]

    def cache_tree_memo(self) -> list[CacheTree]:
        """Where the parse of the ``TREE`` extension is kept once made (empty until then),
        so that consecutive commits do not parse every directory's record again."""
        return self._cache_tree

    def stage_zero(self) -> StageZeroEntries:
        """The stage-0 entries by decoded path (built once per parse)."""
        if not self._stage_zero:
            self._stage_zero.append(StageZeroEntries(self))
        return self._stage_zero[0]


class StageZeroEntries(Mapping[str, IndexEntry]):
    """An index's stage-0 entries by path, found by bisection and decoded on demand.

    Nothing is built up front, so looking up the few paths a commit or restore touches
    costs O(log n), not a pass over every entry.
    """

    def __init__(self, index: IndexFile) -> None:
        self._paths = index.paths
        self._entries = index.entries
        self._count: int | None = None

    def _position(self, path: object) -> int | None:
        if not isinstance(path, str):
            return None
        key = path.encode("utf-8", "surrogateescape")
        at = bisect.bisect_left(self._paths, key)
        while at < len(self._paths) and self._paths[at] == key:
            if not self._entries[at][60] & 0x30:
                return at
            at += 1
        return None

    def __getitem__(self, path: str) -> IndexEntry:
        at = self._position(path)
        if at is None:
            raise KeyError(path)
        return decode_entry(self._entries[at])

    def __contains__(self, path: object) -> bool:
        return self._position(path) is not None

    def __iter__(self) -> Iterator[str]:
        for path, entry in zip(self._paths, self._entries, strict=True):
            if not entry[60] & 0x30:
                yield path.decode("utf-8", "surrogateescape")

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for entry in self._entries if not entry[60] & 0x30)
        return self._count


class SharedIndexError(ValueError):
    """A split index whose shared index is missing or damaged, or that does not fit it.

    git cannot read such an index either (so ``git reset`` alone fails on it too).
    """


#: What turns a format we cannot update into one we can.
_TURN_OFF = {
    "a split index in index version 4": (
        "`git update-index --index-version 2` rewrites it in a version gitworktree updates"
    ),
    "a sparse index": "Turn it off with `git sparse-checkout disable`",
    "a split index over a version 4 shared index": (
        "Turn it off with `git update-index --no-split-index --index-version 2`"
    ),
}


def repair_advice(error: ValueError, index_path: str | os.PathLike[str]) -> str:
    """What to run to rebuild the unreadable index at ``index_path`` (``error`` says why),
    or to turn a format we do not update (`UnsupportedIndexError`) into one we do."""
    if isinstance(error, UnsupportedIndexError):
        remedy = _TURN_OFF.get(str(error), "`git update-index --index-version 2` rewrites it")
        return remedy + ", then retry"
    if isinstance(error, SharedIndexError):
        # git reads the index before it resets it, and dies on the same shared index.
        return (
            f"git cannot read it either: delete {os.fspath(index_path)}, then `git reset` "
            "rebuilds it from HEAD (the files in the work tree are kept)"
        )
    return "`git reset` rebuilds it from HEAD"


def parse_index(raw: bytes, directory: str | None = None) -> IndexFile | None:
    """Parse an index file (versions 2 to 4); ``None`` for a version we do not know.

    A version 4 split index is refused (see `gitworktree.history._worktree.index_v4`).

    A split index (git's ``link`` extension) is merged with its shared index, read
    from ``directory`` (the git directory); without one it is refused.

    Raises:
        UnsupportedIndexError: for a sparse index, an unknown required extension, or a
            split index when no ``directory`` is given or in version 4.
        ValueError: if the file is truncated, malformed, or its checksum is wrong, or a
            split index does not fit its shared index.
    """
    if len(raw) < _HEADER.size + 20:
        raise ValueError("the file is too short")
    signature, version, count = _HEADER.unpack_from(raw)
    if signature != _SIGNATURE:
        raise ValueError("not an index file")
    if version not in (2, 3, 4):
        return None
    checksum = raw[-20:]
    hashes = ChunkHashes()
    # Not checked if written with index.skipHash (the states are then left unsaved).
    if checksum != bytes(20) and hashes.resume([memoryview(raw)[:-20]]) != checksum:
        raise ValueError("checksum mismatch")
    body_end = len(raw) - 20
    compressed: list[bytes] | None = None
    if version == 4:
        from gitworktree.history._worktree.index_v4 import parse_v4_entries

        paths, entries, compressed, extended, pos = parse_v4_entries(
            raw, count, _HEADER.size, body_end
        )
    else:
        paths, entries, extended, pos = _parse_entries(raw, count, body_end)
    extensions = []
    link_data = None
    while pos < body_end:
        name = raw[pos : pos + 4]
        size = int.from_bytes(raw[pos + 4 : pos + 8], "big")
        if pos + 8 + size > body_end:
            raise ValueError("truncated extension")
        data = raw[pos + 8 : pos + 8 + size]
        pos += 8 + size
        if name == b"link" and version == 4:
            # Its replaced entries have their paths left out, which version 4's
            # prefix compression does not say how to read.
            raise UnsupportedIndexError("a split index in index version 4")
        if name == b"link" and directory is not None:
            link_data = data
            continue
        if name in (b"link", b"sdir") or not (name[:1].isupper() or name in _KEPT):
            raise UnsupportedIndexError(_required_kind(name))
        extensions.append((name, data))
    if link_data is None or directory is None:
        return IndexFile(
            version,
            paths,
            entries,
            extended,
            extensions,
            raw,
            _hashes=hashes,
            compressed=compressed,
        )
    # Imported with the first split index: most repositories never have one.
    from gitworktree.history._worktree.split_index import (
        SplitLink,
        load_shared_index,
        merge_split,
        parse_link,
    )

    try:
        if len(link_data) < 20:
            raise ValueError("the link extension is too short")
        shared_id = link_data[:20].hex()
        shared_paths, shared_entries = load_shared_index(directory, shared_id, _parse_shared)
        deleted, replaced = parse_link(link_data, len(shared_entries))
        merged_paths, merged, changes = merge_split(
            shared_paths, shared_entries, paths, entries, deleted, replaced
        )
    except UnsupportedIndexError:
        raise
    except ValueError as error:
        raise SharedIndexError(str(error)) from error
    extended = sum(1 for entry in merged if entry[60] & 0x40)
    link = SplitLink(shared_id, shared_paths, shared_entries, changes)
    return IndexFile(version, merged_paths, merged, extended, extensions, raw, link)


def _parse_entries(
    raw: bytes, count: int, body_end: int
) -> tuple[list[bytes], list[bytes], int, int]:
    """The paths and entries of a version 2 or 3 index, how many have extended flags,
    and where the entries end."""
    paths: list[bytes] = []
    entries: list[bytes] = []
    extended, pos = 0, _HEADER.size
    for _ in range(count):
        flags = (raw[pos + 60] << 8) | raw[pos + 61]
        start = pos + 62
        if flags & _EXTENDED:
            extended += 1
            start += 2
        length = flags & _NAME_MASK
        if length == _NAME_MASK:
            length = raw.index(b"\0", start + _NAME_MASK) - start
        stop = pos + ((start - pos + length + 8) & ~7)
        if stop > body_end:
            raise ValueError("truncated entry")
        paths.append(raw[start : start + length])
        entries.append(raw[pos:stop])
        pos = stop
    return paths, entries, extended, pos


def _check_order(paths: list[bytes], entries: list[bytes]) -> None:
    """Refuse entries out of git's order: by path, a path once, or at stages 1-3 rising.

    git keeps them so and lists such an index as it finds it; but a commit looks entries
    up by bisection and rebuilds the cache tree from their count, so a path listed twice
    (say) would leave an index whose cache tree git reads as another tree.

    Raises:
        ValueError: naming the first path out of order.
    """
    if all(map(operator.lt, paths, itertools.islice(paths, 1, None))):
        return  # the usual index: strictly rising, checked in C
    for at in range(1, len(paths)):
        before, path = paths[at - 1], paths[at]
        if before < path:
            continue
        stages = (entries[at - 1][60] >> 4) & 3, (entries[at][60] >> 4) & 3
        if before == path and 0 < stages[0] < stages[1]:
            continue  # the sides of a conflict
        raise ValueError(f"entries out of order or repeated at {path.decode('utf-8', 'replace')!r}")


def _required_kind(name: bytes) -> str:
    """What a required extension git wrote is, in the words of `UnsupportedIndexError`."""
    kind = {b"link": "a split index", b"sdir": "a sparse index"}.get(name)
    return kind or f"the required extension {name!r}"


def _parse_shared(raw: bytes) -> tuple[list[bytes], list[bytes]]:
    parsed = parse_index(raw)
    if parsed is None or parsed.version == 4:
        raise UnsupportedIndexError("a split index over a version 4 shared index")
    return parsed.paths, parsed.entries


def serialize_index(
    version: int,
    paths: list[bytes],
    entries: list[bytes],
    extended: int,
    extensions: list[tuple[bytes, bytes]],
) -> IndexFile:
    """An index file made of ``entries`` and ``extensions``: its bytes (checksum included)
    in ``raw``, and its parse.

    Version 3 is written as 2 when no entry needs extended flags, as git does. Optional
    extensions that would be stale (see ``_DROPPED``) are left out.
    """
    kept = _kept(extensions)
    if version == 4:
        from gitworktree.history._worktree.index_v4 import encode_all_v4

        return _v4_file(paths, entries, extended, kept, encode_all_v4(paths, entries))
    hashes = ChunkHashes()
    raw = _index_bytes(version, entries, extended, kept, hashes=hashes)
    return IndexFile(
        _written_version(version, extended), paths, entries, extended, kept, raw, _hashes=hashes
    )


def _v4_file(
    paths: list[bytes],
    entries: list[bytes],
    extended: int,
    extensions: list[tuple[bytes, bytes]],
    compressed: list[bytes],
) -> IndexFile:
    """A version 4 index of ``entries`` (version 2 form) whose bytes are ``compressed``.

    Hashed whole: in version 4 an entry's offset moves with every path before it, and
    SHA-1 over the ~0.6 MB of 10,000 entries takes about a millisecond.
    """
    header = _HEADER.pack(_SIGNATURE, 4, len(entries))
    body = b"".join([header, *compressed, *_extension_bytes(extensions)])
    raw = body + ChunkHashes().resume([body])
    return IndexFile(4, paths, entries, extended, extensions, raw, compressed=compressed)


class EntrySplice:
    """Entries ``start`` to ``stop`` (positions in the old index) replaced by ``entries``.

    A slotted class rather than a named tuple, whose class costs more to build at import.
    """

    __slots__ = ("entries", "start", "stop")

    def __init__(self, start: int, stop: int, entries: list[bytes]) -> None:
        self.start = start
        self.stop = stop
        self.entries = entries


def splice_index(
    base: IndexFile,
    splices: list[EntrySplice],
    paths: list[bytes],
    entries: list[bytes],
    extended: int,
    extensions: list[tuple[bytes, bytes]],
) -> IndexFile | None:
    """What `serialize_index` makes of ``entries`` and ``extensions``, made from ``base``'s
    bytes with only ``splices`` put in: O(changed entries) in Python, whatever the size.

    The unchanged runs of entries are copied from ``base.raw`` as they are, and the
    checksum is hashed on from the first byte that differs (`ChunkHashes`).

    Args:
        base: the index the splices are made on, read or written in whole form.
        splices: in order of position, not overlapping.
        paths: the new index's paths (``base``'s with the splices made).
        entries: the new index's entries (likewise).
        extended: how many of ``entries`` carry extended flags.
        extensions: the new index's extensions, as for `serialize_index`.

    Returns:
        The new index, or ``None`` if ``base`` holds no bytes to splice (a split index,
        or an index never read from or written to a file).
    """
    if base.link is not None or not base.raw:
        return None
    if base.compressed is not None:
        from gitworktree.history._worktree.index_v4 import splice_v4

        triples = [(splice.start, splice.stop, splice.entries) for splice in splices]
        compressed = splice_v4(base.compressed, triples, paths, entries)
        if compressed is None:
            return None
        return _v4_file(paths, entries, extended, _kept(extensions), compressed)
    offsets = base.entry_offsets()
    kept = _kept(extensions)
    version = _written_version(base.version, extended)
    old = memoryview(base.raw)
    header = _HEADER.pack(_SIGNATURE, version, len(entries))
    pieces: list[bytes | memoryview] = [header]
    end = offsets.at(len(base.entries))
    changed = end if header == old[: _HEADER.size] else 0
    edits: list[OffsetEdit] = []
    copied = _HEADER.size
    for splice in splices:
        start, stop = offsets.at(splice.start), offsets.at(splice.stop)
        pieces.append(old[copied:start])
        pieces.extend(splice.entries)
        copied = stop
        changed = min(changed, start)
        lengths = tuple(map(len, splice.entries))
        if lengths != tuple(map(len, base.entries[splice.start : splice.stop])):
            removed = splice.stop - splice.start
            edits.append(OffsetEdit(splice.start, removed, lengths, sum(lengths) - stop + start))
    pieces.append(old[copied:end])
    pieces.extend(_extension_bytes(kept))
    hashes = base._hashes.kept_before(changed)
    raw = b"".join([*pieces, hashes.resume(pieces)])
    # Made from the last splice back, each edit's positions are still the base's.
    after = offsets.after(edits[::-1], _HEADER.size, entries)
    return IndexFile(version, paths, entries, extended, kept, raw, _offsets=[after], _hashes=hashes)


def serialize_split(
    index: IndexFile,
    link: SplitLink,
    changes: dict[bytes, bytes | None],
) -> IndexFile | None:
    """``index`` (whole, merged) written in split form over ``link``'s shared index.

    Returns:
        The parse of the split file (``raw`` holds its bytes, the entries stay the whole
        index's), or ``None`` if ``changes`` touch a path with several shared entries.
    """
    from gitworktree.history._worktree.split_index import SplitLink, split_entries

    parts = split_entries(link, changes)
    if parts is None:
        return None
    _, split, link_data = parts
    split_extended = sum(1 for entry in split if entry[60] & 0x40)
    kept = _kept(index.extensions)
    raw = _index_bytes(index.version, split, split_extended, kept, link_data)
    return IndexFile(
        _written_version(index.version, index.extended),
        index.paths,
        index.entries,
        index.extended,
        kept,
        raw,
        SplitLink(link.shared_id, link.shared_paths, link.shared_entries, changes),
    )


def _kept(extensions: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (name, data)
        for name, data in extensions
        if name not in _DROPPED and (name[:1].isupper() or name in _KEPT)
    ]


def _written_version(version: int, extended: int) -> int:
    return 2 if version == 3 and not extended else version


def _index_bytes(
    version: int,
    entries: list[bytes],
    extended: int,
    extensions: list[tuple[bytes, bytes]],
    link: bytes | None = None,
    *,
    hashes: ChunkHashes | None = None,
) -> bytes:
    parts = [_HEADER.pack(_SIGNATURE, _written_version(version, extended), len(entries))]
    parts.extend(entries)
    if link is not None:  # first, as git writes it
        parts.extend(_extension_bytes([(b"link", link)]))
    parts.extend(_extension_bytes(extensions))
    body = b"".join(parts)
    return body + (hashes or ChunkHashes()).resume([body])


def _extension_bytes(extensions: list[tuple[bytes, bytes]]) -> Iterator[bytes]:
    for name, data in extensions:
        yield name + len(data).to_bytes(4, "big") + data


def encode_entry(path: bytes, sha: str, stat_result: os.stat_result) -> bytes:
    """The stage-0 entry git writes for ``path`` holding blob ``sha``, from its ``lstat``."""
    ctime, mtime = stat_result.st_ctime_ns, stat_result.st_mtime_ns
    fixed = _FIXED.pack(
        (ctime // 1_000_000_000) & _U32,
        ctime % 1_000_000_000,
        (mtime // 1_000_000_000) & _U32,
        mtime % 1_000_000_000,
        stat_result.st_dev & _U32,
        stat_result.st_ino & _U32,
        cleanup_mode(stat_result.st_mode),
        stat_result.st_uid & _U32,
        stat_result.st_gid & _U32,
        stat_result.st_size & _U32,
        bytes.fromhex(sha),
        min(len(path), _NAME_MASK),
    )
    size = (_FIXED.size + len(path) + 8) & ~7
    return fixed + path + bytes(size - _FIXED.size - len(path))


def decode_entry(entry: bytes) -> IndexEntry:
    """An entry's fields."""
    fields = _FIXED.unpack_from(entry)
    flags = fields[11]
    extended_flags = int.from_bytes(entry[62:64], "big") if flags & _EXTENDED else 0
    return IndexEntry(
        ctime=(fields[0], fields[1]),
        mtime=(fields[2], fields[3]),
        dev=fields[4],
        ino=fields[5],
        mode=fields[6],
        uid=fields[7],
        gid=fields[8],
        size=fields[9],
        sha=ObjectID(fields[10].hex().encode("ascii")),
        flags=flags & ~_NAME_MASK,
        extended_flags=extended_flags,
    )


_CACHE: dict[str, IndexFile] = {}
#: The stat of each cached index file when it was read or written (`read_index_if_changed`).
_STATS: dict[str, tuple[int, int, int, int]] = {}
_CACHE_LOCK = threading.Lock()


def read_index_file(path: str, raw: bytes) -> IndexFile | None:
    """Parse the bytes of the index at ``path``, reusing the last parse if they are equal.

    Raises:
        ValueError: as `parse_index`, or if the entries are not in git's order (a path
            listed twice, say), which a commit's bisection and cache tree rely on.
    """
    with _CACHE_LOCK:
        cached = _CACHE.get(path)
    if cached is not None and cached.raw == raw:
        return cached
    parsed = parse_index(raw, os.path.dirname(path))
    if parsed is not None:
        _check_order(parsed.paths, parsed.entries)
        remember(path, parsed)
    return parsed


def read_index_if_changed(path: str) -> IndexFile | None:
    """The index at ``path``, parsed; the last parse if the file looks unchanged since.

    "Looks unchanged": the same inode, size, and change and modification times as when
    that parse was read or written. For advisory reads only (a check made again under
    the index lock): a file rewritten in the same clock tick, at the same size, under a
    recycled inode number would be missed. ``None`` for a missing index or a format we
    do not patch.

    Raises:
        ValueError: as `parse_index`.
    """
    try:
        key = _stat_key(os.stat(path))  # one system call when nothing changed
    except (FileNotFoundError, NotADirectoryError):
        return None
    with _CACHE_LOCK:
        cached = _CACHE.get(path)
        known = _STATS.get(path)
    if cached is not None and known == key:
        return cached
    found = read_plain_file(path)
    if found is None:
        return None
    raw, key = found[0], _stat_key(found[1])
    parsed = read_index_file(path, raw)
    if parsed is not None:
        with _CACHE_LOCK:
            _STATS[path] = key
    return parsed


def note_written(path: str, stat_result: os.stat_result) -> None:
    """Record the stat of the index just written at ``path`` (see `read_index_if_changed`)."""
    with _CACHE_LOCK:
        _STATS[path] = _stat_key(stat_result)


def _stat_key(stat_result: os.stat_result) -> tuple[int, int, int, int]:
    return (
        stat_result.st_ino,
        stat_result.st_size,
        stat_result.st_mtime_ns,
        stat_result.st_ctime_ns,
    )


def remember(path: str, index: IndexFile) -> None:
    """Cache ``index`` as the parse of the file at ``path`` (after writing it)."""
    with _CACHE_LOCK:
        _CACHE[path] = index
        _STATS.pop(path, None)  # until `note_written` says which file holds it
