"""The commit pipeline every commit of a mounted tree goes through.

Render only the artifacts handed out or assigned since the last commit → keep those whose
bytes differ from the committed version → refuse if storage changed under us → gate
(validate, repair, or refuse everything) → publish one change set → record what is now
stored. ``MountSession`` holds one ``CommitPipeline``; both work on the tree's
``PendingChanges``: the session fills them as the tree loads and changes, the pipeline
empties them as commits land.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from gitworktree.errors import ConflictError, OperationInProgressError, ReadOnlyError
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.trailers import check_caller_text
from gitworktree.mounting.foreign import ForeignEdits
from gitworktree.mounting.gate import GateItem, GatePassed, arun_gate, run_gate
from gitworktree.storage.base import ChangeSet, Storage, blob_sha
from gitworktree.tree.binding import ArtifactSlot, CommitRequest
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import RepairFunction

__all__ = ["READ_ONLY", "CommitPipeline", "PendingChanges", "within"]

log = logging.getLogger("gitworktree")

_ROOT = PurePosixPath(".")
# What a write to a tree mounted at a past revision is told: why, and the two ways on.
READ_ONLY = (
    "this tree is mounted read-only (at a past revision, with rev=); to change files, mount "
    "without rev=, and restore(rev) there to bring that revision's files back"
)


@dataclass
class PendingChanges:
    """What the next commit may carry: the tree's bookkeeping between commits.

    Attributes:
        touched: slots handed out or assigned since the last commit, by ``id``: their
            values may have changed.
        removed: slots of map items deleted (in memory or on disk), by path.
        anchor_dirs: directories of free-form files; every commit takes what changed
            in them.
        repaired_on_load: artifacts whose stored content was invalid and was repaired
            in memory, with the attempts it took; the commit that writes them says so.
        foreign: edits found on disk that the tree did not make.
    """

    touched: dict[int, ArtifactSlot] = field(default_factory=dict)
    removed: dict[PurePosixPath, ArtifactSlot] = field(default_factory=dict)
    anchor_dirs: set[PurePosixPath] = field(default_factory=set)
    repaired_on_load: dict[PurePosixPath, int] = field(default_factory=dict)
    foreign: ForeignEdits = field(default_factory=ForeignEdits)


@dataclass(frozen=True)
class _PendingCommit:
    """A commit between change detection and publishing (see ``CommitPipeline._prepare``)."""

    slots: list[ArtifactSlot]
    changed: dict[ArtifactSlot, bytes]
    removed: list[ArtifactSlot]
    snapshot: dict[str, bytes | None]
    items: list[GateItem]


class CommitPipeline:
    """Change detection, conflict checks, the gate and publishing of one mounted tree.

    The caller holds the tree's lock around every call: the pipeline reads and empties
    ``changes``, which loading fills.
    """

    def __init__(
        self,
        storage: Storage,
        changes: PendingChanges,
        *,
        repair: RepairFunction | None,
        max_repair_attempts: int,
        author: str | None,
        published: Callable[[CommitInfo], None],
    ) -> None:
        """Commit what ``changes`` holds to ``storage``.

        Args:
            storage: where commits land.
            changes: the bookkeeping shared with the session.
            repair: the tree-wide repair hook (an artifact class's own comes first).
            max_repair_attempts: how many times the gate may repair one artifact.
            author: of every commit whose request names none.
            published: called once a change set has landed, with what it became.
        """
        self.storage = storage
        self.changes = changes
        self.repair = repair
        self.max_repair_attempts = max_repair_attempts
        self.author = author
        self._published = published

    def commit(self, directory: PurePosixPath, request: CommitRequest) -> CommitInfo | None:
        """Commit the pending changes under ``directory`` (``None``: nothing changed)."""
        check_caller_text(request.message, request.trailers)
        pending = self._prepare(*self._pending(directory))
        if pending is None:
            return None
        passed = run_gate(pending.items, self.repair, self.max_repair_attempts)
        return self._finish(pending, passed, request)

    async def acommit(self, directory: PurePosixPath, request: CommitRequest) -> CommitInfo | None:
        """Async twin of ``commit``: async repair hooks are awaited."""
        check_caller_text(request.message, request.trailers)
        pending = self._prepare(*self._pending(directory))
        if pending is None:
            return None
        passed = await arun_gate(pending.items, self.repair, self.max_repair_attempts)
        return self._finish(pending, passed, request)

    def _pending(
        self, directory: PurePosixPath
    ) -> tuple[list[ArtifactSlot], list[ArtifactSlot], list[str]]:
        if self.storage.read_only:
            raise ReadOnlyError(READ_ONLY)
        changes = self.changes
        slots = [s for s in changes.touched.values() if within(s.path, directory)]
        removed = [s for p, s in changes.removed.items() if within(p, directory)]
        anchors = [str(p) for p in sorted(changes.anchor_dirs) if within(p, directory)]
        return slots, removed, anchors

    def commit_slots(
        self, slots: list[ArtifactSlot], removed: list[ArtifactSlot], request: CommitRequest
    ) -> CommitInfo | None:
        """Commit exactly these slots and removals (no anchors), through the gate."""
        check_caller_text(request.message, request.trailers)
        pending = self._prepare(slots, removed, [])
        if pending is None:
            return None
        passed = run_gate(pending.items, self.repair, self.max_repair_attempts)
        return self._finish(pending, passed, request)

    def _prepare(
        self, slots: list[ArtifactSlot], removed: list[ArtifactSlot], anchors: list[str]
    ) -> _PendingCommit | None:
        """Steps 1-2 of the pipeline: what changed, and is it still ours to overwrite."""
        changed, render_issues = self.render(slots)
        snapshot = self.storage.snapshot(anchors)
        # Someone else's uncommitted edits stay out, unless the program adopted them.
        changed, removed, snapshot = self.changes.foreign.screen(changed, removed, snapshot)
        if not changed and not removed and not snapshot:
            self._forget_untouched(slots)
            return None
        self._check_conflicts(changed, removed)
        self.storage.check_publishable()  # before the gate: repairs cost, and would be lost
        items = [
            GateItem(str(slot.path), slot.item_type, data, render_issues.get(slot, ()))
            for slot, data in changed.items()
        ]
        return _PendingCommit(slots, changed, removed, snapshot, items)

    def render(
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
        request: CommitRequest,
    ) -> CommitInfo | None:
        """Steps 4-6: publish the gated change set, then record what is now stored."""
        kept = self._without_restored(pending, passed)
        if kept is None:
            return None
        pending, passed = kept
        passed = self._load_repairs_canonical(pending, passed)
        files: dict[str, bytes | None] = dict(pending.snapshot)
        files.update({str(s.path): passed[str(s.path)].data for s in pending.changed})
        files.update({str(slot.path): None for slot in pending.removed})
        all_trailers = dict(request.trailers or {})
        repaired = {path: p.attempts for path, p in passed.items() if p.attempts}
        # Content repaired when it was loaded lands now: the trailer says so too.
        repaired_on_load = self.changes.repaired_on_load
        loaded = {s.path: repaired_on_load[s.path] for s in pending.changed
                  if s.path in repaired_on_load}  # fmt: skip
        attempts = {**{str(path): n for path, n in loaded.items()}, **repaired}
        if attempts:
            all_trailers["Gitworktree-Repaired"] = ", ".join(
                f"{path} attempts={n}" for path, n in sorted(attempts.items())
            )
        change_set = ChangeSet(
            files=files,
            message=request.message or _default_message(files),
            author=request.author or self.author,
            trailers=all_trailers,
            base_blobs={str(s.path): s.base for s in [*pending.changed, *pending.removed]},
            # What step 2 saw on disk, checked again just before the files are written:
            # the gate and its repairs ran since, and a person may have edited meanwhile.
            disk_blobs=_seen_on_disk(pending),
        )
        info = self._publish_with_retries(change_set, request.retries)
        self._published(info)
        for slot in pending.changed:
            data = passed[str(slot.path)].data
            if str(slot.path) in repaired or slot.path in loaded:
                slot.value = slot.item_type._from_bytes(data, str(slot.path))
            slot.stored = slot.base = blob_sha(data)
            slot.value._stored_at(str(slot.path))
        for slot in pending.removed:
            self.changes.removed.pop(slot.path, None)
        for path in loaded:
            del repaired_on_load[path]
        self._forget_untouched(pending.slots)
        return info

    def _load_repairs_canonical(
        self, pending: _PendingCommit, passed: Mapping[str, GatePassed]
    ) -> Mapping[str, GatePassed]:
        """Content repaired when it was loaded is a repair's output too: it is stored in
        the artifact's own form, as the gate stores the repairs it runs."""
        canonical = dict(passed)
        for slot in pending.changed:
            if slot.path in self.changes.repaired_on_load:
                path = str(slot.path)
                data = slot.item_type._canonical_bytes(canonical[path].data, path)
                canonical[path] = dataclasses.replace(canonical[path], data=data)
        return canonical

    def _without_restored(
        self, pending: _PendingCommit, passed: Mapping[str, GatePassed]
    ) -> tuple[_PendingCommit, Mapping[str, GatePassed]] | None:
        """Drop the artifacts a repair turned back into their committed bytes.

        Such an edit changes nothing: it takes the repaired value and no commit (``None``
        when nothing else is left). A file whose disk copy differs stays: writing it is
        a change.
        """
        restored = {
            slot
            for slot in pending.changed
            if slot.base is not None
            and slot.stored == slot.base
            and blob_sha(passed[str(slot.path)].data) == slot.base
        }
        if not restored:
            return pending, passed
        for slot in restored:
            slot.value = slot.item_type._from_bytes(passed[str(slot.path)].data, str(slot.path))
        changed = {slot: data for slot, data in pending.changed.items() if slot not in restored}
        if not changed and not pending.removed and not pending.snapshot:
            self._forget_untouched(pending.slots)
            return None
        paths = {str(slot.path) for slot in changed}
        items = [item for item in pending.items if item.path in paths]
        kept = {path: gated for path, gated in passed.items() if path in paths}
        return dataclasses.replace(pending, changed=changed, items=items), kept

    def _publish_with_retries(self, change_set: ChangeSet, retries: int) -> CommitInfo:
        """Publish; when only the branch moved (no artifact of ours changed), try again."""
        for attempt in range(retries + 1):
            try:
                return self.storage.publish(change_set)
            except ConflictError as error:
                # Only a moved branch is worth retrying; git's own unfinished operation
                # stays until a person finishes it.
                if error.paths or isinstance(error, OperationInProgressError) or attempt == retries:
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
                self.changes.touched.pop(id(slot), None)


def _seen_on_disk(pending: _PendingCommit) -> dict[str, str | None]:
    """What each file to be written held in storage when the commit was prepared."""
    seen = {
        path: None if data is None else blob_sha(data) for path, data in pending.snapshot.items()
    }
    seen.update({str(slot.path): slot.stored for slot in [*pending.changed, *pending.removed]})
    return seen


def within(path: PurePosixPath, directory: PurePosixPath) -> bool:
    return directory == _ROOT or path == directory or directory in path.parents


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
    # A path is any name a tree allows; its control characters must not make lines (a
    # forged trailer block) in the message.
    paths = [
        "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in path)
        for path in paths
    ]
    if len(paths) == 1:
        return f"{verb} {paths[0]}"
    shown = ", ".join(paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return f"{verb} {len(paths)} files: {shown}{more}"
