"""Tree objects kept as raw entries: found by bisection, edited by splicing, cached by id.

dulwich's `Tree` turns every entry into Python objects and serializes them all again: a
directory of 10,000 files costs ~25 ms per new tree, which is most of a commit. Here a
tree is the list of its raw entries (``b"<mode> <name>\\0<20-byte id>"``) beside the list
of their sort keys, so that looking up, replacing, adding or deleting an entry is a
bisection and a list operation, and writing the new tree is one ``join``, one SHA-1 and
one zlib call, all in C. A tree never changes once written, so parsed trees are cached by
id: a commit after a commit does not parse its directories again.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import stat
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator

from dulwich.errors import ObjectFormatException
from dulwich.file import adjust_shared_perm
from dulwich.object_store import BaseObjectStore, DiskObjectStore
from dulwich.objects import Blob, ObjectID, ShaFile, Tree, object_class

from gitworktree.atomic import process_id, unique_token, write_all
from gitworktree.errors import UntrustedTreeError
from gitworktree.history._core.damage import damaged, load_object
from gitworktree.history._core.looseobjects import read_loose_raw
from gitworktree.history._core.paths import decode_path
from gitworktree.history._core.untrusted import (
    DIRECTORY_MODES,
    KNOWN_MODES,
    MAX_NAME_BYTES,
    entry_problem,
)

__all__ = [
    "EMPTY_TREE",
    "RawTree",
    "TreeDiff",
    "blob_content",
    "diff_tree_files",
    "diff_tree_paths",
    "has_object",
    "iter_tree_files",
    "lookup_path",
    "read_tree",
    "write_blob",
    "write_object",
    "write_tree",
]

#: The id of the tree with no entries.
EMPTY_TREE = ObjectID(b"4b825dc642cb6eb9a060e54bf8d69288fbee4904")

#: git's default ``core.looseCompression`` (dulwich's default is zlib's, 6: 2-3x slower).
_GIT_LOOSE_COMPRESSION = 1

#: Loose objects at least this large are stored uncompressed (zlib level 0) unless the
#: repository sets a level: a 10,000-entry tree took ~9 ms to deflate at level 1 (most of
#: a commit) and ~0.2 ms stored, for ~1.7x its bytes on disk (its entries' object ids do
#: not compress). The auto-pack (``housekeeping.py``) recompresses them into a pack, so
#: the extra bytes last only until the next pack; git reads level-0 objects as any other.
_STORED_FROM = 64 * 1024

#: path -> (old ``(mode, id)`` or ``None``, new ``(mode, id)`` or ``None``).
TreeDiff = dict[str, tuple[tuple[int, ObjectID] | None, tuple[int, ObjectID] | None]]


class RawTree:
    """The entries of one tree object, in git's order.

    A tree read with `read_tree` is shared through the cache and must not be edited:
    edit a `copy`. ``keys[i]`` is entry ``i``'s name, with a ``/`` appended for a
    directory: exactly the order git sorts tree entries in.
    """

    __slots__ = ("_raw", "entries", "id", "keys")

    def __init__(
        self, keys: list[bytes], entries: list[bytes], tree_id: ObjectID | None = None
    ) -> None:
        self.keys = keys
        self.entries = entries
        self.id = tree_id
        self._raw: bytes | None = None

    @classmethod
    def parse(cls, raw: bytes, tree_id: ObjectID | None = None) -> RawTree:
        """Split the body of a tree object into its entries, checking every entry.

        A tree may come from anyone (a remote, another tool, a damaged repository), so
        each entry must pass git's own rules (`gitworktree.history._core.untrusted`) before any
        caller sees its name. All names are scanned at once by a few substring searches;
        only a tree with a suspect name (``.gitignore``, say) is checked entry by entry.

        Raises:
            UntrustedTreeError: for an entry git would refuse (``..``, ``.git``, a ``/``
                inside a name, a duplicate name, an unknown mode, ...).
            ValueError: if ``raw`` is not a well-formed tree body.
        """
        keys: list[bytes] = []
        names: list[bytes] = []
        modes: set[bytes] = set()
        entries: list[bytes] = []
        find, end, pos = raw.find, len(raw), 0
        while pos < end:
            space = find(b" ", pos)
            nul = find(b"\0", space)
            stop = nul + 21
            if space < 0 or nul < 0 or stop > end:
                raise ValueError("truncated tree entry")
            name = raw[space + 1 : nul]
            mode = raw[pos:space]
            modes.add(mode)
            names.append(name)
            keys.append(name + b"/" if mode in DIRECTORY_MODES else name)
            entries.append(raw[pos:stop])
            pos = stop
        tree = cls(keys, entries, tree_id)
        if not modes <= KNOWN_MODES or _looks_suspect(names):
            tree._check_each_entry()
        if len(set(names)) != len(names):
            tree._refuse_duplicate(names)
        if sorted(keys) != keys:
            tree._sort()  # not canonical (another tool wrote it): git's order when rewritten
        else:
            tree._raw = raw
        return tree

    def _check_each_entry(self) -> None:
        for entry in self.entries:
            space = entry.index(b" ")
            problem = entry_problem(entry[space + 1 : -21], entry[:space])
            if problem is not None:
                self._refuse(entry[space + 1 : -21], problem)

    def _refuse_duplicate(self, names: list[bytes]) -> None:
        seen: set[bytes] = set()
        for name in names:
            if name in seen:
                self._refuse(name, "appears twice in one directory")
            seen.add(name)

    def _refuse(self, name: bytes, problem: str) -> None:
        tree = None if self.id is None else self.id.decode("ascii")
        raise UntrustedTreeError(decode_path(name), problem, tree=tree)

    def _sort(self) -> None:
        pairs = sorted(zip(self.keys, self.entries, strict=True))
        self.keys = [key for key, _ in pairs]
        self.entries = [entry for _, entry in pairs]
        self._raw = None

    def __len__(self) -> int:
        return len(self.entries)

    def copy(self) -> RawTree:
        """An editable copy (the entries themselves are shared: they are immutable bytes)."""
        return RawTree(list(self.keys), list(self.entries))

    def raw(self) -> bytes:
        """The tree object's body."""
        if self._raw is None:
            self._raw = b"".join(self.entries)
        return self._raw

    def _position(self, name: bytes) -> int | None:
        keys = self.keys
        for key in (name, name + b"/"):
            at = bisect.bisect_left(keys, key)
            if at < len(keys) and keys[at] == key:
                return at
        return None

    def get(self, name: bytes) -> tuple[int, ObjectID] | None:
        """``(mode, id)`` of the entry called ``name``, or ``None``."""
        at = self._position(name)
        return None if at is None else _split_entry(self.entries[at])[1:]

    def set(self, name: bytes, mode: int, sha: ObjectID) -> None:
        """Add the entry ``name``, replacing any entry (file or directory) of that name."""
        self.delete(name)
        key = name + b"/" if stat.S_ISDIR(mode) else name
        at = bisect.bisect_left(self.keys, key)
        self.keys.insert(at, key)
        self.entries.insert(at, b"%o %s\0%s" % (mode, name, bytes.fromhex(sha.decode("ascii"))))
        self._invalidate()

    def delete(self, name: bytes) -> bool:
        """Remove the entry ``name``; whether there was one."""
        at = self._position(name)
        if at is None:
            return False
        del self.keys[at]
        del self.entries[at]
        self._invalidate()
        return True

    def _invalidate(self) -> None:
        self._raw = None
        self.id = None

    def items(self) -> Iterator[tuple[bytes, int, ObjectID]]:
        """``(name, mode, id)`` of every entry, in git's order."""
        for entry in self.entries:
            yield _split_entry(entry)

    def seal(self) -> ObjectID:
        """Compute (and remember) the id of the tree as it is now."""
        if self.id is None:
            raw = self.raw()
            digest = hashlib.sha1(b"tree %d\0" % len(raw), usedforsecurity=False)
            digest.update(raw)
            self.id = ObjectID(digest.hexdigest().encode("ascii"))
        return self.id


def _split_entry(entry: bytes) -> tuple[bytes, int, ObjectID]:
    space = entry.index(b" ")
    return (
        entry[space + 1 : -21],
        int(entry[:space], 8),
        ObjectID(entry[-20:].hex().encode("ascii")),
    )


#: What a name (framed by NULs) must contain or start with to be checked closely: the
#: separators, the ``~`` of NTFS short names, and the first bytes of ``.git`` spellings
#: (a dot, the lead bytes of the code points HFS+ ignores); or an empty name.
_SUSPECT_BYTES = (b"/", b"\\", b"~", b"\0.", b"\0\xe2", b"\0\xef", b"\0\0")


def _looks_suspect(names: list[bytes]) -> bool:
    """Whether any name needs `entry_problem`: a few substring searches, at C speed."""
    if not names:
        return False
    framed = b"\0" + b"\0".join(names) + b"\0"
    return (
        any(suspect in framed for suspect in _SUSPECT_BYTES)
        or max(map(len, names)) > MAX_NAME_BYTES
    )


#: Bytes a cached entry costs beyond its raw bytes (two bytes objects and list slots).
_ENTRY_OVERHEAD = 128


class _TreeCache:
    """Parsed trees by id, least recently used first out, bounded by their raw size."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._trees: OrderedDict[ObjectID, RawTree] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tree_id: ObjectID) -> RawTree | None:
        with self._lock:
            tree = self._trees.get(tree_id)
            if tree is not None:
                self._trees.move_to_end(tree_id)
            return tree

    def put(self, tree: RawTree) -> None:
        assert tree.id is not None
        size = len(tree.raw()) + _ENTRY_OVERHEAD * len(tree)
        with self._lock:
            if tree.id in self._trees:
                return
            self._trees[tree.id] = tree
            self._size += size
            while self._size > self._limit and len(self._trees) > 1:
                _, old = self._trees.popitem(last=False)
                self._size -= len(old.raw()) + _ENTRY_OVERHEAD * len(old)


_CACHE = _TreeCache(limit=64 * 1024 * 1024)
_EMPTY = RawTree([], [], EMPTY_TREE)


def read_tree(store: BaseObjectStore, tree_id: ObjectID) -> RawTree:
    """The tree ``tree_id`` (shared and cached: `RawTree.copy` it before editing).

    Raises:
        KeyError: if the store has no such object.
        RepositoryError: if the object is not a well-formed tree (``reason="damaged"``,
            ``path`` its id).
        UntrustedTreeError: if an entry breaks git's rules for names (never cached).
    """
    cached = _CACHE.get(tree_id)
    if cached is not None:
        return cached
    if tree_id == EMPTY_TREE:
        return _EMPTY  # git knows it without storing it
    raw = _read_loose(store, tree_id, Tree)
    if raw is None:
        type_num, raw = store.get_raw(tree_id)
        if type_num != Tree.type_num:  # a commit naming a blob or commit as its tree
            found = object_class(type_num)
            kind = found.type_name.decode() if found else "?"
            raise damaged(tree_id.decode("ascii"), f"this object is a {kind}, not a tree")
    try:
        tree = RawTree.parse(raw, tree_id)
    except UntrustedTreeError:
        raise
    except ValueError as err:
        raise damaged(tree_id.decode("ascii"), f"this tree is malformed ({err})") from err
    _CACHE.put(tree)
    return tree


def _loose_path(store: DiskObjectStore, sha: ObjectID) -> str:
    text = sha.decode("ascii")
    return os.path.join(os.fspath(store.path), text[:2], text[2:])


def blob_content(store: BaseObjectStore, blob_id: ObjectID) -> bytes:
    """The content of blob ``blob_id``.

    A loose blob is read directly: dulwich looks in its packs first and, on a miss,
    lists the pack directory again, which made reading 10,000 loose blobs ~3x slower.

    Raises:
        MissingObjectError: if the store has no such object.
        dulwich.errors.WrongObjectException: if it is another kind of object.
    """
    data = _read_loose(store, blob_id, Blob)
    if data is None:
        data = load_object(store, blob_id, Blob).as_raw_string()
    return data


def _read_loose(store: BaseObjectStore, sha: ObjectID, kind: type[ShaFile]) -> bytes | None:
    """The content of loose object ``sha`` if it is a ``kind``, read directly; ``None`` if
    it is not loose here or another kind (dulwich then finds it and says what it is).

    Raises:
        RepositoryError: if the object is damaged (``reason="damaged"``): no valid
            header, not zlib, or not the size its header gives (a zlib bomb is refused
            before it is inflated), or its file is a FIFO or device.
    """
    try:
        found = read_loose_raw(store, sha)
    except ObjectFormatException as err:
        raise damaged(sha.decode("ascii"), str(err)) from err
    if found is None or found[0] != kind.type_num:
        return None
    return found[1]


def has_object(store: BaseObjectStore, sha: ObjectID) -> bool:
    """Whether the store holds ``sha`` (without parsing it, unlike ``sha in store``).

    An object only in an alternate store may be reported missing: writing it again is
    harmless.
    """
    if isinstance(store, DiskObjectStore) and len(sha) == 40:
        return os.path.exists(_loose_path(store, sha)) or store.contains_packed(sha)
    return sha in store


def write_tree(store: BaseObjectStore, tree: RawTree) -> ObjectID:
    """Store ``tree`` (unless it is there already) and return its id."""
    tree_id = tree.seal()
    if isinstance(store, DiskObjectStore):
        _write_loose(store, tree_id, b"tree %d\0" % len(tree.raw()), tree.raw())
    elif tree_id not in store:
        store.add_object(Tree.from_raw_string(Tree.type_num, tree.raw()))
    _CACHE.put(tree)
    return tree_id


def write_blob(store: BaseObjectStore, data: bytes) -> ObjectID:
    """Store a blob of ``data`` (unless it is there already) and return its id.

    Written as git writes loose objects (see `_write_loose`): dulwich's ``add_object``
    compresses at zlib's default level, 2-3x slower for the same object.
    """
    return write_object(store, Blob, data)


def write_object(store: BaseObjectStore, kind: type[ShaFile], body: bytes) -> ObjectID:
    """Store the object of type ``kind`` (`Blob`, `Commit`, ...) whose body is ``body``,
    already serialized (unless it is there already), and return its id."""
    header = b"%s %d\0" % (kind.type_name, len(body))
    digest = hashlib.sha1(header, usedforsecurity=False)
    digest.update(body)
    object_id = ObjectID(digest.hexdigest().encode("ascii"))
    if isinstance(store, DiskObjectStore):
        _write_loose(store, object_id, header, body)
    elif object_id not in store:
        store.add_object(kind.from_raw_string(kind.type_num, body))
    return object_id


def _write_loose(store: DiskObjectStore, sha: ObjectID, header: bytes, body: bytes) -> None:
    """Write a loose object as git does: compressed, read-only, renamed into place.

    Seven system calls for a new object: the freshening ``utime`` that finds it missing,
    the temporary file's open, write and close, and the rename (the fan-out directory is
    made only when the open finds it missing, as git does). An object already there is
    freshened instead, so that a concurrent ``git gc`` keeps it; one that exists only
    in a pack is written loose again, which is harmless. ``core.sharedRepository`` is
    honoured as dulwich honours it.
    """
    path = _loose_path(store, sha)
    try:
        os.utime(path)  # there already: freshen it, so that a concurrent gc keeps it
        return
    except FileNotFoundError:
        pass
    except PermissionError:
        pass  # another user's object in a shared repository: written anew below
    level = store.loose_compression_level
    if level == -1:
        level = 0 if len(body) >= _STORED_FROM else _GIT_LOOSE_COMPRESSION
    compressor = zlib.compressobj(level)
    # Written as three pieces: joining them would copy the whole object once more.
    data = (compressor.compress(header), compressor.compress(body), compressor.flush())
    directory = os.path.dirname(path)
    shared = getattr(store, "shared_perm", None)
    temp = os.path.join(directory, f"tmp_obj_{process_id()}_{unique_token()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        fd = os.open(temp, flags, 0o444)
    except FileNotFoundError:  # the first object of this fan-out directory
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory)
            if shared:
                adjust_shared_perm(directory, shared)
        fd = os.open(temp, flags, 0o444)
    try:
        try:
            write_all(fd, *data)
            if store.fsync_object_files:
                os.fsync(fd)
        finally:
            os.close(fd)
        if shared:
            adjust_shared_perm(temp, shared)
        os.replace(temp, path)  # a concurrent writer of the same id wrote the same bytes
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _read_at(store: BaseObjectStore, tree_id: ObjectID, prefix: str) -> RawTree:
    """`read_tree`, naming the full path of a refused entry (the tree's own path ``prefix``)."""
    try:
        return read_tree(store, tree_id)
    except UntrustedTreeError as error:
        raise error.located(prefix=prefix) from None


def lookup_path(
    store: BaseObjectStore, tree_id: ObjectID, path: bytes
) -> tuple[int, ObjectID] | None:
    """``(mode, id)`` at the ``/``-separated ``path`` below ``tree_id`` (``b""``: the tree)."""
    mode, sha = stat.S_IFDIR, tree_id
    parts = path.split(b"/") if path else []
    for depth, part in enumerate(parts):
        if not stat.S_ISDIR(mode):
            return None
        found = _read_at(store, sha, _prefix(parts[:depth])).get(part)
        if found is None:
            return None
        mode, sha = found
    return mode, sha


def _prefix(parts: list[bytes]) -> str:
    return "".join(decode_path(part) + "/" for part in parts)


def iter_tree_files(
    store: BaseObjectStore, tree_id: ObjectID, prefix: str = ""
) -> Iterator[tuple[str, int, ObjectID]]:
    """``(path, mode, id)`` of every file below ``tree_id``, paths under ``prefix``."""
    for name, mode, sha in _read_at(store, tree_id, prefix).items():
        path = prefix + name.decode("utf-8", "surrogateescape")
        if stat.S_ISDIR(mode):
            yield from iter_tree_files(store, sha, path + "/")
        else:
            yield path, mode, sha


def diff_tree_files(
    store: BaseObjectStore, old: ObjectID | None, new: ObjectID | None, prefix: str = ""
) -> TreeDiff:
    """The files that differ between two trees (``None``: the empty tree).

    Only directories whose ids differ are read, and within a directory only the entries
    that differ are looked at (set operations on the raw entries, in C), so the cost
    follows the number of changes.

    Returns:
        path -> (old ``(mode, id)`` or ``None``, new ``(mode, id)`` or ``None``); a file
        that became a directory (or the reverse) appears as deletions and additions.
    """
    key = (os.fspath(getattr(store, "path", "")) or str(id(store)), old, new, prefix)
    with _DIFFS_LOCK:
        known = _DIFFS.get(key)
        if known is not None:
            _DIFFS.move_to_end(key)
            return dict(known)
    changes: TreeDiff = {}
    _diff_into(store, old, new, prefix, changes)
    if len(changes) <= _DIFF_KEPT_CHANGES:
        with _DIFFS_LOCK:
            _DIFFS[key] = dict(changes)
            while len(_DIFFS) > _DIFFS_KEPT:
                _DIFFS.popitem(last=False)
    return changes


#: The last few tree diffs, by store and the two tree ids: a restore asks for the same
#: diff three times (which files to write, whether they complete the tree for the
#: index's cached trees, which artifacts to re-read), and trees never change once
#: written. Diffs of many files are not kept.
_DIFFS: OrderedDict[tuple[str, ObjectID | None, ObjectID | None, str], TreeDiff] = OrderedDict()
_DIFFS_KEPT = 8
_DIFF_KEPT_CHANGES = 10_000
_DIFFS_LOCK = threading.Lock()


def _diff_into(
    store: BaseObjectStore,
    old: ObjectID | None,
    new: ObjectID | None,
    prefix: str,
    changes: TreeDiff,
) -> None:
    if old == new:
        return
    old_entries = _read_at(store, old, prefix).entries if old is not None else []
    new_entries = _read_at(store, new, prefix).entries if new is not None else []
    removed = set(old_entries).difference(new_entries)
    added = set(new_entries).difference(old_entries)
    sides: dict[bytes, list[tuple[int, ObjectID] | None]] = {}
    for side, entries in ((0, removed), (1, added)):
        for entry in entries:
            name, mode, sha = _split_entry(entry)
            sides.setdefault(name, [None, None])[side] = (mode, sha)
    for name, (before, after) in sides.items():
        path = prefix + name.decode("utf-8", "surrogateescape")
        old_dir = before[1] if before is not None and stat.S_ISDIR(before[0]) else None
        new_dir = after[1] if after is not None and stat.S_ISDIR(after[0]) else None
        if old_dir is not None or new_dir is not None:
            _diff_into(store, old_dir, new_dir, path + "/", changes)
        old_file = None if before is None or old_dir is not None else before
        new_file = None if after is None or new_dir is not None else after
        if old_file is not None or new_file is not None:
            changes[path] = (old_file, new_file)


def diff_tree_paths(store: BaseObjectStore, old: ObjectID | None, new: ObjectID | None) -> set[str]:
    """The paths of the files that differ between two trees (as `diff_tree_files`, but
    without decoding modes and ids: describing a root commit lists every file cheaply).
    """
    paths: set[str] = set()
    _paths_into(store, old, new, "", paths)
    return paths


def _paths_into(
    store: BaseObjectStore, old: ObjectID | None, new: ObjectID | None, prefix: str, paths: set[str]
) -> None:
    if old == new:
        return
    old_entries = _read_at(store, old, prefix).entries if old is not None else []
    new_entries = _read_at(store, new, prefix).entries if new is not None else []
    sides = (set(old_entries).difference(new_entries), set(new_entries).difference(old_entries))
    directories: dict[bytes, list[ObjectID | None]] = {}
    for side, entries in enumerate(sides):
        for entry in entries:
            space = entry.index(b" ")
            name = entry[space + 1 : -21]
            if entry[:space] in (b"40000", b"040000"):
                sha = ObjectID(entry[-20:].hex().encode("ascii"))
                directories.setdefault(name, [None, None])[side] = sha
            else:
                paths.add(prefix + name.decode("utf-8", "surrogateescape"))
    for name, (before, after) in directories.items():
        below = prefix + name.decode("utf-8", "surrogateescape") + "/"
        _paths_into(store, before, after, below, paths)
