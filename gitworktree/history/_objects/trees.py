"""Reading trees by path: one entry, one blob, or one directory's listing."""

from __future__ import annotations

import stat
from typing import NamedTuple

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, ObjectID

from gitworktree.errors import NodeKindError
from gitworktree.history._core.paths import decode_path, encode_path
from gitworktree.history._objects.rawtrees import blob_content, lookup_path, read_tree

__all__ = ["TreeItem", "list_tree_items", "lookup_entry", "read_blob"]


class TreeItem(NamedTuple):
    """One entry of a directory at a revision.

    Attributes:
        name: the entry's name in its directory (not a path).
        kind: ``"file"`` (a regular file or a symlink) or ``"dir"``.
        sha: the blob or tree id.
    """

    name: str
    kind: str
    sha: str


def lookup_entry(store: BaseObjectStore, tree: ObjectID, path: str) -> tuple[int, ObjectID] | None:
    """The ``(mode, id)`` at ``path`` in ``tree``, or ``None`` if there is nothing there.

    Args:
        store: the object store.
        tree: a tree id.
        path: a checked repository-relative path; ``""`` is the tree itself.
    """
    return lookup_path(store, tree, encode_path(path))


def read_blob(store: BaseObjectStore, tree: ObjectID, path: str) -> bytes | None:
    """The content of the file at ``path`` in ``tree``; ``None`` if there is no file there.

    Raises:
        NodeKindError: if ``path`` is a directory.
    """
    entry = lookup_entry(store, tree, path)
    if entry is None or S_ISGITLINK(entry[0]):
        return None
    if stat.S_ISDIR(entry[0]):
        raise NodeKindError(path, "file", "directory")
    return blob_content(store, entry[1])


def list_tree_items(store: BaseObjectStore, tree: ObjectID, directory: str) -> list[TreeItem]:
    """The entries of ``directory`` in ``tree``, sorted by name (empty if it is missing).

    Submodule entries are left out.

    Raises:
        NodeKindError: if ``directory`` is a file.
    """
    entry = lookup_entry(store, tree, directory)
    if entry is None:
        return []
    if not stat.S_ISDIR(entry[0]):
        raise NodeKindError(directory, "directory", "file")
    items = []
    for name, mode, sha in read_tree(store, entry[1]).items():
        if S_ISGITLINK(mode):
            continue
        kind = "dir" if stat.S_ISDIR(mode) else "file"
        items.append(TreeItem(decode_path(name), kind, sha.decode("ascii")))
    return sorted(items)
