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
from typing import Any, TypeAlias, TypeVar, cast

from gitworktree.errors import (
    CheckpointError,
    ConflictError,
    DocumentParseError,
    NodeKindError,
    ReadOnlyError,
    RepositoryError,
    SchemaValidationError,
)
from gitworktree.history._core.info import CommitInfo
from gitworktree.mounting.foreign import ForeignEdits
from gitworktree.mounting.pipeline import CommitPipeline, within
from gitworktree.storage.base import Collection, Storage, blob_sha
from gitworktree.tree.binding import ArtifactSlot
from gitworktree.tree.items import Anchor, Artifact, LayoutAnchor, Worktree, _Container, fields_of
from gitworktree.tree.maps import ArtifactMap, map_item_path
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS, FixingLoop, RepairFunction

__all__ = ["MountSession"]

log = logging.getLogger("gitworktree")

T = TypeVar("T", bound=Worktree)

# A loaded artifact: its value, the repair attempts that took, and the blob ids of what
# storage holds (None: nothing yet) and of what is committed (None: nothing).
_Loaded: TypeAlias = tuple[Artifact[Any], int, str | None, str | None]

# A restore re-reads changed artifacts one by one up to this many plus half the tree;
# beyond that a full load (one pass per directory) is cheaper.
_REREAD_AT_MOST = 64


class MountSession(CommitPipeline):
    """The live binding of one mounted tree to its storage; implements ``TreeSession``."""

    def __init__(
        self,
        storage: Storage,
        base: PurePosixPath,
        *,
        repair: RepairFunction | None = None,
        max_repair_attempts: int = DEFAULT_MAX_ATTEMPTS,
        author: str | None = None,
        max_artifact_bytes: int | None = None,
    ) -> None:
        self.storage = storage
        self.max_artifact_bytes = max_artifact_bytes  # None: no limit
        self.base = base
        self.read_only = storage.read_only
        self.repair = repair
        self.max_repair_attempts = max_repair_attempts
        self.author = author  # of every commit a call names no author for
        self._lock = threading.RLock()
        self._touched: dict[int, ArtifactSlot] = {}
        self._removed: dict[PurePosixPath, ArtifactSlot] = {}
        self._anchor_dirs: set[PurePosixPath] = set()
        self._repaired_on_load: dict[PurePosixPath, int] = {}
        self._artifact_types: dict[PurePosixPath, type[Artifact[Any]]] = {}
        self._map_types: dict[PurePosixPath, type[Artifact[Any]]] = {}
        # Where each loaded slot lives, for re-reading only what a restore changed.
        self._declared: dict[PurePosixPath, tuple[_Container, str]] = {}
        self._maps: dict[PurePosixPath, ArtifactMap[Any]] = {}
        self._directories: dict[PurePosixPath, None] = {}  # containers and maps, in order
        self._unordered: dict[int, ArtifactMap[Any]] = {}  # maps with keys added in memory
        # The commit the loaded tree reflects (apart from pending changes, which are
        # tracked), while known: a restore then re-reads only what differs from it.
        self._synced_head: str | None = None
        self._synced_known = False
        self._root: Worktree | None = None
        # Edits found on disk at load that the tree did not make (see gitworktree.mounting.foreign).
        self._foreign = ForeignEdits()

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
        head = self.storage.head  # before reading: a commit landing meanwhile is re-read later
        missing: list[ArtifactSlot] = []
        self._load_container(node, states, missing)
        self._note_foreign_files(node)
        self._note_synced(node, head)
        if missing and not self.read_only:
            try:
                self._initialize(missing)
            except ConflictError:
                # Another writer initialized them first (two first mounts at once): theirs
                # stand; load them, and initialize whatever is still missing.
                head = self.storage.head
                missing = []
                self._load_container(node, states, missing)
                self._note_synced(node, head)
                if missing:
                    self._initialize(missing)

    def _note_foreign_files(self, node: _Container) -> None:
        """Record the anchor files under ``node`` that differ from HEAD as it loads."""
        if self.read_only or not self.storage.versioned:
            return
        anchors = [str(p) for p in sorted(self._anchor_dirs) if within(p, node._gwt_path)]
        if anchors:
            self._foreign.note_files(self.storage.snapshot(anchors))

    def _note_synced(self, node: _Container, head: str | None) -> None:
        """Record that ``node`` was loaded from storage at ``head``."""
        if node is self._root:
            self._synced_head, self._synced_known = head, True
        elif not (self._synced_known and head == self._synced_head):
            self._synced_known = False  # part of the tree is newer than the rest

    def _published(self, info: CommitInfo) -> None:
        """Follow a commit of ours: the tree now reflects it, unless others' came between."""
        parent = info.parents[0] if info.parents else None
        if self.storage.versioned and self._synced_known and parent == self._synced_head:
            self._synced_head = info.sha
        else:
            self._synced_known = False

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
        self._directories[node._gwt_path] = None
        committed = self.storage.committed_digests(node._gwt_path)
        children = node._gwt_children
        for name, spec in fields_of(type(node)).items():
            state = (states or {}).get(name, spec.default)
            path = node._gwt_path / spec.storage_name
            dotted = node._gwt_dotted_name(name)
            if spec.kind == "artifact":
                self._artifact_types[path] = spec.item_type
                self._declared[path] = (node, name)
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
                self._maps[path] = mapping
                self._directories[path] = None
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
                    self._directories[path] = None
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
        loaded: _Loaded
        if kind is None:
            loaded = (item_type._initial(state, dotted), 0, None, base)
        else:
            data = self.storage.read_limited(path, self.max_artifact_bytes)
            loaded = self._from_stored(item_type, data, str(path), committed, path.name)
        return self._bind(slot, item_type, path, dotted, loaded, missing)

    def _from_stored(
        self,
        item_type: type[Artifact[Any]],
        data: bytes,
        where: str,
        committed: Mapping[str, str] | None,
        name: str,
    ) -> _Loaded:
        """Parse what storage holds for an artifact: what ``_bind`` takes."""
        value, attempts = self._parse_stored(item_type, data, where)
        stored = blob_sha(data)
        return value, attempts, stored, stored if committed is None else committed.get(name)

    def _bind(
        self,
        slot: ArtifactSlot | None,
        item_type: type[Artifact[Any]],
        path: PurePosixPath | tuple[PurePosixPath, str],
        dotted: str,
        loaded: _Loaded,
        missing: list[ArtifactSlot],
    ) -> ArtifactSlot:
        """Bind a loaded artifact to its slot (made if ``None``), and note what is due."""
        value, attempts, stored, base = loaded
        if slot is None:
            slot = ArtifactSlot(self, path, item_type, value, stored, dotted, base)
        else:
            slot.value, slot.stored, slot.base = value, stored, base
        if attempts:
            self._repaired_on_load[slot.path] = attempts
        if stored is not None and stored != base and self.storage.versioned:
            # On disk, not what is committed: someone else's edit, until adopted.
            self._foreign.note_artifact(slot.path, _rendered(value))
        elif self._foreign.artifacts:
            self._foreign.forget(slot.path)
        if stored is None:
            missing.append(slot)
        elif attempts or stored != base:
            self.touch(slot)  # repaired in memory, or changed on disk: due in the next commit
        return slot

    def _parse_stored(
        self, item_type: type[Artifact[Any]], data: bytes, where: str
    ) -> tuple[Artifact[Any], int]:
        """Parse stored bytes; invalid content is repaired in memory when a hook exists.

        The stored file is never rewritten here: a repaired value is marked as changed, so
        the repair lands (through the gate) with the next commit.

        Args:
            item_type: the artifact class.
            data: the stored bytes.
            where: the artifact's path, for messages.

        Returns:
            The value, and how many repair attempts it took (0: it was valid).
        """
        try:
            return item_type._from_bytes(data, where), 0
        except (DocumentParseError, SchemaValidationError):
            repair = item_type._repair or self.repair
            text = _text_or_none(data)
            if repair is None or text is None or self.read_only:
                raise
        result = FixingLoop(self.max_repair_attempts).run(
            text,
            lambda content: item_type._issues_in_text(content, where),
            repair,
            document_type=item_type._get_document_type(),
        )
        result.raise_for_status(artifact=where)
        log.info("%s: stored content was invalid and was repaired in memory", where)
        return item_type._from_bytes(result.content.encode(), where), result.attempts

    def _load_map(self, mapping: ArtifactMap[Any], state: Any, missing: list[ArtifactSlot]) -> None:
        path = mapping._gwt_path
        existed = self.storage.kind_of(path) == "collection"
        self._ensure_collection(path)
        old: dict[str, ArtifactSlot] = getattr(mapping, "_gwt_slots", {})
        slots: dict[str, ArtifactSlot] = {}
        item_type = mapping._gwt_item_type
        suffix = item_type.suffix
        committed = self.storage.committed_digests(path)
        # One pass over the directory reads every item (the usual case, and the cost of a
        # mount); anything that is not a plain file is looked at one by one.
        limit = self.max_artifact_bytes
        on_disk = self.storage.read_objects(path, suffix, limit) if existed else {}
        prefix = f"{path}/" if path.parts else ""
        for name in sorted(on_disk.keys() | (committed or {}).keys()):
            if not name.endswith(suffix) or name.startswith("."):
                continue
            key = name[: len(name) - len(suffix)] if suffix else name
            if name not in on_disk and not self.read_only:
                self._note_deleted_on_disk(mapping, path / name, committed)
                continue
            dotted = f"{mapping._gwt_dotted}[{key!r}]"
            data = on_disk.get(name)
            if data is None:
                slots[key] = self._load_artifact(
                    old.get(key), item_type, path / name, dotted, None, missing, committed
                )
                continue
            loaded = self._from_stored(item_type, data, prefix + name, committed, name)
            place = (path, name)  # the slot joins them if ever asked for its path
            slots[key] = self._bind(old.get(key), item_type, place, dotted, loaded, missing)
        if not existed and state:
            for key, item_state in dict(state).items():
                item_path = map_item_path(mapping, key)
                slot = self._load_artifact(
                    None, mapping._gwt_item_type, item_path,
                    f"{mapping._gwt_dotted}[{key!r}]", item_state, missing, committed,
                )  # fmt: skip
                slots[key] = slot
        mapping._gwt_slots = slots
        self._unordered.pop(id(mapping), None)

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
        self._foreign.note_artifact(path, None)  # someone deleted it: theirs to commit

    def _drop_pending(self, node: _Container) -> None:
        for key, slot in list(self._touched.items()):
            if within(slot.path, node._gwt_path):
                del self._touched[key]
        for path in list(self._removed):
            if within(path, node._gwt_path):
                del self._removed[path]
        self._foreign.drop_within(node._gwt_path)

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
        """Paths a commit would write: in-memory state that differs from what is committed.

        Foreign edits the program left as they were are not among them: they stay on
        disk, where a pull's or restore's own checks protect them.
        """
        with self._lock:
            changed, _ = self._render(list(self._touched.values()))
            left_out = self._foreign.left_out
            return sorted(
                {
                    *(str(slot.path) for slot, data in changed.items()
                      if not left_out(slot.path, data)),
                    *(str(path) for path in self._removed if not left_out(path, None)),
                }
            )  # fmt: skip

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
        self._foreign.forget(path)  # whatever was on disk, the program writes its own value
        self._unordered[id(mapping)] = mapping  # a full load would put the key in order
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

    def restore(
        self, target: Any, *, paths: list[str] | None, hard: bool, author: str | None = None
    ) -> CommitInfo:
        storage = self._versioned("restore")
        with self._lock:
            info: CommitInfo = storage.restore(
                target,
                paths=paths,
                hard=hard,
                author=author or self.author,
                artifacts=lambda path: self.artifact_type_for(path) is not None,
            )
            if self._root is not None:
                self._resync(self._root)
            return info

    def _resync(self, root: Worktree) -> None:
        """Make the loaded tree what HEAD now holds, dropping every pending change.

        Only what can differ is read again: the files that differ between the commit the
        tree was loaded at and HEAD, and the artifacts with pending changes. So a restore
        costs what it changed, not the size of the tree. (Like any operation but ``sync``,
        it does not look for files other programs edited without committing.) The whole
        tree is loaded instead when its commit is unknown (another writer's commit landed
        under ours), when directories and files traded places, or when most of it changed.
        """
        pending = {*(str(slot.path) for slot in self._touched.values()), *map(str, self._removed)}
        self._touched.clear()
        self._removed.clear()
        head = self.storage.head
        plan = self._reread_plan(head, pending)
        if plan is None:
            self._repaired_on_load.clear()
            self._foreign.drop_within(root._gwt_path)
            self._load(root, None)
            return
        missing: list[ArtifactSlot] = []
        for directory in self._directories:
            self._ensure_collection(directory)  # a restore removes directories it emptied
        grown = self._unordered
        for path, base in plan:
            self._repaired_on_load.pop(path, None)
            committed = {} if base is None else {path.name: base}
            mapping = self._maps.get(path.parent)
            if mapping is None:
                self._reread_declared(path, committed, missing)
            elif self._reread_item(mapping, path, committed, missing):
                grown[id(mapping)] = mapping
        for mapping in grown.values():  # new keys go where a full load puts them
            suffix = mapping._gwt_item_type.suffix
            mapping._gwt_slots = dict(
                sorted(mapping._gwt_slots.items(), key=lambda item: item[0] + suffix)
            )
        grown.clear()
        self._synced_head, self._synced_known = head, True
        if missing and not self.read_only:
            try:
                self._initialize(missing)
            except ConflictError:
                self._load(root, None)  # another writer initialized them: load theirs

    def _reread_plan(
        self, head: str | None, pending: set[str]
    ) -> list[tuple[PurePosixPath, str | None]] | None:
        """The loaded artifacts to read again, with their blob ids at HEAD; ``None``: all."""
        loaded = len(self._declared) + sum(len(m._gwt_slots) for m in self._maps.values())
        limit = _REREAD_AT_MOST + loaded // 2  # beyond: one pass per directory is cheaper
        if not self._synced_known or head is None or len(pending) > limit:
            return None
        storage = self._versioned("restore")
        try:
            changes = storage.changes_since(self._synced_head, sorted(pending))
        except (RepositoryError, LookupError):
            return None  # the commit the tree was loaded at is gone: read everything
        if len(changes) > limit:
            return None
        plan = []
        for text, base in changes.items():
            path = PurePosixPath(text)
            if path in self._declared or path.parent in self._maps:
                plan.append((path, base))
            elif self._changes_layout(path):
                return None
        return plan

    def _changes_layout(self, path: PurePosixPath) -> bool:
        """Whether a change at ``path`` (not a loaded artifact) may change the tree's shape.

        A declared directory that is now a file, a declared artifact that is now a
        directory, or a directory in a map named like an item: a full load reports them.
        """
        if path in self._directories:
            return True
        for parent in path.parents:
            if parent in self._declared:
                return True
            mapping = self._maps.get(parent)
            if mapping is not None:
                entry = path.relative_to(parent).parts[0]
                suffix = mapping._gwt_item_type.suffix
                return entry.endswith(suffix) and not entry.startswith(".")
        return False

    def _reread_declared(
        self, path: PurePosixPath, committed: Mapping[str, str], missing: list[ArtifactSlot]
    ) -> None:
        node, name = self._declared[path]
        spec = fields_of(type(node))[name]
        node._gwt_children[name] = self._load_artifact(
            node._gwt_children.get(name), spec.item_type, path,
            node._gwt_dotted_name(name), spec.default, missing, committed,
        )  # fmt: skip

    def _reread_item(
        self,
        mapping: ArtifactMap[Any],
        path: PurePosixPath,
        committed: Mapping[str, str],
        missing: list[ArtifactSlot],
    ) -> bool:
        """Read one map item again, as ``_load_map`` would; whether its key is new."""
        name = path.name
        item_type = mapping._gwt_item_type
        suffix = item_type.suffix
        if not name.endswith(suffix) or name.startswith("."):
            return False
        key = name[: len(name) - len(suffix)] if suffix else name
        slots = mapping._gwt_slots
        old = slots.get(key)
        kind = self.storage.kind_of(path)
        if kind is None:
            slots.pop(key, None)
            if committed and not self.read_only:
                self._note_deleted_on_disk(mapping, path, committed)
            return False
        if kind == "collection":
            raise NodeKindError(path, "file", "directory")
        data = self.storage.read_limited(path, self.max_artifact_bytes)
        loaded = self._from_stored(item_type, data, str(path), committed, name)
        dotted = f"{mapping._gwt_dotted}[{key!r}]"
        slots[key] = self._bind(old, item_type, path, dotted, loaded, missing)
        return old is None

    def repository(self) -> Any:
        return self._versioned("repo").repository

    # --- edits the tree did not make (gitworktree.mounting.foreign) ------------------------

    def foreign_edits(self, node: _Container) -> list[str]:
        """The files under ``node`` with edits the tree found on disk and did not make."""
        with self._lock:
            artifacts, files = self._foreign.select(node._gwt_path, None)
            return sorted({*map(str, artifacts), *files})

    def adopt(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Make foreign edits the program's own: the next commit records them."""
        with self._lock:
            artifacts, files = self._foreign.select(node._gwt_path, paths)
            for path in artifacts:
                deleted = self._foreign.artifacts[path] is None
                mapping = self._maps.get(path.parent)
                if deleted and path not in self._removed and mapping is not None:
                    # A restore's re-sync forgot the removal; the file is still gone.
                    committed = self.storage.committed_digests(path.parent)
                    self._note_deleted_on_disk(mapping, path, committed)
                del self._foreign.artifacts[path]
                slot = self._slot_at(path)
                if slot is not None:
                    self.touch(slot)  # a candidate again, even if a commit forgot it
            for name in files:
                del self._foreign.files[name]
            return sorted({*map(str, artifacts), *files})

    def discard(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Put files with foreign edits back as HEAD has them, and load them again."""
        if self.read_only:
            raise ReadOnlyError("this tree is mounted read-only (at a past revision)")
        with self._lock:
            artifacts, files = self._foreign.select(node._gwt_path, paths)
            chosen = sorted({*map(str, artifacts), *files})
            if not chosen:
                return []
            self.storage.discard(chosen)
            for name in files:
                del self._foreign.files[name]
            missing: list[ArtifactSlot] = []
            for path in artifacts:
                del self._foreign.artifacts[path]
                self._removed.pop(path, None)
                self._repaired_on_load.pop(path, None)
                base = (self.storage.committed_digests(path.parent) or {}).get(path.name)
                committed = {} if base is None else {path.name: base}
                mapping = self._maps.get(path.parent)
                if mapping is None:
                    self._reread_declared(path, committed, missing)
                elif self._reread_item(mapping, path, committed, missing):
                    suffix = mapping._gwt_item_type.suffix
                    mapping._gwt_slots = dict(
                        sorted(mapping._gwt_slots.items(), key=lambda item: item[0] + suffix)
                    )
            if missing:
                self._initialize(missing)  # a declared artifact HEAD lacks: its defaults
            return chosen

    def _slot_at(self, path: PurePosixPath) -> ArtifactSlot | None:
        declared = self._declared.get(path)
        if declared is not None:
            node, name = declared
            slot = node._gwt_children.get(name)
            return slot if isinstance(slot, ArtifactSlot) else None
        mapping = self._maps.get(path.parent)
        if mapping is None:
            return None
        suffix = mapping._gwt_item_type.suffix
        key = path.name[: len(path.name) - len(suffix)] if suffix else path.name
        slot = mapping._gwt_slots.get(key)
        return slot

    def _discard_own_anchor_writes(self, node: _Container) -> None:
        """Roll back what the program wrote in anchors, leaving others' edits alone."""
        anchors = sorted(str(p) for p in self._anchor_dirs if within(p, node._gwt_path))
        if not anchors:
            return
        written = self.storage.snapshot(anchors)
        own = sorted(name for name in written if name not in self._foreign.files)
        self.storage.discard(own)

    @contextlib.contextmanager
    def transaction(self, node: Worktree, message: str | None) -> Iterator[Worktree]:
        try:
            yield node
        except BaseException:
            with self._lock:
                self._discard_own_anchor_writes(node)
                self._drop_pending(node)
                self._load(node, None)
            raise
        node.commit(message)


def _rendered(value: Artifact[Any]) -> bytes | None:
    """What a commit would render for ``value`` (``None``: it cannot be rendered)."""
    try:
        return value._to_bytes()
    except (ValueError, TypeError):
        return None


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
