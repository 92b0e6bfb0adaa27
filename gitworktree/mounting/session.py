"""MountSession: the live binding of one mounted tree to its storage.

It builds the declared tree and loads it through ``TreeLoader`` (``sync``), keeps the
bookkeeping the nodes report to it (``TreeSession``), commits through ``CommitPipeline``,
and runs checkpoints, restores, foreign-edit handling and transactions on versioned
storage.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from gitworktree.errors import (
    CheckpointError,
    ConflictError,
    GitWorktreeError,
    InsideRunningLoopError,
    ReadOnlyError,
    RepositoryError,
)
from gitworktree.history import Checkpoint, Repository
from gitworktree.history._core.info import CommitInfo
from gitworktree.mounting.loading import LoadedTree, TreeLoader
from gitworktree.mounting.pipeline import READ_ONLY, CommitPipeline, PendingChanges, within
from gitworktree.storage.base import Collection, Storage, VersionedStorage
from gitworktree.tree.binding import ArtifactSlot, CommitRequest
from gitworktree.tree.items import Artifact, Worktree, _Container
from gitworktree.tree.maps import ArtifactMap
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS, RepairFunction

if TYPE_CHECKING:
    import asyncio

__all__ = ["MountSession"]

log = logging.getLogger("gitworktree")

T = TypeVar("T", bound=Worktree)


# A restore re-reads changed artifacts one by one up to this many plus half the tree;
# beyond that a full load (one pass per directory) is cheaper.
_REREAD_AT_MOST = 64


class MountSession:
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
        self._async_commits = _AsyncCommits()
        # What the next commit may carry: filled here as the tree loads and changes,
        # emptied by the pipeline as commits land.
        self._changes = PendingChanges()
        self._pipeline = CommitPipeline(
            storage,
            self._changes,
            repair=repair,
            max_repair_attempts=max_repair_attempts,
            author=author,
            published=self._published,
        )
        # Where each loaded node lives, for re-reading only what a restore changed.
        self._held = LoadedTree()
        self._loader = TreeLoader(
            self,
            storage,
            self._changes,
            self._held,
            repair=repair,
            max_repair_attempts=max_repair_attempts,
            max_artifact_bytes=max_artifact_bytes,
        )
        # The commit the loaded tree reflects (apart from pending changes, which are
        # tracked), while known: a restore then re-reads only what differs from it.
        self._synced_head: str | None = None
        self._synced_known = False
        self._root: Worktree | None = None

    # --- building and syncing -----------------------------------------------------------

    def build(self, tree_cls: type[T], initial_states: Mapping[str, Any] | None) -> T:
        """Create the tree's nodes, load them from storage, and write what was missing."""
        tree = tree_cls._gwt_mounted(self, self.base, "")
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
        try:
            self._loader.load_container(node, states, missing)
        except BaseException:
            if not self.read_only:
                with contextlib.suppress(GitWorktreeError, OSError):
                    self._remove_leftovers()  # as a load that succeeds would
            raise
        if not self.read_only:
            self._remove_leftovers()
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
                self._loader.load_container(node, states, missing)
                self._note_synced(node, head)
                if missing:
                    self._initialize(missing)

    def _remove_leftovers(self) -> None:
        removed = self.storage.remove_leftovers()
        if removed:
            log.warning(
                "removed temporary files of interrupted writes (a killed process?): %s",
                ", ".join(removed),
            )

    def _note_foreign_files(self, node: _Container) -> None:
        """Record the anchor files under ``node`` that differ from HEAD as it loads."""
        if self.read_only or not isinstance(self.storage, VersionedStorage):
            return
        anchors = [str(p) for p in sorted(self._changes.anchor_dirs) if within(p, node._gwt_path)]
        if anchors:
            self._changes.foreign.note_files(self.storage.snapshot(anchors))

    def _note_synced(self, node: _Container, head: str | None) -> None:
        """Record that ``node`` was loaded from storage at ``head``."""
        if node is self._root:
            self._synced_head, self._synced_known = head, True
        elif not (self._synced_known and head == self._synced_head):
            self._synced_known = False  # part of the tree is newer than the rest

    def _published(self, info: CommitInfo) -> None:
        """Follow a commit of ours: the tree now reflects it, unless others' came between."""
        parent = info.parents[0] if info.parents else None
        versioned = isinstance(self.storage, VersionedStorage)
        if versioned and self._synced_known and parent == self._synced_head:
            self._synced_head = info.sha
        else:
            self._synced_known = False

    def _initialize(self, missing: list[ArtifactSlot]) -> None:
        names = ", ".join(str(slot.path) for slot in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        self._pipeline.commit_slots(missing, [], CommitRequest(f"Initialize {names}{more}"))

    def _drop_pending(self, node: _Container) -> None:
        for key, slot in list(self._changes.touched.items()):
            if within(slot.path, node._gwt_path):
                del self._changes.touched[key]
        for path in list(self._changes.removed):
            if within(path, node._gwt_path):
                del self._changes.removed[path]
        self._changes.foreign.drop_within(node._gwt_path)

    # --- committing (gitworktree.mounting.pipeline) ---------------------------------------

    def commit(self, node: _Container, request: CommitRequest) -> CommitInfo | None:
        with self._lock:
            if self._async_commits.in_this_thread():
                raise InsideRunningLoopError(
                    "commit() was called while an acommit() of this tree is under way in "
                    "this thread; nothing was written. Use `await tree.acommit(...)`, which "
                    "waits for it"
                )
            return self._pipeline.commit(node._gwt_path, request)

    async def acommit(self, node: _Container, request: CommitRequest) -> CommitInfo | None:
        # The thread lock keeps other threads out, but a coroutine of this thread walks
        # straight into an RLock held across an await: the asyncio lock queues those.
        async with self._async_commits.lock():
            with self._lock, self._async_commits.running():
                return await self._pipeline.acommit(node._gwt_path, request)

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
        declared = self._held.artifact_types.get(where)
        if declared is not None:
            return declared
        item_type = self._held.map_types.get(where.parent)
        if item_type is not None and where.name.endswith(item_type.suffix):
            return None if where.name.startswith(".") else item_type
        return None

    def uncommitted_paths(self) -> list[str]:
        """Paths a commit would write: in-memory state that differs from what is committed.

        Foreign edits the program left as they were are not among them: they stay on
        disk, where a pull's or restore's own checks protect them.
        """
        with self._lock:
            changed, _ = self._pipeline.render(list(self._changes.touched.values()))
            left_out = self._changes.foreign.left_out
            return sorted(
                {
                    *(str(slot.path) for slot, data in changed.items()
                      if not left_out(slot.path, data)),
                    *(str(path) for path in self._changes.removed if not left_out(path, None)),
                }
            )  # fmt: skip

    # --- TreeSession: bookkeeping -------------------------------------------------------

    def touch(self, slot: ArtifactSlot) -> None:
        self._changes.touched[id(slot)] = slot

    def collection(self, path: PurePosixPath) -> Collection:
        return self.storage.collection_node(path)

    def map_key_added(
        self, mapping: ArtifactMap[Any], key: str, path: PurePosixPath, value: Artifact[Any]
    ) -> ArtifactSlot:
        removed = self._changes.removed.pop(path, None)
        self._changes.foreign.forget(path)  # whatever was on disk, the program writes its own value
        self._held.unordered[id(mapping)] = mapping  # a full load would put the key in order
        slot = ArtifactSlot(
            self,
            path,
            mapping.item_type,
            value,
            removed.stored if removed else None,
            mapping._gwt_item_dotted(key),
            removed.base if removed else None,
        )
        self.touch(slot)
        return slot

    def map_key_removed(self, mapping: ArtifactMap[Any], slot: ArtifactSlot) -> None:
        self._changes.touched.pop(id(slot), None)
        if slot.stored is not None or slot.base is not None:
            self._changes.removed[slot.path] = slot

    # --- history (versioned storage only) -----------------------------------------------

    def _versioned(self, what: str) -> VersionedStorage:
        if not isinstance(self.storage, VersionedStorage):
            raise CheckpointError(
                what, f"{what} needs history: mount the tree on Git (the default backend)"
            )
        return self.storage

    def checkpoint(self, name: str | None) -> Checkpoint:
        return self._versioned("checkpoint").create_checkpoint(name, owner=self)

    def delete_checkpoint(self, name: str) -> None:
        """Delete a checkpoint (what ``Checkpoint.discard`` calls)."""
        self._versioned("checkpoint").delete_checkpoint(name)

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
    ) -> CommitInfo:
        storage = self._versioned("restore")
        with self._lock:
            info = storage.restore(
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
        pending = {
            *(str(slot.path) for slot in self._changes.touched.values()),
            *map(str, self._changes.removed),
        }
        self._changes.touched.clear()
        self._changes.removed.clear()
        head = self.storage.head
        plan = self._reread_plan(head, pending)
        if plan is None:
            self._changes.repaired_on_load.clear()
            self._changes.foreign.drop_within(root._gwt_path)
            self._load(root, None)
            return
        missing: list[ArtifactSlot] = []
        for directory in self._held.directories:
            self._loader.ensure_collection(directory)  # a restore removes directories it emptied
        grown = self._held.unordered
        for path, base in plan:
            self._changes.repaired_on_load.pop(path, None)
            committed = {} if base is None else {path.name: base}
            mapping = self._held.maps.get(path.parent)
            if mapping is None:
                self._loader.reread_declared(path, committed, missing)
            elif self._loader.reread_item(mapping, path, committed, missing):
                grown[id(mapping)] = mapping
        for mapping in grown.values():  # new keys go where a full load puts them
            mapping._gwt_order_keys()
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
        loaded = self._held.loaded_count()
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
            if path in self._held.declared or path.parent in self._held.maps:
                plan.append((path, base))
            elif self._changes_layout(path):
                return None
        return plan

    def _changes_layout(self, path: PurePosixPath) -> bool:
        """Whether a change at ``path`` (not a loaded artifact) may change the tree's shape.

        A declared directory that is now a file, a declared artifact that is now a
        directory, or a directory in a map named like an item: a full load reports them.
        """
        if path in self._held.directories:
            return True
        for parent in path.parents:
            if parent in self._held.declared:
                return True
            mapping = self._held.maps.get(parent)
            if mapping is not None:
                entry = path.relative_to(parent).parts[0]
                return mapping._gwt_key_for(entry) is not None
        return False

    def repository(self) -> Repository:
        return self._versioned("repo").repository

    # --- edits the tree did not make (gitworktree.mounting.foreign) ------------------------

    def foreign_edits(self, node: _Container) -> list[str]:
        """The files under ``node`` with edits the tree found on disk and did not make."""
        with self._lock:
            artifacts, files = self._changes.foreign.select(node._gwt_path, None)
            return sorted({*map(str, artifacts), *files})

    def adopt(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Make foreign edits the program's own: the next commit records them."""
        with self._lock:
            artifacts, files = self._changes.foreign.select(node._gwt_path, paths)
            for path in artifacts:
                deleted = self._changes.foreign.artifacts[path] is None
                mapping = self._held.maps.get(path.parent)
                if deleted and path not in self._changes.removed and mapping is not None:
                    # A restore's re-sync forgot the removal; the file is still gone.
                    committed = self.storage.committed_digests(path.parent)
                    self._loader.note_deleted_on_disk(mapping, path, committed)
                del self._changes.foreign.artifacts[path]
                slot = self._slot_at(path)
                if slot is not None:
                    self.touch(slot)  # a candidate again, even if a commit forgot it
            for name in files:
                del self._changes.foreign.files[name]
            return sorted({*map(str, artifacts), *files})

    def discard(self, node: _Container, paths: list[str] | None) -> list[str]:
        """Put files with foreign edits back as HEAD has them, and load them again."""
        if self.read_only:
            raise ReadOnlyError(READ_ONLY)
        with self._lock:
            artifacts, files = self._changes.foreign.select(node._gwt_path, paths)
            chosen = sorted({*map(str, artifacts), *files})
            if not chosen:
                return []
            self.storage.discard(chosen)
            for name in files:
                del self._changes.foreign.files[name]
            missing: list[ArtifactSlot] = []
            for path in artifacts:
                del self._changes.foreign.artifacts[path]
                self._changes.removed.pop(path, None)
                self._changes.repaired_on_load.pop(path, None)
                base = (self.storage.committed_digests(path.parent) or {}).get(path.name)
                committed = {} if base is None else {path.name: base}
                mapping = self._held.maps.get(path.parent)
                if mapping is None:
                    self._loader.reread_declared(path, committed, missing)
                elif self._loader.reread_item(mapping, path, committed, missing):
                    mapping._gwt_order_keys()
            if missing:
                self._initialize(missing)  # a declared artifact HEAD lacks: its defaults
            return chosen

    def _slot_at(self, path: PurePosixPath) -> ArtifactSlot | None:
        declared = self._held.declared.get(path)
        if declared is not None:
            node, name = declared
            slot = node._gwt_loaded(name)
            return slot if isinstance(slot, ArtifactSlot) else None
        mapping = self._held.maps.get(path.parent)
        key = None if mapping is None else mapping._gwt_key_for(path.name)
        if mapping is None or key is None:
            return None
        return mapping._gwt_loaded_slot(key)

    def _discard_own_anchor_writes(self, node: _Container) -> None:
        """Roll back what the program wrote in anchors, leaving others' edits alone."""
        anchors = sorted(str(p) for p in self._changes.anchor_dirs if within(p, node._gwt_path))
        if not anchors:
            return
        written = self.storage.snapshot(anchors)
        own = sorted(name for name in written if name not in self._changes.foreign.files)
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


class _AsyncCommits:
    """One tree's acommit()s, one at a time on their event loop."""

    def __init__(self) -> None:
        self._loop: object = None
        self._lock: asyncio.Lock | None = None
        self._thread: int | None = None

    def lock(self) -> asyncio.Lock:
        """The lock for the running loop (an asyncio lock belongs to one loop; a tree may
        outlive its loop, as with one ``asyncio.run`` after another)."""
        import asyncio  # here, not at the top: ~30 ms at start-up, for async only

        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Mark this thread as inside an acommit() while the block runs."""
        self._thread = threading.get_ident()
        try:
            yield
        finally:
            self._thread = None

    def in_this_thread(self) -> bool:
        """Whether an acommit() of this tree is under way in the calling thread."""
        return self._thread == threading.get_ident()
