"""MountSession: the live binding of one mounted tree to its storage.

It builds and loads the declared tree (``sync``), keeps the bookkeeping the nodes report
to it (``TreeSession``), commits through ``CommitPipeline``, and runs checkpoints,
restores and transactions on versioned storage.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any, TypeVar, cast

from gitworktree.binding import ArtifactSlot
from gitworktree.errors import (
    CheckpointError,
    ConflictError,
    DocumentParseError,
    NodeKindError,
    ReadOnlyError,
    SchemaValidationError,
)
from gitworktree.history.info import CommitInfo
from gitworktree.maps import ArtifactMap, map_item_path
from gitworktree.pipeline import CommitPipeline, within
from gitworktree.storage.base import Collection, Storage, blob_sha
from gitworktree.tree import Anchor, Artifact, LayoutAnchor, Worktree, _Container, fields_of
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS, FixingLoop, RepairFunction

__all__ = ["MountSession"]

log = logging.getLogger("gitworktree")

T = TypeVar("T", bound=Worktree)


class MountSession(CommitPipeline):
    """The live binding of one mounted tree to its storage; implements ``TreeSession``."""

    def __init__(
        self,
        storage: Storage,
        base: PurePosixPath,
        *,
        repair: RepairFunction | None = None,
        max_repair_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.storage = storage
        self.base = base
        self.read_only = storage.read_only
        self.repair = repair
        self.max_repair_attempts = max_repair_attempts
        self._lock = threading.RLock()
        self._touched: dict[int, ArtifactSlot] = {}
        self._removed: dict[PurePosixPath, ArtifactSlot] = {}
        self._anchor_dirs: set[PurePosixPath] = set()
        self._repaired_on_load: dict[PurePosixPath, int] = {}
        self._artifact_types: dict[PurePosixPath, type[Artifact[Any]]] = {}
        self._map_types: dict[PurePosixPath, type[Artifact[Any]]] = {}
        self._root: Worktree | None = None

    # --- building and syncing -----------------------------------------------------------

    def build(self, tree_cls: type[T], initial_states: Mapping[str, Any] | None) -> T:
        """Create the tree's nodes, load them from storage, and write what was missing."""
        tree = tree_cls.__new__(tree_cls)
        tree._gwt_bind(self, self.base, "")
        tree._gwt_children = {}
        self._root = tree
        self._load(tree, initial_states)
        return tree

    def sync(self, node: _Container) -> None:
        with self._lock:
            self._drop_pending(node)
            self._load(node, None)

    def _load(self, node: _Container, states: Mapping[str, Any] | None) -> None:
        if not self.read_only:
            repaired = self.storage.recover()
            if repaired:
                log.warning(
                    "finished an interrupted checkout (a killed process?): rewrote %s from HEAD",
                    ", ".join(repaired),
                )
        missing: list[ArtifactSlot] = []
        self._load_container(node, states, missing)
        if missing and not self.read_only:
            try:
                self._initialize(missing)
            except ConflictError:
                # Another writer initialized them first (two first mounts at once): theirs
                # stand; load them, and initialize whatever is still missing.
                missing = []
                self._load_container(node, states, missing)
                if missing:
                    self._initialize(missing)

    def _initialize(self, missing: list[ArtifactSlot]) -> None:
        names = ", ".join(str(slot.path) for slot in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        self._commit_slots(missing, [], f"Initialize {names}{more}", None, None)

    def _ensure_collection(self, path: PurePosixPath) -> None:
        kind = self.storage.kind_of(path)
        if kind == "object":
            raise NodeKindError(path, "directory", "file")
        if kind is None and not self.read_only:
            self.storage.make_collection(path)

    def _load_container(
        self, node: _Container, states: Mapping[str, Any] | None, missing: list[ArtifactSlot]
    ) -> None:
        self._ensure_collection(node._gwt_path)
        committed = self.storage.committed_digests(node._gwt_path)
        children = node._gwt_children
        for name, spec in fields_of(type(node)).items():
            state = (states or {}).get(name, spec.default)
            path = node._gwt_path / spec.storage_name
            dotted = node._gwt_dotted_name(name)
            if spec.kind == "artifact":
                self._artifact_types[path] = spec.item_type
                children[name] = self._load_artifact(
                    children.get(name), spec.item_type, path, dotted, state, missing, committed
                )
            elif spec.kind == "map":
                mapping = children.get(name)
                if mapping is None:
                    mapping = ArtifactMap.__new__(ArtifactMap)
                mapping._gwt_bind(self, path, dotted)
                mapping._gwt_item_type = spec.item_type
                self._map_types[path] = spec.item_type
                self._load_map(mapping, state, missing)
                children[name] = mapping
            else:
                child = children.get(name)
                if child is None:
                    child = object.__new__(spec.item_type)
                child._gwt_bind(self, path, dotted)
                if isinstance(child, _Container):
                    if not hasattr(child, "_gwt_children"):
                        child._gwt_children = {}
                    self._load_container(child, state, missing)
                else:
                    self._ensure_collection(path)
                if _is_free_form(child):
                    self._anchor_dirs.add(path)
                children[name] = child

    def _load_artifact(
        self,
        slot: ArtifactSlot | None,
        item_type: type[Artifact[Any]],
        path: PurePosixPath,
        dotted: str,
        state: Any,
        missing: list[ArtifactSlot],
        committed: Mapping[str, str] | None,
    ) -> ArtifactSlot:
        """Load one artifact, or create it from its initial state if it exists nowhere.

        On a versioned backend a file on disk that differs from its committed version (or
        was never committed) is a pending change: the next commit gates and records it.
        """
        base = None if committed is None else committed.get(path.name)
        kind = self.storage.kind_of(path)
        if kind is None and base is not None and not self.read_only:
            # A declared artifact deleted from disk: history has it; put it back rather
            # than reinitialize it from defaults.
            log.warning("%s: missing from the working tree; restored from HEAD", path)
            self.storage.discard([str(path)])
            kind = self.storage.kind_of(path)
        if kind == "collection":
            raise NodeKindError(path, "file", "directory")
        attempts = 0
        if kind is None:
            value, stored = item_type._initial(state, dotted), None
        else:
            data = self.storage.read(path)
            value, attempts = self._parse_stored(item_type, data, path)
            stored = blob_sha(data)
        if committed is None:
            base = stored
        if slot is None:
            slot = ArtifactSlot(self, path, item_type, value, stored, dotted, base)
        else:
            slot.value, slot.stored, slot.base = value, stored, base
        if attempts:
            self._repaired_on_load[path] = attempts
        if stored is None:
            missing.append(slot)
        elif attempts or stored != base:
            self.touch(slot)  # repaired in memory, or changed on disk: due in the next commit
        return slot

    def _parse_stored(
        self, item_type: type[Artifact[Any]], data: bytes, path: PurePosixPath
    ) -> tuple[Artifact[Any], int]:
        """Parse stored bytes; invalid content is repaired in memory when a hook exists.

        The stored file is never rewritten here: a repaired value is marked as changed, so
        the repair lands (through the gate) with the next commit.

        Returns:
            The value, and how many repair attempts it took (0: it was valid).
        """
        try:
            return item_type._from_bytes(data, str(path)), 0
        except (DocumentParseError, SchemaValidationError):
            repair = item_type._repair or self.repair
            text = _text_or_none(data)
            if repair is None or text is None or self.read_only:
                raise
        result = FixingLoop(self.max_repair_attempts).run(
            text,
            lambda content: item_type._issues_in_text(content, str(path)),
            repair,
            document_type=item_type._get_document_type(),
        )
        result.raise_for_status(artifact=str(path))
        log.info("%s: stored content was invalid and was repaired in memory", path)
        return item_type._from_bytes(result.content.encode(), str(path)), result.attempts

    def _load_map(self, mapping: ArtifactMap[Any], state: Any, missing: list[ArtifactSlot]) -> None:
        path = mapping._gwt_path
        existed = self.storage.kind_of(path) == "collection"
        self._ensure_collection(path)
        old: dict[str, ArtifactSlot] = getattr(mapping, "_gwt_slots", {})
        slots: dict[str, ArtifactSlot] = {}
        suffix = mapping._gwt_item_type.suffix
        committed = self.storage.committed_digests(path)
        on_disk = set(self.storage.list_names(path)) if existed else set()
        for name in sorted(on_disk | set(committed or ())):
            if not name.endswith(suffix) or name.startswith("."):
                continue
            key = name[: len(name) - len(suffix)] if suffix else name
            if name not in on_disk and not self.read_only:
                self._note_deleted_on_disk(mapping, path / name, committed)
                continue
            slots[key] = self._load_artifact(
                old.get(key), mapping._gwt_item_type, path / name,
                f"{mapping._gwt_dotted}[{key!r}]", None, missing, committed,
            )  # fmt: skip
        if not existed and state:
            for key, item_state in dict(state).items():
                item_path = map_item_path(mapping, key)
                slot = self._load_artifact(
                    None, mapping._gwt_item_type, item_path,
                    f"{mapping._gwt_dotted}[{key!r}]", item_state, missing, committed,
                )  # fmt: skip
                slots[key] = slot
        mapping._gwt_slots = slots

    def _note_deleted_on_disk(
        self, mapping: ArtifactMap[Any], path: PurePosixPath, committed: Mapping[str, str] | None
    ) -> None:
        """A committed map item deleted from disk: its removal is due in the next commit."""
        base = None if committed is None else committed.get(path.name)
        item = f"{mapping._gwt_dotted}[{path.name!r}]"
        # Nothing renders a removed item, so it needs no value.
        removed = ArtifactSlot(
            self, path, mapping._gwt_item_type, cast(Any, None), None, item, base
        )
        self._removed[path] = removed

    def _drop_pending(self, node: _Container) -> None:
        for key, slot in list(self._touched.items()):
            if within(slot.path, node._gwt_path):
                del self._touched[key]
        for path in list(self._removed):
            if within(path, node._gwt_path):
                del self._removed[path]

    # --- what the tree holds (for merges and tools) ---------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """Held while this tree loads or commits; hold it to act on the tree atomically."""
        return self._lock

    def artifact_type_for(self, path: str) -> type[Artifact[Any]] | None:
        """The artifact class that owns ``path`` (root-relative), or ``None`` if none does.

        Anchors' free-form files and undeclared files have no artifact class.
        """
        where = PurePosixPath(path)
        declared = self._artifact_types.get(where)
        if declared is not None:
            return declared
        item_type = self._map_types.get(where.parent)
        if item_type is not None and where.name.endswith(item_type.suffix):
            return None if where.name.startswith(".") else item_type
        return None

    def uncommitted_paths(self) -> list[str]:
        """Paths whose in-memory state differs from what is committed (sorted)."""
        with self._lock:
            changed, _ = self._render(list(self._touched.values()))
            return sorted({*(str(slot.path) for slot in changed), *map(str, self._removed)})

    # --- TreeSession: bookkeeping -------------------------------------------------------

    def touch(self, slot: ArtifactSlot) -> None:
        self._touched[id(slot)] = slot

    def collection(self, path: PurePosixPath) -> Collection:
        return self.storage.collection_node(path)

    def map_key_added(self, mapping: ArtifactMap[Any], key: str, value: Any) -> ArtifactSlot:
        if self.read_only:
            raise ReadOnlyError(f"{mapping._gwt_dotted}: this tree is mounted read-only")
        path = map_item_path(mapping, key)
        if not isinstance(value, mapping._gwt_item_type):
            raise TypeError(
                f"{mapping._gwt_dotted} holds {mapping._gwt_item_type.__name__} items, "
                f"not {type(value).__name__}"
            )
        removed = self._removed.pop(path, None)
        slot = ArtifactSlot(
            self,
            path,
            mapping._gwt_item_type,
            value,
            removed.stored if removed else None,
            f"{mapping._gwt_dotted}[{key!r}]",
            removed.base if removed else None,
        )
        self.touch(slot)
        return slot

    def map_key_removed(self, mapping: ArtifactMap[Any], slot: ArtifactSlot) -> None:
        self._touched.pop(id(slot), None)
        if slot.stored is not None or slot.base is not None:
            self._removed[slot.path] = slot

    # --- history (versioned storage only) -----------------------------------------------

    def _versioned(self, what: str) -> Any:
        if not self.storage.versioned:
            raise CheckpointError(
                what, f"{what} needs history: mount the tree on Git (the default backend)"
            )
        return self.storage

    def checkpoint(self, name: str | None) -> Any:
        return self._versioned("checkpoint").create_checkpoint(name, owner=self)

    def delete_checkpoint(self, name: str) -> None:
        """Delete a checkpoint (what ``Checkpoint.discard`` calls)."""
        self._versioned("checkpoint").delete_checkpoint(name)

    def restore(self, target: Any, *, paths: list[str] | None, hard: bool) -> CommitInfo:
        storage = self._versioned("restore")
        with self._lock:
            info: CommitInfo = storage.restore(target, paths=paths, hard=hard)
            if self._root is not None:
                self._touched.clear()
                self._removed.clear()
                self._load(self._root, None)
            return info

    def repository(self) -> Any:
        return self._versioned("repo").repository

    @contextlib.contextmanager
    def transaction(self, node: Worktree, message: str | None) -> Iterator[Worktree]:
        try:
            yield node
        except BaseException:
            with self._lock:
                self._drop_pending(node)
                anchors = [str(p) for p in self._anchor_dirs if within(p, node._gwt_path)]
                self.storage.discard(sorted(anchors))
                self._load(node, None)
            raise
        node.commit(message)


def _is_free_form(item: object) -> bool:
    """Anchors, and layouts that declare nothing, hold free-form files: snapshot them."""
    if isinstance(item, LayoutAnchor):
        return not fields_of(type(item))
    return isinstance(item, Anchor)


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
