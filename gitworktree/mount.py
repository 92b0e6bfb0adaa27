"""Mounting a tree on storage, and the commit pipeline every commit goes through.

``mount(TreeCls, path)`` builds the declared tree, binds it to a storage backend and
syncs it. The ``MountSession`` it creates implements ``TreeSession``: the mounted tree's
``sync``/``commit``/``checkpoint``/``restore`` calls all land here.

The pipeline (see DESIGN.md, "The commit pipeline"): render only the artifacts handed out
or assigned since the last commit → keep those whose bytes changed → refuse if storage
changed under us → gate (validate, repair, or refuse everything) → publish one change set
→ record what is now stored.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeVar, cast

from gitworktree.errors import (
    CheckpointError,
    ConflictError,
    DocumentParseError,
    NodeKindError,
    ReadOnlyError,
    SchemaValidationError,
)
from gitworktree.gate import GateItem, GatePassed, arun_gate, run_gate
from gitworktree.history.info import CommitInfo
from gitworktree.storage.base import ChangeSet, Collection, Storage, blob_sha
from gitworktree.storage.git import GitMountDriver, GitRevisionStorage, GitStorage
from gitworktree.tree import (
    Anchor,
    Artifact,
    ArtifactMap,
    ArtifactSlot,
    LayoutAnchor,
    Worktree,
    _Container,
    fields_of,
    map_item_path,
)
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS, FixingLoop, RepairFunction

__all__ = ["BaseMounter", "MountSession", "mount"]

log = logging.getLogger("gitworktree")

T = TypeVar("T", bound=Worktree)
_ROOT = PurePosixPath(".")


@dataclass(frozen=True)
class _PendingCommit:
    """A commit between change detection and publishing (see ``MountSession._prepare``)."""

    slots: list[ArtifactSlot]
    changed: dict[ArtifactSlot, bytes]
    removed: list[ArtifactSlot]
    snapshot: dict[str, bytes | None]
    items: list[GateItem]
    expected_head: str | None


class MountSession:
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
                children[name] = self._load_artifact(
                    children.get(name), spec.item_type, path, dotted, state, missing, committed
                )
            elif spec.kind == "map":
                mapping = children.get(name)
                if mapping is None:
                    mapping = ArtifactMap.__new__(ArtifactMap)
                mapping._gwt_bind(self, path, dotted)
                mapping._gwt_item_type = spec.item_type
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
            if _within(slot.path, node._gwt_path):
                del self._touched[key]
        for path in list(self._removed):
            if _within(path, node._gwt_path):
                del self._removed[path]

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

    # --- the commit pipeline ------------------------------------------------------------

    def commit(
        self,
        node: _Container,
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
        retries: int = 0,
    ) -> CommitInfo | None:
        with self._lock:
            pending = self._prepare(*self._pending(node))
            if pending is None:
                return None
            passed = run_gate(pending.items, self.repair, self.max_repair_attempts)
            return self._finish(pending, passed, message, author, trailers, retries)

    async def acommit(
        self,
        node: _Container,
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
        retries: int = 0,
    ) -> CommitInfo | None:
        with self._lock:
            pending = self._prepare(*self._pending(node))
            if pending is None:
                return None
            passed = await arun_gate(pending.items, self.repair, self.max_repair_attempts)
            return self._finish(pending, passed, message, author, trailers, retries)

    def _pending(
        self, node: _Container
    ) -> tuple[list[ArtifactSlot], list[ArtifactSlot], list[str]]:
        if self.read_only:
            raise ReadOnlyError("this tree is mounted read-only (at a past revision)")
        slots = [s for s in self._touched.values() if _within(s.path, node._gwt_path)]
        removed = [s for p, s in self._removed.items() if _within(p, node._gwt_path)]
        anchors = [str(p) for p in sorted(self._anchor_dirs) if _within(p, node._gwt_path)]
        return slots, removed, anchors

    def _commit_slots(
        self,
        slots: list[ArtifactSlot],
        removed: list[ArtifactSlot],
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
    ) -> CommitInfo | None:
        pending = self._prepare(slots, removed, [])
        if pending is None:
            return None
        passed = run_gate(pending.items, self.repair, self.max_repair_attempts)
        return self._finish(pending, passed, message, author, trailers)

    def _prepare(
        self, slots: list[ArtifactSlot], removed: list[ArtifactSlot], anchors: list[str]
    ) -> _PendingCommit | None:
        """Steps 1-2 of the pipeline: what changed, and is it still ours to overwrite."""
        expected_head = self.storage.head
        changed, render_issues = self._render(slots)
        snapshot = self.storage.snapshot(anchors)
        if not changed and not removed and not snapshot:
            self._forget_untouched(slots)
            return None
        self._check_conflicts(changed, removed)
        items = [
            GateItem(str(slot.path), slot.item_type, data, render_issues.get(slot, ()))
            for slot, data in changed.items()
        ]
        return _PendingCommit(slots, changed, removed, snapshot, items, expected_head)

    def _render(
        self, slots: list[ArtifactSlot]
    ) -> tuple[dict[ArtifactSlot, bytes], dict[ArtifactSlot, tuple[ValidationIssue, ...]]]:
        """Render candidates; keep those whose bytes differ from the committed version."""
        changed: dict[ArtifactSlot, bytes] = {}
        problems: dict[ArtifactSlot, tuple[ValidationIssue, ...]] = {}
        for slot in slots:
            try:
                data = slot.value._to_bytes()
            except (ValueError, TypeError) as error:
                changed[slot] = b""
                problems[slot] = (ValidationIssue(f"cannot be rendered: {error}", source="model"),)
                continue
            if slot.base is None or blob_sha(data) != slot.base:
                changed[slot] = data
        return changed, problems

    def _check_conflicts(
        self, changed: Mapping[ArtifactSlot, bytes], removed: list[ArtifactSlot]
    ) -> None:
        """Refuse to overwrite a file someone else changed since we last read it."""
        conflicts = [
            str(slot.path)
            for slot in [*changed, *removed]
            if self.storage.digest(slot.path) != slot.stored
        ]
        if conflicts:
            raise ConflictError(
                f"changed in storage since the last sync: {', '.join(sorted(conflicts))}; "
                f"nothing was written. Call sync() to load them (your in-memory changes to "
                f"them are then lost), or copy your changes aside first",
                paths=sorted(conflicts),
            )

    def _finish(
        self,
        pending: _PendingCommit,
        passed: Mapping[str, GatePassed],
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
        retries: int = 0,
    ) -> CommitInfo:
        """Steps 4-6: publish the gated change set, then record what is now stored."""
        files: dict[str, bytes | None] = dict(pending.snapshot)
        files.update({str(s.path): passed[str(s.path)].data for s in pending.changed})
        files.update({str(slot.path): None for slot in pending.removed})
        all_trailers = dict(trailers or {})
        repaired = {path: p.attempts for path, p in passed.items() if p.attempts}
        # Content repaired when it was loaded lands now: the trailer says so too.
        loaded = {s.path: self._repaired_on_load[s.path] for s in pending.changed
                  if s.path in self._repaired_on_load}  # fmt: skip
        attempts = {**{str(path): n for path, n in loaded.items()}, **repaired}
        if attempts:
            all_trailers["Gitworktree-Repaired"] = ", ".join(
                f"{path} attempts={n}" for path, n in sorted(attempts.items())
            )
        change_set = ChangeSet(
            files=files,
            message=message or _default_message(files),
            author=author,
            trailers=all_trailers,
            expected_head=pending.expected_head,
            base_blobs={str(s.path): s.base for s in [*pending.changed, *pending.removed]},
        )
        info = self._publish_with_retries(change_set, retries)
        for slot in pending.changed:
            data = passed[str(slot.path)].data
            if str(slot.path) in repaired:
                slot.value = slot.item_type._from_bytes(data, str(slot.path))
            slot.stored = slot.base = blob_sha(data)
        for slot in pending.removed:
            self._removed.pop(slot.path, None)
        for path in loaded:
            del self._repaired_on_load[path]
        self._forget_untouched(pending.slots)
        return info

    def _publish_with_retries(self, change_set: ChangeSet, retries: int) -> CommitInfo:
        """Publish; when only the branch moved (no artifact of ours changed), try again."""
        for attempt in range(retries + 1):
            try:
                return self.storage.publish(change_set)
            except ConflictError as error:
                if error.paths or attempt == retries:
                    raise
                log.info("the branch moved under us; retrying (%d left)", retries - attempt)
                time.sleep(random.uniform(0.001, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")  # pragma: no cover

    def _forget_untouched(self, slots: list[ArtifactSlot]) -> None:
        """Stop tracking values nobody outside the tree holds any more.

        A value still referenced elsewhere may be mutated in place later, so it stays a
        candidate for the next commit; that costs one render, never a missed change.
        """
        for slot in slots:
            if not slot.held_elsewhere():
                self._touched.pop(id(slot), None)

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
                anchors = [str(p) for p in self._anchor_dirs if _within(p, node._gwt_path)]
                self.storage.discard(sorted(anchors))
                self._load(node, None)
            raise
        node.commit(message)


def _is_free_form(item: object) -> bool:
    """Anchors, and layouts that declare nothing, hold free-form files: snapshot them."""
    if isinstance(item, LayoutAnchor):
        return not fields_of(type(item))
    return isinstance(item, Anchor)


def _within(path: PurePosixPath, directory: PurePosixPath) -> bool:
    return directory == _ROOT or path == directory or directory in path.parents


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _default_message(files: Mapping[str, bytes | None]) -> str:
    """``Update notes.json`` / ``Update 3 files: a.json, b.json, c.json`` / ``Remove x.json``."""
    updated = sorted(path for path, data in files.items() if data is not None)
    removed = sorted(path for path, data in files.items() if data is None)
    parts = []
    if updated:
        parts.append(_describe("Update", updated))
    if removed:
        parts.append(_describe("Remove", removed))
    return "; ".join(parts)


def _describe(verb: str, paths: list[str]) -> str:
    if len(paths) == 1:
        return f"{verb} {paths[0]}"
    shown = ", ".join(paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return f"{verb} {len(paths)} files: {shown}{more}"


def _storage_for(
    root: str | os.PathLike[str] | Collection, rev: str | None
) -> tuple[Storage, PurePosixPath]:
    if isinstance(root, Collection):
        if rev is not None:
            raise TypeError("mount(rev=...) takes a repository path, not a Collection")
        return root.storage, root.path
    if isinstance(root, (str, os.PathLike)):
        driver = GitMountDriver()
        collection = driver.mount(root) if rev is None else driver.mount_revision(root, rev)
        return collection.storage, collection.path
    raise TypeError(f"mount() takes a path or a mounted Collection, not {type(root).__name__}")


def mount(
    tree_cls: type[T],
    root: str | os.PathLike[str] | Collection,
    *,
    initial_states: Mapping[str, Any] | None = None,
    repair: RepairFunction | None = None,
    max_repair_attempts: int = DEFAULT_MAX_ATTEMPTS,
    rev: str | None = None,
) -> T:
    """Mount ``tree_cls`` on storage and sync it.

    Args:
        tree_cls: the ``Worktree`` subclass declaring the tree.
        root: a directory path — the working tree of a Git repository, created with its
            first commit if needed — or a root ``Collection`` from any mount driver
            (``InMemoryMountDriver().mount()``, ``FilesystemMountDriver().mount(path)``).
        initial_states: nested dicts of values for items missing from storage, by field
            name: ``{"app": {"storage": {"db": {"host": "db.local"}}}}``.
        repair: the tree-wide repair hook used by the commit gate for artifacts without
            their own ``_repair``; sync or async ``(content, issues, document_type) -> str``.
        max_repair_attempts: how many repair calls the gate makes per artifact.
        rev: mount the tree as it was at this revision or checkpoint, read-only
            (``commit()`` raises ``ReadOnlyError``): time travel with typed access.

    Returns:
        The mounted tree: an instance of ``tree_cls`` with every item loaded.

    Raises:
        MissingInitialStateError: an item is missing and has no default or initial state.
        DocumentParseError, SchemaValidationError: stored content is invalid (and cannot
            be repaired); nothing is overwritten.
        NodeKindError: a directory is where a file is declared, or the reverse.
        UnsafePathError: a path would leave the mounted root.
    """
    if not (isinstance(tree_cls, type) and issubclass(tree_cls, Worktree)):
        raise TypeError(f"mount() takes a Worktree subclass, not {tree_cls!r}")
    storage, base = _storage_for(root, rev)
    session = MountSession(storage, base, repair=repair, max_repair_attempts=max_repair_attempts)
    tree = session.build(tree_cls, initial_states)
    if isinstance(storage, GitStorage | GitRevisionStorage):
        # The repository holds open files; close them when the tree is collected.
        weakref.finalize(tree, storage.repository.close)
    return tree


class BaseMounter:
    """Mounts trees on one root collection: ``BaseMounter(driver.mount(path)).mount(Tree)``."""

    def __init__(self, root: Collection) -> None:
        if not isinstance(root, Collection):
            raise TypeError(f"BaseMounter takes a mounted Collection, not {type(root).__name__}")
        self.root = root

    def mount(
        self,
        tree_cls: type[T],
        *,
        initial_states: Mapping[str, Any] | None = None,
        repair: RepairFunction | None = None,
    ) -> T:
        """Mount ``tree_cls`` on this mounter's root; see ``gitworktree.mount``."""
        return mount(tree_cls, self.root, initial_states=initial_states, repair=repair)
