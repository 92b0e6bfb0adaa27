"""Mount a directory on disk (plain files, no history): gitworktree's file system backend."""

from __future__ import annotations

import os

from gitworktree.compat.worktree.mounting._storage import StorageCollection, StorageObject, root_of
from gitworktree.compat.worktree.mounting.accessible import MountDriver
from gitworktree.storage.filesystem import FilesystemMountDriver as _Driver

__all__ = ["FilesystemCollection", "FilesystemMountDriver", "FilesystemObject"]

FilesystemCollection = StorageCollection
FilesystemObject = StorageObject


class FilesystemMountDriver(MountDriver["str | os.PathLike[str]"]):
    """Mounts a directory (created if missing); paths cannot leave it, writes are atomic."""

    def mount(self, mountpoint: str | os.PathLike[str]) -> StorageCollection:
        """The root collection of the directory ``mountpoint``."""
        return root_of(_Driver().mount(mountpoint))
