"""Mount the working tree of a Git repository: each tree ``sync``/``commit`` is one commit.

Not in worktree: it is how a worktree user gets gitworktree's history (``git log``,
checkpoints, ``gitworktree`` CLI) while keeping their item classes.
"""

from __future__ import annotations

import os
import weakref

from gitworktree.compat.worktree.mounting._storage import StorageCollection, root_of
from gitworktree.compat.worktree.mounting.accessible import MountDriver
from gitworktree.storage.git import GitMountDriver as _Driver
from gitworktree.storage.git import GitStorage

__all__ = ["GitMountDriver"]


class GitMountDriver(MountDriver["str | os.PathLike[str]"]):
    """Mounts a repository's working tree (``git init`` if there is none)."""

    def mount(self, mountpoint: str | os.PathLike[str]) -> StorageCollection:
        """The root collection of the repository at ``mountpoint``."""
        collection = _Driver().mount(mountpoint)
        root = root_of(collection)
        storage = collection.storage
        if isinstance(storage, GitStorage):
            # The repository holds open files; close them when the root is collected.
            weakref.finalize(root, storage.repository.close)
        return root
