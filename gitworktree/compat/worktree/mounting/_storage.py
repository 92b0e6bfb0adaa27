"""worktree's ``Object`` and ``Collection`` over a gitworktree storage backend.

Paths are checked by gitworktree (``..``, absolute and control-character paths are an
``UnsafePathError``), writes are atomic. On a versioned backend (Git) the paths written
are recorded in a ``Journal``, and a tree's outermost ``sync``/``commit`` publishes them
as one commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from gitworktree.compat.worktree.mounting.accessible import (
    Accessible,
    AccessibleType,
    Collection,
    Object,
    WrongAccessibleTypeException,
)
from gitworktree.storage import base as core
from gitworktree.storage.base import ChangeSet, Storage, VersionedStorage, split_path
from gitworktree.storage.filesystem import FilesystemStorage

__all__ = ["Journal", "StorageCollection", "StorageObject", "publishing", "root_of"]


class Journal:
    """The paths written since the last publish, and how deep in nested operations we are."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.changed: dict[str, None] = {}
        self.depth = 0

    def record(self, path: PurePosixPath) -> None:
        """Remember that ``path`` (an object, or a removed node) changed."""
        if isinstance(self.storage, VersionedStorage):
            self.changed[str(path)] = None

    def publish(self, message: str) -> None:
        """Commit what changed (versioned backends only)."""
        if not self.changed:
            return
        files: dict[str, bytes | None] = {}
        for path in self.changed:
            target = PurePosixPath(path)
            kind = self.storage.kind_of(target)
            files[path] = self.storage.read(target) if kind == "object" else None
        self.storage.publish(ChangeSet(files, message))
        # Forgotten only once committed: after a refused commit the next one retries them.
        self.changed = {}


@contextmanager
def publishing(node: object, message: str) -> Iterator[None]:
    """Run a tree operation; when the outermost one ends well, publish what it wrote."""
    journal = node.journal if isinstance(node, StorageCollection) else None
    if journal is None:
        yield
        return
    journal.depth += 1
    try:
        yield
    finally:
        journal.depth -= 1
    if journal.depth == 0:
        journal.publish(message)


def _relative(path: str | Path) -> tuple[str, ...]:
    # worktree treated an absolute path as relative to the mounted root; so do we.
    text = str(path).replace("\\", "/").lstrip("/")
    return split_path(text)


class _Node:
    def __init__(self, node: core.Node, journal: Journal) -> None:
        self._node = node
        self.journal = journal

    def path(self) -> Path:
        """The node's path: on disk for file system backends, else below ``/``."""
        storage = self._node.storage
        if isinstance(storage, FilesystemStorage):
            return storage.root_path.joinpath(*self._node.path.parts)
        return Path("/").joinpath(*self._node.path.parts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path()}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Node) and other._node == self._node

    def __hash__(self) -> int:
        return hash(self._node)


class StorageObject(_Node, Object):
    """An object of a gitworktree storage backend."""

    _node: core.Object

    def read_text(self) -> str:
        """The content, decoded as UTF-8."""
        return self._node.read_text()

    def write_text(self, data: str) -> None:
        """Replace the content with ``data`` encoded as UTF-8 (atomically)."""
        self.write_binary(data.encode("utf-8"))

    def read_binary(self) -> bytes:
        """The content."""
        return self._node.read_bytes()

    def write_binary(self, data: bytes) -> None:
        """Replace the content (atomically)."""
        self._node.write_bytes(data)
        self.journal.record(self._node.path)


class StorageCollection(_Node, Collection):
    """A collection of a gitworktree storage backend."""

    _node: core.Collection

    def _wrap(self, node: core.Object | core.Collection) -> Accessible:
        if isinstance(node, core.Collection):
            return StorageCollection(node, self.journal)
        return StorageObject(node, self.journal)

    def ls(self) -> Iterator[Accessible]:
        """The direct children, in name order."""
        for name in self._node.ls():
            node = self._node.find(name)
            if node is not None:
                yield self._wrap(node)

    def rm(self, path: str | Path) -> None:
        """Remove the node at ``path``, recursively; absent is fine."""
        parts = _relative(path)
        node = self._node.find("/".join(parts))
        if isinstance(node, core.Collection):
            for removed in node.walk():
                self.journal.record(removed.path)
        elif node is not None:
            self.journal.record(node.path)
        self._node.rm("/".join(parts))

    def mkdir(self, path: str | Path) -> StorageCollection:
        """The collection at ``path``, created with its parents if absent."""
        return StorageCollection(self._node.mkdir("/".join(_relative(path))), self.journal)

    def touch(self, path: str | Path) -> StorageObject:
        """The object at ``path``, created empty with its parents if absent.

        Raises:
            WrongAccessibleTypeException: a collection is at ``path``.
        """
        relative = "/".join(_relative(path))
        if self._node.find(relative) is None:
            created = self._node.touch(relative)
            self.journal.record(created.path)
            return StorageObject(created, self.journal)
        found = self.find(relative, "object")
        assert isinstance(found, StorageObject)  # find raised for a collection
        return found

    def find(self, path: str | Path, accessible_type: AccessibleType = "any") -> Accessible | None:
        """The node at ``path``, or ``None``.

        Raises:
            WrongAccessibleTypeException: the node is not of ``accessible_type``.
        """
        relative = "/".join(_relative(path))
        node = self._node.find(relative)
        if node is None:
            return None
        is_collection = isinstance(node, core.Collection)
        if accessible_type == "object" and is_collection:
            raise WrongAccessibleTypeException(node.path, "file", "directory")
        if accessible_type == "collection" and not is_collection:
            raise WrongAccessibleTypeException(node.path, "directory", "file")
        return self._wrap(node)

    def exists(self, path: str | Path, accessible_type: AccessibleType = "any") -> bool:
        """Whether a node of ``accessible_type`` is at ``path``."""
        node = self._node.find("/".join(_relative(path)))
        if node is None or accessible_type == "any":
            return node is not None
        return isinstance(node, core.Collection) == (accessible_type == "collection")


def root_of(collection: core.Collection) -> StorageCollection:
    """A mounted gitworktree collection as worktree's root collection."""
    return StorageCollection(collection, Journal(collection.storage))
