"""Declaring a tree of artifacts: items, claims, containers, and field discovery.

A tree is declared with annotated classes::

    class Counter(PydanticArtifact):
        number: int = 0

    class CounterTree(Worktree):
        counter: Counter            # claims the object  counter.json
        logs: Anchor                # claims the collection  logs/

Each annotated field whose type is a ``BaseWorktreeItem`` (or an ``ArtifactMap``) becomes
an item that *claims* one storage node named after the field. ``Worktree`` and
``LayoutAnchor`` are containers: their items live in the collection they claim.

This module only declares. Mounting, loading and committing live in
``gitworktree.mounting``, whose ``MountSession`` each mounted node is bound to (as a
``TreeSession``); the methods here delegate to it.
"""

from __future__ import annotations

import inspect
import sys
import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

from gitworktree.errors import (
    DocumentParseError,
    SchemaValidationError,
    UnsafePathError,
)
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._refs.checkpoints import Checkpoint
from gitworktree.storage.base import Collection, check_name
from gitworktree.tree.binding import ArtifactSlot, Bound, CommitRequest, TreeSession
from gitworktree.tree.maps import ArtifactMap
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import RepairFunction

# CommitInfo and Checkpoint (what commit() and checkpoint() return) are imported above,
# not only for type checkers, so that `typing.get_type_hints` resolves those signatures:
# tools built from methods need it.
if TYPE_CHECKING:
    from gitworktree.history import Repository

__all__ = [
    "Anchor",
    "Artifact",
    "BaseWorktreeItem",
    "Claim",
    "CollectionClaim",
    "FieldSpec",
    "LayoutAnchor",
    "ObjectClaim",
    "Syncable",
    "Worktree",
    "fields_of",
]

V = TypeVar("V")
A = TypeVar("A", bound="Artifact[Any]")


# --- claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectClaim:
    """An item owns the object (file) at ``path``, relative to its container."""

    path: str


@dataclass(frozen=True)
class CollectionClaim:
    """An item owns the collection (directory) at ``path``, relative to its container."""

    path: str


Claim = ObjectClaim | CollectionClaim


@typing.runtime_checkable
class Syncable(Protocol):
    """Something that loads from storage (``sync``) and writes back to it (``commit``)."""

    def sync(self) -> None:
        """Load the state from storage; initialize and write what is missing."""

    def commit(self, message: str | None = None) -> CommitInfo | None:
        """Write the in-memory state back to storage."""


# --- items ------------------------------------------------------------------------------


class BaseWorktreeItem(ABC):  # noqa: B024 - a marker base: the abstract parts are in subclasses
    """Anything that can be declared as a field of a tree and claims storage."""

    @classmethod
    def claim(cls, name: str) -> Claim:
        """The storage node a field called ``name`` of this type claims."""
        return CollectionClaim(name)


class Artifact(BaseWorktreeItem, Generic[V]):
    """An item with an in-memory value, stored as one object (file).

    Subclasses implement three storage hooks. They are underscore-prefixed so that
    they never clash with a model's field names:

    - ``_initial(state, item_path)``: a fresh value from ``initial_states`` and defaults;
    - ``_from_bytes(data, artifact)``: parse and validate stored bytes;
    - ``_to_bytes()``: render deterministically (equal values give equal bytes).
    """

    suffix: ClassVar[str] = ""

    @classmethod
    def claim(cls, name: str) -> Claim:
        return ObjectClaim(name + cls.suffix)

    @classmethod
    @abstractmethod
    def _initial(cls, state: Any, item_path: str) -> Self:
        """A fresh artifact built from ``state`` (``None`` when none was given) and defaults.

        Raises:
            MissingInitialStateError: neither ``state`` nor defaults make a valid value.
        """

    @classmethod
    @abstractmethod
    def _from_bytes(cls, data: bytes, artifact: str) -> Self:
        """Parse and validate stored bytes; ``artifact`` is the path used in errors.

        Raises:
            DocumentParseError: the bytes do not parse.
            SchemaValidationError: they parse but are not valid.
        """

    @abstractmethod
    def _to_bytes(self) -> bytes:
        """Render the current value as the bytes to store."""

    def _stored_at(self, artifact: str) -> None:
        """Told the artifact path this value was written to (for messages); no-op here."""

    @classmethod
    def _canonical_bytes(cls, data: bytes, artifact: str) -> bytes:
        """Valid ``data`` in the form this class writes (what a repair's output is stored
        as): parsed and rendered again, so a one-line repair reads like the rest."""
        return cls._from_bytes(data, artifact)._to_bytes()

    @abstractmethod
    def value(self) -> V:
        """The in-memory value."""

    # Validation hooks, underscored like the storage hooks. ``_repair`` may be overridden
    # with a classmethod ``(content, issues, document_type) -> str`` (sync or async);
    # without one, the tree-wide ``repair=`` given to ``mount`` is used.
    _repair: ClassVar[RepairFunction | None] = None

    @classmethod
    def _get_document_type(cls) -> str:
        """A short label for this kind of artifact, used in messages and repair prompts."""
        return cls.__name__

    @classmethod
    def _issues_in_text(cls, text: str, artifact: str) -> Sequence[ValidationIssue]:
        """``_issues_in`` for content already decoded (what the fixing loop works on)."""
        return cls._issues_in(text.encode("utf-8"), artifact)

    @classmethod
    def _issues_in(cls, data: bytes, artifact: str) -> Sequence[ValidationIssue]:
        """Every problem in ``data`` (empty when it is valid); the commit gate's check."""
        try:
            cls._from_bytes(data, artifact)
        except (DocumentParseError, SchemaValidationError) as error:
            return error.issues or (ValidationIssue(str(error), artifact=artifact),)
        return ()


class Anchor(Bound, BaseWorktreeItem):
    """An item that owns a directory with no in-memory representation.

    Its content is reached through ``handle()``; on the Git backend every commit takes a
    snapshot of everything under it.
    """

    def handle(self) -> Collection:
        """The collection this anchor owns."""
        return self._gwt_require_session().collection(self._gwt_path)

    def __repr__(self) -> str:
        path = getattr(self, "_gwt_path", None)
        return f"<{type(self).__name__} {str(path) if path else '(unmounted)'}>"


# --- containers and field discovery -----------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One declared item of a container.

    Attributes:
        name: the field name.
        kind: ``"artifact"``, ``"map"``, ``"container"`` or ``"anchor"``.
        item_type: the declared class (for a map, its item class).
        default: a class-level default value, used as the initial state when present.
    """

    name: str
    kind: str
    item_type: type[Any]
    default: Any = None

    @property
    def storage_name(self) -> str:
        """The name of the node it claims in its container's collection."""
        if self.kind == "artifact":
            return self.name + str(self.item_type.suffix)
        return self.name


_RESERVED_WORKTREE_NAMES = frozenset(
    {
        "sync", "commit", "acommit", "checkpoint", "restore", "transaction", "repo",
        "foreign_edits", "adopt", "discard",
    }
)  # fmt: skip


def _not_an_item(klass: type, name: str, annotation: Any) -> str:
    where = f"{klass.__qualname__}.{name}: {annotation!r} is not an artifact, anchor or layout"
    if hasattr(annotation, "ownership_claims"):
        # worktree's items (and gitworktree.compat.worktree's) drive their own storage
        # through claims and hooks; a native tree builds and stores its items itself.
        return (
            f"{where}: it is a worktree-style item (ownership_claims() and its hooks), which "
            "a native tree cannot mount; declare a native artifact instead (a Document "
            "subclass for a format of your own) or mount the tree with "
            "gitworktree.compat.worktree (docs/migrating.md)"
        )
    return f"{where}; wrap plain values in a PydanticArtifact"


def _own_annotation_names(cls: type) -> list[str]:
    """Names annotated in ``cls``'s own body, without evaluating the annotations."""
    return [name for name in inspect.get_annotations(cls) if not name.startswith("__")]


def _check_field_names(cls: type) -> None:
    """Refuse field names that would shadow the container's own API or break storage."""
    for name in _own_annotation_names(cls):
        if name.startswith("_"):
            continue  # private attributes are not items
        if issubclass(cls, Worktree) and name in _RESERVED_WORKTREE_NAMES:
            raise TypeError(
                f"{cls.__qualname__}.{name}: {name!r} is reserved by Worktree "
                f"(tree.{name}() is part of its API); rename the field"
            )
        if name in ("handle", "ownership_claims"):
            raise TypeError(
                f"{cls.__qualname__}.{name}: {name!r} is a method of every container; "
                f"rename the field"
            )
        try:
            check_name(name)
        except UnsafePathError as error:
            raise TypeError(f"{cls.__qualname__}.{name}: {error}") from None


_MISSING = object()


def _classify(annotation: Any) -> tuple[str, type[Any]] | None:
    origin = typing.get_origin(annotation)
    if origin is ClassVar:
        return None
    if origin is not None and isinstance(origin, type) and issubclass(origin, ArtifactMap):
        (item_type,) = typing.get_args(annotation) or (None,)
        if not (isinstance(item_type, type) and issubclass(item_type, Artifact)):
            raise TypeError(
                f"ArtifactMap needs an artifact type, e.g. ArtifactMap[Task], not {annotation!r}"
            )
        return "map", item_type
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, ArtifactMap):
        raise TypeError("ArtifactMap needs its item type: ArtifactMap[Task]")
    if issubclass(annotation, Artifact):
        return "artifact", annotation
    if issubclass(annotation, (Worktree, LayoutAnchor)):
        return "container", annotation
    if issubclass(annotation, Anchor):
        return "anchor", annotation
    return None


def _resolve(
    klass: type, name: str, annotation: Any, globalns: dict[str, Any], localns: dict[str, Any]
) -> Any:
    """Evaluate one (possibly string) annotation in the namespace of its class."""
    if not isinstance(annotation, str):
        return annotation
    if annotation.replace("typing.", "").startswith("ClassVar"):
        return ClassVar  # never an item; the type inside need not resolve
    try:
        return eval(annotation, globalns, localns)  # the class's own annotation text
    except Exception as error:
        raise TypeError(
            f"cannot resolve {klass.__qualname__}.{name}: {annotation!r} ({error}); define "
            f"the type at module level before mounting"
        ) from None


def fields_of(cls: type) -> dict[str, FieldSpec]:
    """The declared items of a container class, in declaration order (base classes first).

    Annotations are resolved on first use (so forward references and inner classes
    work) and the result is cached on the class.

    Raises:
        TypeError: an annotation cannot be resolved, or a public field is not an item.
    """
    cached = cls.__dict__.get("_gwt_fields")
    if cached is not None:
        return typing.cast(dict[str, FieldSpec], cached)
    module = sys.modules.get(cls.__module__)
    globalns = dict(vars(module)) if module else {}
    specs: dict[str, FieldSpec] = {}
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, (Worktree, LayoutAnchor)) or klass in (Worktree, LayoutAnchor):
            continue
        localns = {k: v for k, v in vars(klass).items() if isinstance(v, type)}
        annotations = inspect.get_annotations(klass)
        for name in _own_annotation_names(klass):
            if name.startswith("_"):
                continue
            annotation = _resolve(klass, name, annotations[name], globalns, localns)
            classified = _classify(annotation)
            if classified is None:
                if typing.get_origin(annotation) is ClassVar or annotation is ClassVar:
                    continue
                raise TypeError(_not_an_item(klass, name, annotation))
            kind, item_type = classified
            default = klass.__dict__.get(name, _MISSING)
            if isinstance(default, _ItemField):
                default = default.default
            specs[name] = FieldSpec(name, kind, item_type, None if default is _MISSING else default)
    for spec in specs.values():
        setattr(cls, spec.name, _ItemField(spec.name, spec.default))
    type.__setattr__(cls, "_gwt_fields", specs)
    return specs


class _ItemField:
    """Descriptor for a declared item: reads hand the value out, writes replace it."""

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, instance: _Container | None, owner: type) -> Any:
        if instance is None:
            return self
        child = instance._gwt_child(self.name)
        if isinstance(child, ArtifactSlot):
            return child.hand_out()
        return child

    def __set__(self, instance: _Container, value: Any) -> None:
        child = instance._gwt_child(self.name)
        if not isinstance(child, ArtifactSlot):
            raise AttributeError(
                f"{instance._gwt_dotted_name(self.name)} is a directory item and cannot be "
                f"replaced; change what it contains instead"
            )
        child.assign(value)


class _Container(Bound):
    """Shared behaviour of ``Worktree`` and ``LayoutAnchor``: children bound by field name."""

    _gwt_children: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_field_names(cls)

    @classmethod
    def _gwt_mounted(cls, session: TreeSession, path: PurePosixPath, dotted: str) -> Self:
        node = super()._gwt_mounted(session, path, dotted)
        node._gwt_children = {}
        return node

    def _gwt_loaded(self, name: str) -> Any:
        """The child loaded for the field ``name`` (``None``: not loaded yet)."""
        return self._gwt_children.get(name)

    def _gwt_hold(self, name: str, child: Any) -> None:
        """Hold ``child`` (a slot, map or node) for the field ``name``."""
        self._gwt_children[name] = child

    def _gwt_child(self, name: str) -> Any:
        try:
            return self._gwt_children[name]
        except AttributeError:
            self._gwt_require_session()
            raise
        except KeyError:  # pragma: no cover - descriptors exist only for declared fields
            raise AttributeError(name) from None

    def _gwt_dotted_name(self, name: str) -> str:
        return f"{self._gwt_dotted}.{name}" if self._gwt_dotted else name

    def ownership_claims(self) -> list[Claim]:
        """The storage nodes this container's declared items claim."""
        return [
            spec.item_type.claim(name) if spec.kind != "map" else CollectionClaim(name)
            for name, spec in fields_of(type(self)).items()
        ]

    def __repr__(self) -> str:
        path = getattr(self, "_gwt_path", None)
        return f"<{type(self).__name__} {str(path) if path else '(unmounted)'}>"


class LayoutAnchor(_Container, Anchor):
    """A directory that organizes items without being a synchronization boundary.

    Declare items with annotations; nested layouts may be inner classes. A bare
    ``LayoutAnchor`` field is an empty directory stub, reachable through ``handle()``.
    """


class Worktree(_Container):
    """A composable tree of items; the root of a mount, or nested in a sub-directory.

    The names ``sync``, ``commit``, ``acommit``, ``checkpoint``, ``restore``,
    ``transaction``, ``repo``, ``foreign_edits``, ``adopt`` and ``discard`` are its API
    and cannot be used as field names.
    """

    def sync(self) -> None:
        """Reload this tree from storage, discarding uncommitted in-memory changes.

        Items missing from storage are initialized and written.
        """
        self._gwt_require_session().sync(self)

    def commit(
        self,
        message: str | None = None,
        *,
        author: str | None = None,
        trailers: Mapping[str, str] | None = None,
        retries: int = 0,
    ) -> CommitInfo | None:
        """Validate and write every changed artifact of this tree in one commit.

        Args:
            message: the commit message; by default one is made from the changed paths.
            author: ``"Name <email>"`` recorded as the author (the agent, say); by
                default the tree's (``mount(author=...)``), else the repository's identity.
            trailers: extra ``Key: value`` lines for the commit message's trailer block.
            retries: how many times to publish again when the branch moved under us
                (another writer committed in between). Safe: each retry re-checks that
                none of our artifacts changed at the new tip, and lands on top of it.
                Commits of other gitworktree writers never need it; ``git`` does.

        Returns:
            What was committed, or ``None`` when nothing had changed.

        Edits found on disk when the tree loaded that it did not make (a person's, see
        ``foreign_edits``) are left out, unless adopted.

        Raises:
            CommitRejectedError: an artifact stayed invalid after repair; nothing written.
            ForeignEditsError: the commit would carry someone else's uncommitted edit
                (the program changed a file that had one); nothing written.
            OperationInProgressError: a git merge, rebase, cherry-pick or revert is
                under way in the repository; nothing written.
            ConflictError: storage changed under us since the last sync; nothing written.
            ReadOnlyError: the tree is mounted at a past revision.
        """
        request = CommitRequest(message, author, trailers, retries)
        return self._gwt_require_session().commit(self, request)

    async def acommit(
        self,
        message: str | None = None,
        *,
        author: str | None = None,
        trailers: Mapping[str, str] | None = None,
        retries: int = 0,
    ) -> CommitInfo | None:
        """Async twin of ``commit``: async repair hooks are awaited on the running loop."""
        session = self._gwt_require_session()
        return await session.acommit(self, CommitRequest(message, author, trailers, retries))

    def transaction(self, message: str | None = None) -> AbstractContextManager[Self]:
        """A block whose changes commit together, or not at all.

        On success the changes are committed with ``message``. On an exception the
        in-memory tree (and, on Git, the working tree) go back to the last commit and
        the exception propagates.
        """
        return self._gwt_require_session().transaction(self, message)

    def checkpoint(self, name: str | None = None) -> Checkpoint:
        """Mark the current commit as ``refs/checkpoints/<name>`` (a name is made if none).

        Raises:
            InvalidNameError: ``name`` is not a valid Git ref name.
            CheckpointError: the checkpoint exists already, or storage has no history.
        """
        return self._gwt_require_session().checkpoint(name)

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: list[str] | None = None,
        hard: bool = False,
        author: str | None = None,
    ) -> CommitInfo:
        """Bring the tree back to ``target`` (a checkpoint name, a ``Checkpoint`` or a revision).

        By default a new commit records the restore, so history is never lost;
        ``hard=True`` moves the branch instead (the reflog keeps the old tip). With
        ``paths``, only those files or directories are restored. The tree is re-synced.
        ``author`` (``"Name <email>"``) is recorded as the restore commit's author; by
        default the tree's (``mount(author=...)``).
        """
        session = self._gwt_require_session()
        return session.restore(target, paths=paths, hard=hard, author=author)

    def foreign_edits(self) -> list[str]:
        """Files of this tree with uncommitted edits it did not make, found when it loaded.

        A person's (or another tool's) edits, new files and deletions in the work tree:
        commits leave them out, and refuse (``ForeignEditsError``) to carry one the
        program changed. Paths are relative to the repository root, sorted.
        """
        return self._gwt_require_session().foreign_edits(self)

    def adopt(self, paths: list[str] | None = None) -> list[str]:
        """Make foreign edits the program's own: the next commit records them.

        They are then committed under the commit's author, through the gate, like any
        change the program made. Until the next ``sync()``, which finds them anew.

        Args:
            paths: files or directories (relative to the repository root); ``None``:
                every foreign edit of this tree.

        Returns:
            The paths adopted (those of ``paths`` that had foreign edits).
        """
        return self._gwt_require_session().adopt(self, paths)

    def discard(self, paths: list[str] | None = None) -> list[str]:
        """Throw foreign edits away: the files go back to HEAD's and are loaded again.

        Files HEAD does not have are deleted. The program's in-memory changes to those
        artifacts are dropped with them.

        Args:
            paths: files or directories (relative to the repository root); ``None``:
                every foreign edit of this tree.

        Returns:
            The paths put back.
        """
        return self._gwt_require_session().discard(self, paths)

    @property
    def repo(self) -> Repository:
        """The Git repository this tree is mounted on (read-only operations)."""
        return self._gwt_require_session().repository()
