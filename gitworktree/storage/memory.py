"""In-memory storage: a dict of paths, for tests and throwaway agent runs."""

from __future__ import annotations

from pathlib import PurePosixPath

from gitworktree.errors import NodeKindError, StorageError
from gitworktree.storage.base import Collection, Object, Storage, split_path

__all__ = ["InMemoryCollection", "InMemoryMountDriver", "InMemoryObject", "InMemoryStorage"]

_ROOT = PurePosixPath(".")


class InMemoryObject(Object):
    """An object held in memory."""

    def read_bytes(self) -> bytes:
        return self._storage.read(self._path)

    def write_bytes(self, data: bytes) -> None:
        if self._storage.kind_of(self._path.parent) != "collection":
            raise StorageError(self._path, "its parent collection does not exist")
        self._storage.write(self._path, data)


class InMemoryCollection(Collection):
    """A collection held in memory."""


class InMemoryStorage(Storage):
    """A tree of bytes in a dict; directories are a set of paths."""

    def __init__(self) -> None:
        self._objects: dict[PurePosixPath, bytes] = {}
        self._collections: set[PurePosixPath] = {_ROOT}

    def kind_of(self, path: PurePosixPath) -> str | None:
        if path in self._objects:
            return "object"
        if path in self._collections:
            return "collection"
        return None

    def read(self, path: PurePosixPath) -> bytes:
        try:
            return self._objects[path]
        except KeyError:
            if path in self._collections:
                raise NodeKindError(path, "file", "directory") from None
            raise StorageError(path, "no such object") from None

    def write(self, path: PurePosixPath, data: bytes) -> None:
        if path in self._collections:
            raise NodeKindError(path, "file", "directory")
        self._objects[path] = bytes(data)

    def list_names(self, path: PurePosixPath) -> list[str]:
        if path not in self._collections:
            raise StorageError(path, "no such collection")
        names = {child.name for child in self._objects if child.parent == path}
        names.update(child.name for child in self._collections if child.parent == path)
        names.discard("")
        names.discard(".")
        return sorted(names)

    def make_collection(self, path: PurePosixPath) -> None:
        missing: list[PurePosixPath] = []
        current = path
        while current not in self._collections:
            if current in self._objects:
                raise NodeKindError(current, "directory", "file")
            missing.append(current)
            current = current.parent
        self._collections.update(missing)

    def remove(self, path: PurePosixPath) -> None:
        if path == _ROOT:
            raise StorageError(path, "refusing to remove the mounted root")
        self._objects.pop(path, None)
        if path in self._collections:
            self._collections = {c for c in self._collections if not _is_within(c, path)}
            self._objects = {o: d for o, d in self._objects.items() if not _is_within(o, path)}

    def object_node(self, path: PurePosixPath) -> Object:
        return InMemoryObject(self, path)

    def collection_node(self, path: PurePosixPath) -> Collection:
        return InMemoryCollection(self, path)


def _is_within(path: PurePosixPath, ancestor: PurePosixPath) -> bool:
    return path == ancestor or ancestor in path.parents


class InMemoryMountDriver:
    """Mounts in-memory storages, one per mount point name.

    Mounting the same name twice on one driver gives the same storage, so a second
    ``mount()`` sees what the first committed — as a second process would on disk.
    """

    def __init__(self) -> None:
        self._storages: dict[tuple[str, ...], InMemoryStorage] = {}

    def mount(self, name: str = "") -> Collection:
        """The root collection of the storage called ``name`` (created on first use)."""
        key = split_path(name)
        storage = self._storages.setdefault(key, InMemoryStorage())
        return storage.root
