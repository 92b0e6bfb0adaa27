"""Binding: how a mounted node reaches its session, and how an artifact reaches storage.

``Bound`` is the mixin every mounted node (tree, layout, anchor, map) carries;
``ArtifactSlot`` binds one artifact value to its file; ``TreeSession`` is what the nodes
ask of the mount they belong to (``gitworktree.mounting.session.MountSession`` implements it).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, Self, cast

from gitworktree.errors import GitWorktreeError, ReadOnlyError
from gitworktree.storage.base import Collection

if TYPE_CHECKING:
    from gitworktree.history import Checkpoint, Repository
    from gitworktree.history._core.info import CommitInfo
    from gitworktree.tree.items import Artifact, Worktree, _Container
    from gitworktree.tree.maps import ArtifactMap

__all__ = ["ArtifactSlot", "Bound", "CommitRequest", "TreeSession", "wrong_type"]


@dataclass(frozen=True)
class CommitRequest:
    """What a caller asks of one commit, carried unchanged from ``Worktree.commit`` down.

    Attributes:
        message: the commit message; ``None``: one is made from the changed paths.
        author: ``"Name <email>"``; ``None``: the tree's, else the repository's identity.
        trailers: extra ``Key: value`` lines for the commit message's trailer block.
        retries: how many times to publish again when only the branch moved under us.
    """

    message: str | None = None
    author: str | None = None
    trailers: Mapping[str, str] | None = None
    retries: int = 0


class Bound:
    """Mixin for mounted nodes: the session and place they are bound to."""

    _gwt_session: TreeSession
    _gwt_path: PurePosixPath
    _gwt_dotted: str

    def _gwt_bind(self, session: TreeSession, path: PurePosixPath, dotted: str) -> None:
        self._gwt_session = session
        self._gwt_path = path
        self._gwt_dotted = dotted

    @classmethod
    def _gwt_mounted(cls, session: TreeSession, path: PurePosixPath, dotted: str) -> Self:
        """A node of this class bound at ``path`` (what a mount builds).

        ``__init__`` is not called: a declared class's own ``__init__``, if any, is for
        people building values, not for mounts.
        """
        node = object.__new__(cls)
        node._gwt_bind(session, path, dotted)
        return node

    def _gwt_require_session(self) -> TreeSession:
        try:
            return self._gwt_session
        except AttributeError:
            raise GitWorktreeError(
                f"{type(self).__name__} is not mounted; create trees with "
                f"gitworktree.mount({type(self).__name__}, path)"
            ) from None


def wrong_type(holds: str, item_type: type[Any], value: Any) -> TypeError:
    """The error for assigning ``value`` where an ``item_type`` artifact goes, with the fix.

    A dict is the usual slip (``tasks["t1"] = {"title": ...}``): a model class makes one.
    """
    name = item_type.__name__
    make = f"assign a {name}, e.g. {name}(...)"
    if isinstance(value, dict) and hasattr(item_type, "model_validate"):
        make += f", or {name}.model_validate(data) for a dict"
    return TypeError(f"{holds}, not {type(value).__name__}; {make}")


class ArtifactSlot:
    """The binding of one artifact to its place in storage.

    Attributes:
        path: root-relative path of the artifact's object. Given as ``(directory, name)``,
            it is joined when first asked for: a mount binds 10,000 map items and asks
            for few of their paths (joining them all costs ~10% of the mount).
        item_type: the declared artifact class.
        value: the current in-memory artifact.
        stored: blob id of the bytes last read from or written to storage (``None``
            when storage does not hold the artifact yet); a file on disk whose id
            differs was changed by someone else.
        base: blob id of the committed version the in-memory value builds on (``None``:
            not committed yet). On storage without history it equals ``stored``.
        dotted: dotted path of the item in the tree, for messages.
    """

    __slots__ = ("_path", "_place", "base", "dotted", "item_type", "session", "stored", "value")

    def __init__(
        self,
        session: TreeSession,
        path: PurePosixPath | tuple[PurePosixPath, str],
        item_type: type[Artifact[Any]],
        value: Artifact[Any],
        stored: str | None,
        dotted: str,
        base: str | None = None,
    ) -> None:
        self.session = session
        self._path: PurePosixPath | None = None if isinstance(path, tuple) else path
        self._place: tuple[PurePosixPath, str] | None = path if isinstance(path, tuple) else None
        self.item_type = item_type
        self.value = value
        self.stored = stored
        self.dotted = dotted
        self.base = base

    @classmethod
    def removed(
        cls,
        session: TreeSession,
        path: PurePosixPath,
        item_type: type[Artifact[Any]],
        dotted: str,
        base: str | None,
    ) -> ArtifactSlot:
        """The slot of an item whose file is gone: the next commit removes it.

        Nothing renders a removed item, so it holds no value.
        """
        return cls(session, path, item_type, cast("Artifact[Any]", None), None, dotted, base)

    @property
    def path(self) -> PurePosixPath:
        """Root-relative path of the artifact's object."""
        if self._path is None:
            assert self._place is not None
            directory, name = self._place
            self._path = directory / name
        return self._path

    def hand_out(self) -> Any:
        """The value, noted as possibly changed (the caller may mutate it in place)."""
        self.session.touch(self)
        return self.value

    def assign(self, value: Any) -> None:
        """Replace the value with another artifact of the declared type."""
        if self.session.read_only:
            raise ReadOnlyError(f"{self.dotted}: this tree is mounted read-only")
        if not isinstance(value, self.item_type):
            holds = f"{self.dotted} holds {self.item_type.__name__}"
            raise wrong_type(holds, self.item_type, value)
        self.value = value
        self.session.touch(self)

    def held_elsewhere(self) -> bool:
        """Whether code outside the tree still holds the value (and so may mutate it).

        On CPython the reference count tells; elsewhere we assume it is still held.
        """
        if sys.implementation.name != "cpython":  # pragma: no cover
            return True
        # References: this slot's attribute and getrefcount's own argument.
        return sys.getrefcount(self.value) > 2


class TreeSession(Protocol):
    """What a mounted tree needs from the mount it belongs to (``MountSession`` implements it)."""

    read_only: bool

    def touch(self, slot: ArtifactSlot) -> None:
        """Note that ``slot``'s value may have changed since the last commit."""

    def collection(self, path: PurePosixPath) -> Collection:
        """The storage collection at ``path``."""

    def sync(self, node: _Container) -> None:
        """Reload ``node``'s subtree from storage."""

    def commit(self, node: _Container, request: CommitRequest) -> CommitInfo | None:
        """Commit the changes in ``node``'s subtree."""

    async def acommit(self, node: _Container, request: CommitRequest) -> CommitInfo | None:
        """Async twin of ``commit``."""

    def transaction(self, node: Worktree, message: str | None) -> AbstractContextManager[Any]:
        """Commit ``node`` on success, roll it back on an exception."""

    def checkpoint(self, name: str | None) -> Checkpoint:
        """Create a checkpoint at the current commit."""

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
    ) -> CommitInfo:
        """Restore a checkpoint or revision and re-sync."""

    def repository(self) -> Repository:
        """The repository of a Git mount."""

    def foreign_edits(self, node: _Container) -> list[str]:
        """Files under ``node`` with edits found on disk that the tree did not make."""

    def adopt(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Make such edits the program's own; return the paths adopted."""

    def discard(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Put such files back as HEAD has them and reload them; return the paths."""

    def map_key_added(
        self, mapping: ArtifactMap[Any], key: str, path: PurePosixPath, value: Artifact[Any]
    ) -> ArtifactSlot:
        """Create the slot for a new map item stored at ``path`` (its key and type checked)."""

    def map_key_removed(self, mapping: ArtifactMap[Any], slot: ArtifactSlot) -> None:
        """Note that a map item's file must go in the next commit."""
