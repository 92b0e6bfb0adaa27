"""Storage nodes as worktree sees them: ``Object`` (file-like), ``Collection`` (directory-like).

These are the contract a mount driver implements. The shipped drivers implement it over
gitworktree's storage backends (``gitworktree.storage``), so every path is confined to
the mounted root and every write is atomic.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Generic, Literal, TypeAlias, TypeVar

from gitworktree.compat.worktree.decorators import not_implemented
from gitworktree.errors import NodeKindError

__all__ = [
    "Accessible",
    "AccessibleType",
    "AgnosticCollection",
    "Collection",
    "Localizable",
    "MountDriver",
    "Named",
    "NoMountpoint",
    "Object",
    "RootCollection",
    "WrongAccessibleTypeException",
]

AccessibleType = Literal["object", "collection", "any"]


class WrongAccessibleTypeException(NodeKindError):
    """An object was found where a collection was asked for, or the reverse.

    Attributes:
        path, expected, found: as on gitworktree's ``NodeKindError``.
    """


class Named:
    """Something with a name."""

    @not_implemented
    def name(self) -> str:
        """The last component of the node's path."""
        raise NotImplementedError


class Localizable(Named):
    """Something with a path; its name is the path's last component."""

    def name(self) -> str:
        """The last component of ``path()``."""
        return self.path().name

    @not_implemented
    def path(self) -> Path:
        """The node's own path, ending with its name."""
        raise NotImplementedError


class Object(Localizable):
    """A file-like node: text and binary reads and writes."""

    @not_implemented
    def read_text(self) -> str:
        """The content, decoded as UTF-8."""
        raise NotImplementedError

    @not_implemented
    def write_text(self, data: str) -> None:
        """Replace the content with ``data`` encoded as UTF-8."""

    @not_implemented
    def read_binary(self) -> bytes:
        """The content."""
        raise NotImplementedError

    @not_implemented
    def write_binary(self, data: bytes) -> None:
        """Replace the content."""


class AgnosticCollection(Named):
    """A directory-like node: create, find, list and remove what is below it."""

    @not_implemented
    def ls(self) -> Iterable[Accessible]:
        """The direct children."""
        raise NotImplementedError

    @not_implemented
    def rm(self, path: str | Path) -> None:
        """Remove the object or collection (recursively) at ``path``; absent is fine."""

    @not_implemented
    def mkdir(self, path: str | Path) -> Collection:
        """The collection at ``path``, created with its parents if absent."""
        raise NotImplementedError

    @not_implemented
    def touch(self, path: str | Path) -> Object:
        """The object at ``path``, created empty with its parents if absent."""
        raise NotImplementedError

    @not_implemented
    def find(self, path: str | Path, accessible_type: AccessibleType = "any") -> Accessible | None:
        """The node at ``path`` or ``None``; raises ``WrongAccessibleTypeException`` on a
        node of the other kind than ``accessible_type``."""

    @not_implemented
    def exists(self, path: str | Path, accessible_type: AccessibleType = "any") -> bool:
        """Whether a node of ``accessible_type`` is at ``path``."""
        raise NotImplementedError

    def find_object(self, path: str | Path) -> Object | None:
        """The object at ``path``, or ``None``."""
        found = self.find(path, "object")
        return found if isinstance(found, Object) else None

    def find_collection(self, path: str | Path) -> Collection | None:
        """The collection at ``path``, or ``None``."""
        found = self.find(path, "collection")
        return found if isinstance(found, Collection) else None

    def exists_object(self, path: str | Path) -> bool:
        """Whether an object is at ``path``."""
        return self.exists(path, "object")

    def exists_collection(self, path: str | Path) -> bool:
        """Whether a collection is at ``path``."""
        return self.exists(path, "collection")


class Collection(AgnosticCollection, Localizable):
    """A collection with a path."""


Accessible: TypeAlias = Object | Collection
RootCollection: TypeAlias = AgnosticCollection


class NoMountpoint:
    """The mount point of a driver that needs none (``InMemoryMountDriver``)."""


M = TypeVar("M")


class MountDriver(Generic[M]):
    """Turns a mount point (a path, ``NoMountpoint()``, ...) into a root collection."""

    @not_implemented
    def mount(self, mountpoint: M) -> RootCollection:
        """The root collection at ``mountpoint``."""
        raise NotImplementedError
