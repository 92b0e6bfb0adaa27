"""worktree's contract: items that claim storage and drive their own sync and commit.

An item (``BaseWorktreeItem``) is built as ``Item(item_name, mounted_at,
initial_states=...)``, declares what it owns with ``ownership_claims()`` and implements
the hooks ``initialize_*``, ``validate_*`` and ``commit_*`` for objects and collections.
``sync()`` creates and initializes (then commits) what is missing and validates what is
there; ``commit()`` writes every claim back. ``Worktree`` and ``LayoutAnchor`` hold items
declared as annotated fields. On a Git root (``impl.accessibility.git``) the outermost
``sync()`` or ``commit()`` of a tree lands as one Git commit.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar

from gitworktree import errors as core
from gitworktree.compat.worktree.decorators import not_implemented, unreachable_worktree_action
from gitworktree.compat.worktree.mounting._storage import publishing
from gitworktree.compat.worktree.mounting.accessible import Collection, Object, RootCollection
from gitworktree.compat.worktree.mounting.claim import Claim, CollectionClaim, ObjectClaim
from gitworktree.compat.worktree.syncable.protocol import Syncable

__all__ = [
    "Anchor",
    "Artifact",
    "BaseWorktreeItem",
    "LayoutAnchor",
    "MissingInitialStateError",
    "TypedField",
    "Worktree",
    "WorktreeItem",
    "get_worktree_items",
]

V = TypeVar("V")
H = TypeVar("H")


class MissingInitialStateError(core.MissingInitialStateError):
    """An item cannot be built: required state is neither stored nor given.

    Attributes:
        item_name: the item's dotted path from the tree (``app.storage.db``); containers
            prefix their field name as the error passes through them.
        message: what is missing.
    """

    def __init__(self, item_name: str, message: str) -> None:
        super().__init__(item_name, message)
        self.item_name = item_name
        self.message = message

    @property
    def item_name(self) -> str:
        """The item's dotted path (gitworktree's ``item_path``)."""
        return self.item_path

    @item_name.setter
    def item_name(self, value: str) -> None:
        self.item_path = value

    def __str__(self) -> str:
        return f"Worktree item '{self.item_name}' is missing required initial state: {self.message}"


class BaseWorktreeItem(Syncable):
    """An item that owns the storage nodes its ``ownership_claims()`` name.

    Args:
        item_name: the field name the item is declared under.
        mounted_at: the collection its claims are relative to.
        initial_states: the state to initialize it with when its storage is missing.
    """

    def __init__(
        self, item_name: str, mounted_at: RootCollection, initial_states: Any | None = None
    ) -> None:
        self._mounted_at = mounted_at
        self._item_name = item_name
        self._initial_states = initial_states

    @property
    def item_name(self) -> str:
        """The field name the item is declared under."""
        return self._item_name

    def sync(self) -> None:
        """Create, initialize and commit each missing claim; validate each present one."""
        with publishing(self._mounted_at, f"sync {self._item_name}"):
            for claim in self.ownership_claims():
                if isinstance(claim, ObjectClaim):
                    obj = self._mounted_at.find_object(claim.path)
                    if obj is None:
                        obj = self._mounted_at.touch(claim.path)
                        self.initialize_object(claim.path, obj)
                        self.commit_object(claim.path, obj)
                    else:
                        self.validate_object(claim.path, obj)
                else:
                    coll = self._mounted_at.find_collection(claim.path)
                    if coll is None:
                        coll = self._mounted_at.mkdir(claim.path)
                        self.initialize_collection(claim.path, coll)
                        self.commit_collection(claim.path, coll)
                    else:
                        self.validate_collection(claim.path, coll)

    def commit(self, message: str | None = None) -> None:
        """Write each claim back with ``commit_object`` / ``commit_collection``.

        Raises:
            StorageError: a claimed node has disappeared from storage (sync first).
        """
        with publishing(self._mounted_at, message or f"commit {self._item_name}"):
            for claim in self.ownership_claims():
                if isinstance(claim, ObjectClaim):
                    obj = self._mounted_at.find_object(claim.path)
                    if obj is None:
                        raise core.StorageError(claim.path, "claimed object is gone; sync() first")
                    self.commit_object(claim.path, obj)
                else:
                    coll = self._mounted_at.find_collection(claim.path)
                    if coll is None:
                        raise core.StorageError(
                            claim.path, "claimed collection is gone; sync() first"
                        )
                    self.commit_collection(claim.path, coll)

    @not_implemented
    def ownership_claims(self) -> list[Claim]:
        """The nodes this item owns, relative to ``mounted_at``."""
        raise NotImplementedError

    @not_implemented
    def initialize_object(self, path: Path, obj: Object) -> None:
        """Set up in-memory state for a newly created object."""

    @not_implemented
    def initialize_collection(self, path: Path, collection: Collection) -> None:
        """Set up in-memory state for a newly created collection."""

    @not_implemented
    def validate_object(self, path: Path, obj: Object) -> None:
        """Load and check a stored object into memory."""

    @not_implemented
    def validate_collection(self, path: Path, collection: Collection) -> None:
        """Load and check a stored collection into memory."""

    @not_implemented
    def commit_object(self, path: Path, obj: Object) -> None:
        """Write the in-memory state to the object."""

    @not_implemented
    def commit_collection(self, path: Path, collection: Collection) -> None:
        """Write the in-memory state to the collection."""


class Artifact(BaseWorktreeItem, Generic[V]):
    """An item with an in-memory value."""

    @not_implemented
    def value(self) -> V:
        """The in-memory value."""
        raise NotImplementedError


class Anchor(BaseWorktreeItem, Generic[H]):
    """An item with no in-memory representation, reached through a handle."""

    @not_implemented
    def handle(self) -> H:
        """The handle on what the anchor owns (a collection, a connection, ...)."""
        raise NotImplementedError


class _Items:
    """The items declared on a container class, built on one collection."""

    def __init__(self, owner: object, collection: RootCollection, states: Any) -> None:
        self.items: dict[TypedField, BaseWorktreeItem | Worktree] = {}
        for field in get_worktree_items(type(owner)):
            state = states.get(field.name) if isinstance(states, dict) else None
            try:
                with _prefixed(field.name):
                    item = _build(field, collection, state)
            except MissingInitialStateError:
                raise
            except Exception as error:
                raise MissingInitialStateError(
                    field.name, f"Instantiation failed: {error}"
                ) from error
            self.items[field] = item
            setattr(owner, field.name, item)

    def sync(self) -> None:
        for field, item in self.items.items():
            with _prefixed(field.name):
                item.sync()

    def commit(self) -> None:
        for item in self.items.values():
            item.commit()


def _build(
    field: TypedField, collection: RootCollection, state: Any
) -> BaseWorktreeItem | Worktree:
    if issubclass(field.t, Worktree):
        own = collection.find_collection(field.name) or collection.mkdir(field.name)
        return field.t(own, initial_states=state)
    built: BaseWorktreeItem = field.t(field.name, collection, initial_states=state)
    return built


@contextmanager
def _prefixed(name: str) -> Iterator[None]:
    """Prefix a ``MissingInitialStateError`` passing through a container with ``name``."""
    try:
        yield
    except MissingInitialStateError as error:
        error.item_name = f"{name}.{error.item_name}"
        raise


class LayoutAnchor(Anchor[Collection]):
    """A directory that organizes nested items; its handle is the directory.

    Declare children as annotated fields (inner classes work). Not a sync boundary: its
    ``sync`` and ``commit`` go to its children.
    """

    def __init__(
        self, item_name: str, mounted_at: RootCollection, initial_states: Any | None = None
    ) -> None:
        super().__init__(item_name, mounted_at, initial_states=initial_states)
        self._children: _Items | None = None
        self._collection: Collection | None = None

    def ownership_claims(self) -> list[Claim]:
        """The collection named after the field."""
        return [CollectionClaim(path=Path(self._item_name))]

    def initialize_collection(self, path: Path, collection: Collection) -> None:
        """Mount the children in the new collection."""
        self.validate_collection(path, collection)

    def validate_collection(self, path: Path, collection: Collection) -> None:
        """Mount the children in the existing collection."""
        self._collection = collection
        if self._children is None:
            self._children = _Items(self, collection, self._initial_states)

    def commit_collection(self, path: Path, collection: Collection) -> None:
        """Nothing: a directory holds no state of its own."""

    def sync(self) -> None:
        """Sync the directory, then every child."""
        with publishing(self._mounted_at, f"sync {self._item_name}"):
            super().sync()
            if self._children is None:
                # A subclass's initialize_/validate_collection that skips super(): the
                # children are mounted all the same, as worktree did.
                collection = self._mounted_at.find_collection(self._item_name)
                if collection is None:
                    raise core.StorageError(self._item_name, "the layout's directory is gone")
                LayoutAnchor.validate_collection(self, Path(self._item_name), collection)
            assert self._children is not None  # validate_collection built them
            self._children.sync()

    def commit(self, message: str | None = None) -> None:
        """Commit every child, then the directory."""
        with publishing(self._mounted_at, message or f"commit {self._item_name}"):
            if self._children is not None:
                self._children.commit()
            super().commit()

    def handle(self) -> Collection:
        """The collection this layout owns (after ``sync()``)."""
        if self._collection is None:
            raise core.StorageError(self._item_name, "not synced yet; call sync() first")
        return self._collection

    @unreachable_worktree_action(since="LayoutAnchor only claims collections, not objects")
    def initialize_object(self, path: Path, obj: Object) -> None: ...

    @unreachable_worktree_action(since="LayoutAnchor only claims collections, not objects")
    def validate_object(self, path: Path, obj: Object) -> None: ...

    @unreachable_worktree_action(since="LayoutAnchor only claims collections, not objects")
    def commit_object(self, path: Path, obj: Object) -> None: ...


class Worktree(Syncable):
    """The root of a declared tree: its annotated fields are its items.

    Args:
        root: the collection the tree lives in.
        initial_states: nested dicts of state for missing items, by field name.
    """

    def __init__(self, root: RootCollection, initial_states: dict[str, Any] | None = None) -> None:
        self._root = root
        self._items = _Items(self, root, initial_states)

    def sync(self) -> None:
        """Sync every item (on Git: one commit for everything it created)."""
        with publishing(self._root, "sync"):
            self._items.sync()

    def commit(self, message: str | None = None) -> None:
        """Commit every item (on Git: one commit)."""
        with publishing(self._root, message or "commit"):
            self._items.commit()


class TypedField(NamedTuple):
    """A declared item: its field name, its class, and the annotation as written."""

    name: str
    t: type[Any]
    source: Any


def get_worktree_items(scanned_type: type) -> Iterator[TypedField]:
    """The fields of ``scanned_type`` annotated with an item or tree class, in order."""
    module = sys.modules.get(scanned_type.__module__)
    namespace = dict(vars(module)) if module else {}
    try:
        hints = typing.get_type_hints(scanned_type, namespace, dict(vars(scanned_type)))
    except NameError as error:
        # Skipping the field would silently leave an item unmounted.
        raise TypeError(
            f"{scanned_type.__name__}: cannot resolve the annotation naming {error.name!r}; "
            f"define the classes a tree uses at module level"
        ) from None
    for name in scanned_type.__annotations__:
        annotation = hints.get(name)
        cls = typing.get_origin(annotation) or annotation
        if isinstance(cls, type) and issubclass(cls, BaseWorktreeItem | Worktree):
            yield TypedField(name, cls, annotation)


WorktreeItem: TypeAlias = Artifact[Any] | Anchor[Any] | Worktree
