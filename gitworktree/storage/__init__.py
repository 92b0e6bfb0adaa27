"""Storage backends: one contract (``Object``, ``Collection``, ``Storage``), several drivers.

``VersionedStorage`` is the contract of the backends that keep history (Git).
"""

from gitworktree.storage.base import ChangeSet, Collection, Object, Storage, VersionedStorage
from gitworktree.storage.filesystem import FilesystemMountDriver
from gitworktree.storage.git import GitMountDriver
from gitworktree.storage.memory import InMemoryMountDriver

__all__ = [
    "ChangeSet",
    "Collection",
    "FilesystemMountDriver",
    "GitMountDriver",
    "InMemoryMountDriver",
    "Object",
    "Storage",
    "VersionedStorage",
]
