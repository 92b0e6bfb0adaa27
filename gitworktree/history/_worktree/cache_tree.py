"""The index's cached trees (the ``TREE`` extension), kept true as entries change.

For each directory git may record in the index how many entries lie below it and the
id of the tree they make. ``git commit`` trusts a valid record instead of hashing the
entries again, so a record left stale would make it commit old content: every change to
entries must mark the records along its path invalid (``entry_count`` -1), as git's
``cache_tree_invalidate_path`` does — or, better, bring them up to date.

A commit knows both: the tree each changed directory had before (``old``) and has now
(``new``). A record whose id was ``old`` described exactly the entries the commit started
from, so after the commit's entries are written it describes ``new``, with its count
moved by the entries added and removed. Records kept valid this way let the next plain
``git commit`` skip unchanged directories, and let gitworktree tell in O(1) that the
index matches HEAD (see `gitworktree.history._worktree.checkout`).

A commit's cost must not grow with the number of directories (a map sharded into
thousands of folders has a record each): records are never changed once made. An update
copies the records along the changed paths and shares the rest with the records it
started from, and each record keeps its serialized bytes, so writing the extension again
re-serializes only the copied records and joins the others' bytes as they are.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID

from gitworktree.history._objects.rawtrees import EMPTY_TREE, lookup_path, read_tree

__all__ = [
    "CacheTree",
    "TreeMoves",
    "cache_tree_of",
    "follow_tree_moves",
    "invalidate_paths",
    "parse_cache_tree",
    "serialize_cache_tree",
    "tree_moves",
]

#: directory path (``b""`` for the root) -> (tree id before, tree id after; ``None``:
#: the directory does not exist on that side).
TreeMoves = Mapping[bytes, tuple[ObjectID | None, ObjectID | None]]


@dataclass
class CacheTree:
    """One directory's record: ``entry_count`` -1 means invalid (and ``sha`` is ``None``).

    Changed only while being made (the functions here copy a record before changing it):
    records are shared between an index and the next one written from it.
    """

    name: bytes
    entry_count: int
    sha: ObjectID | None
    children: list[CacheTree] = field(default_factory=list)
    #: This record's serialized bytes, its subdirectories' included, once known.
    _raw: bytes | memoryview | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        """Whether the record may be trusted."""
        return self.entry_count >= 0

    def child(self, name: bytes) -> CacheTree | None:
        """The record of subdirectory ``name``, if any."""
        for child in self.children:
            if child.name == name:
                return child
        return None

    def invalidate(self) -> None:
        """Mark the record untrusted (its subdirectories' records stay as they are)."""
        self.entry_count, self.sha, self._raw = -1, None, None

    def copy(self) -> CacheTree:
        """A copy to change: the subdirectories' records are shared, not copied."""
        return CacheTree(self.name, self.entry_count, self.sha, list(self.children))


def parse_cache_tree(data: bytes) -> CacheTree:
    """Parse a ``TREE`` extension.

    Raises:
        ValueError: if it is malformed.
    """
    node, end = _parse_node(data, memoryview(data), 0)
    if end != len(data):
        raise ValueError("trailing bytes after the cached trees")
    return node


def _parse_node(raw: bytes, view: memoryview, start: int) -> tuple[CacheTree, int]:
    nul = raw.index(b"\0", start)
    newline = raw.index(b"\n", nul)
    count_text, subtrees_text = raw[nul + 1 : newline].split(b" ")
    entry_count, subtrees = int(count_text), int(subtrees_text)
    pos = newline + 1
    sha = None
    if entry_count >= 0:
        if pos + 20 > len(raw):
            raise ValueError("truncated cached tree")
        sha = ObjectID(raw[pos : pos + 20].hex().encode("ascii"))
        pos += 20
    node = CacheTree(raw[start:nul], entry_count, sha)
    for _ in range(subtrees):
        child, pos = _parse_node(raw, view, pos)
        node.children.append(child)
    node._raw = view[start:pos]  # a view: no copy of the bytes below it
    return node, pos


def serialize_cache_tree(root: CacheTree) -> bytes:
    """The ``TREE`` extension's data for ``root``."""
    return bytes(_serialized(root))


def _serialized(node: CacheTree) -> bytes | memoryview:
    if node._raw is None:  # made or changed since it was last serialized or parsed
        parts: list[bytes | memoryview] = [
            b"%s\0%d %d\n" % (node.name, node.entry_count, len(node.children))
        ]
        if node.valid:
            assert node.sha is not None
            parts.append(bytes.fromhex(node.sha.decode("ascii")))
        parts.extend(_serialized(child) for child in node.children)
        node._raw = b"".join(parts)
    return node._raw


def _order(children: list[CacheTree]) -> None:
    """git keeps subdirectory records sorted by name length, then name."""
    children.sort(key=lambda child: (len(child.name), child.name))


def invalidate_paths(root: CacheTree, paths: Iterable[bytes]) -> CacheTree:
    """The records with those along each path marked invalid, as git does when entries
    change (``root`` is left as it was).

    A record of a subdirectory named exactly like a changed path (a file replacing a
    directory) is dropped.
    """
    root = root.copy()
    copies = {id(root)}
    for path in paths:
        node = root
        parts = path.split(b"/")
        for depth, part in enumerate(parts):
            node.invalidate()
            if depth == len(parts) - 1:
                node.children = [child for child in node.children if child.name != part]
                break
            at = next((at for at, child in enumerate(node.children) if child.name == part), None)
            if at is None:
                break
            child = node.children[at]
            if id(child) not in copies:
                child = node.children[at] = child.copy()
                copies.add(id(child))
            node = child
    return root


def follow_tree_moves(root: CacheTree, moves: TreeMoves, deltas: Mapping[bytes, int]) -> CacheTree:
    """The records along changed directories brought up to date after a commit's entries
    (``root`` is left as it was; the records of unchanged directories are shared).

    Args:
        root: the root record.
        moves: every directory that changed, with its tree before and after; the index
            entries below them must now be exactly the ``after`` trees' files.
        deltas: directory -> entries added minus entries removed below it.
    """
    return _follow(root, b"", moves, deltas)


def _follow(
    node: CacheTree, path: bytes, moves: TreeMoves, deltas: Mapping[bytes, int]
) -> CacheTree:
    node = node.copy()
    old, new = moves.get(path, (node.sha, node.sha))
    in_sync = node.valid and node.sha == old and new is not None
    if in_sync:
        node.entry_count += deltas.get(path, 0)
        node.sha = new
    else:
        node.invalidate()
    kept = []
    for child in node.children:
        child_path = path + b"/" + child.name if path else child.name
        if child_path in moves:
            if moves[child_path][1] is None:
                continue  # the directory is gone
            child = _follow(child, child_path, moves, deltas)
        kept.append(child)
    node.children = kept
    if not in_sync:
        return node
    known = {child.name for child in kept}
    prefix = path + b"/" if path else b""
    for child_path, (before, after) in moves.items():
        name = child_path[len(prefix) :]
        if not child_path.startswith(prefix) or not name or b"/" in name or name in known:
            continue
        if after is None:
            continue  # gone (its record, if any, was dropped above)
        if before is not None:
            node.invalidate()  # a directory we had no record of: cannot vouch for it
            return node
        kept.append(_created(name, child_path, after, moves, deltas))
    _order(kept)
    return node


def _created(
    name: bytes, path: bytes, tree: ObjectID, moves: TreeMoves, deltas: Mapping[bytes, int]
) -> CacheTree:
    """The record of a directory the commit created: all its entries are new ones."""
    node = CacheTree(name, deltas.get(path, 0), tree)
    prefix = path + b"/"
    for child_path, (_before, after) in moves.items():
        child_name = child_path[len(prefix) :]
        if child_path.startswith(prefix) and b"/" not in child_name and after is not None:
            node.children.append(_created(child_name, child_path, after, moves, deltas))
    _order(node.children)
    return node


def cache_tree_of(store: BaseObjectStore, tree_id: ObjectID, name: bytes = b"") -> CacheTree:
    """Complete, valid records for an index whose entries are exactly ``tree_id``'s files."""
    node = CacheTree(name, 0, tree_id)
    for entry_name, mode, sha in read_tree(store, tree_id).items():
        if stat.S_ISDIR(mode):
            child = cache_tree_of(store, sha, entry_name)
            node.children.append(child)
            node.entry_count += child.entry_count
        else:
            node.entry_count += 1
    _order(node.children)
    return node


def tree_moves(
    store: BaseObjectStore, old_root: ObjectID | None, new_root: ObjectID, paths: Iterable[bytes]
) -> dict[bytes, tuple[ObjectID | None, ObjectID | None]]:
    """Every directory above ``paths``, with its tree in ``old_root`` and in ``new_root``.

    ``old_root`` ``None`` is the empty tree (an unborn branch).
    """
    moves: dict[bytes, tuple[ObjectID | None, ObjectID | None]] = {}
    for path in paths:
        parts = path.split(b"/")
        for depth in range(len(parts)):
            directory = b"/".join(parts[:depth])
            if directory not in moves:
                moves[directory] = (
                    _directory(store, old_root or EMPTY_TREE, directory),
                    _directory(store, new_root, directory),
                )
    return moves


def _directory(store: BaseObjectStore, root: ObjectID, path: bytes) -> ObjectID | None:
    found = lookup_path(store, root, path)
    return found[1] if found is not None and stat.S_ISDIR(found[0]) else None
