"""Mount storage held in memory: gitworktree's in-memory backend."""

from __future__ import annotations

from gitworktree.compat.worktree.mounting._storage import StorageCollection, StorageObject, root_of
from gitworktree.compat.worktree.mounting.accessible import MountDriver, NoMountpoint
from gitworktree.storage.memory import InMemoryMountDriver as _Driver

__all__ = ["InMemoryCollection", "InMemoryMountDriver", "InMemoryObject"]

InMemoryCollection = StorageCollection
InMemoryObject = StorageObject


class InMemoryMountDriver(MountDriver[NoMountpoint]):
    """Mounts a fresh, empty in-memory storage on every ``mount``."""

    def mount(self, mountpoint: NoMountpoint | None = None) -> StorageCollection:
        """A new in-memory root collection."""
        return root_of(_Driver().mount())
