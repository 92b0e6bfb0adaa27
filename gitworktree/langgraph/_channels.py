"""The ``channels/`` tree: flat for a usual state, fanned out for a state of many channels.

A state of a few dozen channels is a flat folder (``channels/messages.json``), as people
expect to read it. A state of thousands would make every step rewrite one tree of
thousands of entries, so past `FANOUT_THRESHOLD` channels the files are spread over 256
folders named by the first byte of the SHA-1 of the file's stem, as git notes spread
their files (``channels/3f/key1234.json``): a step then rewrites one small folder and
the 256-entry top, whatever the size of the state.
"""

from __future__ import annotations

import hashlib
import stat
from collections import OrderedDict
from collections.abc import Iterator
from typing import NamedTuple

from dulwich.objects import ObjectID

from gitworktree.history._objects.rawtrees import RawTree
from gitworktree.langgraph._layout import decode_name, decode_value_name
from gitworktree.langgraph._store import DIRECTORY_MODE, ThreadStore, TreeFiles

__all__ = [
    "FANOUT_THRESHOLD",
    "ChannelFile",
    "ChannelFiles",
    "ChannelListings",
    "iter_channel_files",
]

#: More channels than this, and the files are spread over 256 folders.
FANOUT_THRESHOLD = 1024


def _bucket(stem: bytes) -> bytes:
    return hashlib.sha1(stem, usedforsecurity=False).hexdigest()[:2].encode("ascii")


class ChannelFiles:
    """An editable ``channels/`` tree, in the layout `FANOUT_THRESHOLD` picks.

    Args:
        store: where trees are read and written.
        tree_id: the parent checkpoint's ``channels/`` tree, or ``None``.
        fanout: whether the new tree should be fanned out.
    """

    def __init__(self, store: ThreadStore, tree_id: ObjectID | None, *, fanout: bool) -> None:
        self._store = store
        self._fanout = fanout
        self._top = RawTree([], []) if tree_id is None else store.tree(tree_id).tree.copy()
        self._buckets: dict[bytes, RawTree] = {}
        was_fanned = any(stat.S_ISDIR(mode) for _, mode, _ in self._top.items())
        if self._top.entries and was_fanned != fanout:
            self._relayout()

    def _relayout(self) -> None:
        """Move every file into the other layout (once, when a state crosses the line)."""
        files = list(iter_channel_files(self._store, self._top))
        self._top = RawTree([], [])
        self._buckets = {}
        for name, mode, sha in files:
            self._folder(name).set(name, mode, sha)

    def _folder(self, name: bytes) -> RawTree:
        if not self._fanout:
            return self._top
        bucket = _bucket(name.split(b".", 1)[0])
        folder = self._buckets.get(bucket)
        if folder is None:
            entry = self._top.get(bucket)
            folder = RawTree([], []) if entry is None else self._store.tree(entry[1]).tree.copy()
            self._buckets[bucket] = folder
        return folder

    def drop(self, stem: bytes) -> None:
        """Remove the file of the channel whose encoded name is ``stem``."""
        folder = self._folder(stem + b".")
        for name in TreeFiles(folder).find_stem(stem):
            folder.delete(name)

    def set(self, name: bytes, mode: int, sha: ObjectID) -> None:
        """Add (or replace) the file ``name``."""
        self._folder(name).set(name, mode, sha)

    def write(self) -> ObjectID:
        """Store the changed folders and the top; the top's id."""
        for bucket, folder in self._buckets.items():
            if len(folder):
                self._top.set(bucket, DIRECTORY_MODE, self._store.write_tree(folder))
            else:
                self._top.delete(bucket)
        return self._store.write_tree(self._top)


def iter_channel_files(store: ThreadStore, top: RawTree) -> Iterator[tuple[bytes, int, ObjectID]]:
    """``(file name, mode, id)`` of every channel file, in either layout."""
    for name, mode, sha in top.items():
        if stat.S_ISDIR(mode):
            yield from store.tree(sha).tree.items()
        else:
            yield name, mode, sha


class ChannelFile(NamedTuple):
    """One channel's file: the channel, the serializer type (``None``: JSON), the blob."""

    channel: str
    type_name: str | None
    blob: ObjectID


class ChannelListings:
    """The decoded files of ``channels/`` folders, by tree id, for the last few folders.

    Reading a state of 10,000 channels decodes 10,000 file names; a folder that did not
    change since the last read (most of them, in a fanned-out state) is not decoded again.
    """

    def __init__(self, store: ThreadStore, limit: int = 4096) -> None:
        self._store = store
        self._limit = limit
        self._folders: OrderedDict[ObjectID, list[ChannelFile]] = OrderedDict()

    def files(self, top_id: ObjectID) -> Iterator[ChannelFile]:
        """Every channel file of the ``channels/`` tree ``top_id``, in either layout.

        Raises:
            ValueError: for a file name the saver does not write.
        """
        top = self._store.tree(top_id).tree
        if not any(stat.S_ISDIR(mode) for _, mode, _ in top.items()):
            yield from self._folder(top_id)
            return
        for _, mode, sha in top.items():
            if not stat.S_ISDIR(mode):
                raise ValueError(f"a file beside the folders of a fanned-out channels/ ({sha!r})")
            yield from self._folder(sha)

    def _folder(self, tree_id: ObjectID) -> list[ChannelFile]:
        listing = self._folders.get(tree_id)
        if listing is not None:
            self._folders.move_to_end(tree_id)
            return listing
        listing = []
        for name, _, blob in self._store.tree(tree_id).tree.items():
            stem, type_name = decode_value_name(name.decode("ascii", "replace"))
            listing.append(ChannelFile(decode_name(stem), type_name, blob))
        self._folders[tree_id] = listing
        while len(self._folders) > self._limit:
            self._folders.popitem(last=False)
        return listing
