"""The commit pipeline every commit goes through (DESIGN.md, "The commit pipeline").

Render only the artifacts handed out or assigned since the last commit → keep those whose
bytes differ from the committed version → refuse if storage changed under us → gate
(validate, repair, or refuse everything) → publish one change set → record what is now
stored. ``CommitPipeline`` is the half of ``MountSession`` that does this.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from gitworktree.errors import (
    ConflictError,
    InsideRunningLoopError,
    OperationInProgressError,
    ReadOnlyError,
)
from gitworktree.history.core.info import CommitInfo
from gitworktree.history.core.trailers import check_caller_text
from gitworktree.mounting.foreign import ForeignEdits
from gitworktree.mounting.gate import GateItem, GatePassed, arun_gate, run_gate
from gitworktree.storage.base import ChangeSet, Storage, blob_sha
from gitworktree.tree.binding import ArtifactSlot
from gitworktree.tree.items import _Container
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import RepairFunction

if TYPE_CHECKING:
    import asyncio

__all__ = ["CommitPipeline", "within"]

log = logging.getLogger("gitworktree")

_ROOT = PurePosixPath(".")


@dataclass(frozen=True)
class _PendingCommit:
    """A commit between change detection and publishing (see ``MountSession._prepare``)."""

    slots: list[ArtifactSlot]
    changed: dict[ArtifactSlot, bytes]
    removed: list[ArtifactSlot]
    snapshot: dict[str, bytes | None]
    items: list[GateItem]


class CommitPipeline:
    """Change detection, conflict checks, the gate and publishing, for ``MountSession``."""

    storage: Storage
    read_only: bool
    repair: RepairFunction | None
    max_repair_attempts: int
    author: str | None
    _lock: threading.RLock
    _touched: dict[int, ArtifactSlot]
    _removed: dict[PurePosixPath, ArtifactSlot]
    _anchor_dirs: set[PurePosixPath]
    _repaired_on_load: dict[PurePosixPath, int]
    _foreign: ForeignEdits
    _async_commits: _AsyncCommits | None = None  # made by the first acommit()

    def commit(
        self,
        node: _Container,
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
        retries: int = 0,
    ) -> CommitInfo | None:
        check_caller_text(message, trailers)
        with self._lock:
            if self._async_commits is not None and self._async_commits.in_this_thread():
                raise InsideRunningLoopError(
                    "commit() was called while an acommit() of this tree is under way in "
                    "this thread; nothing was written. Use `await tree.acommit(...)`, which "
                    "waits for it"
                )
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
        check_caller_text(message, trailers)
        if self._async_commits is None:
            self._async_commits = _AsyncCommits()
        # The thread lock keeps other threads out, but a coroutine of this thread walks
        # straight into an RLock held across an await: the asyncio lock queues those.
        async with self._async_commits.lock():
            with self._lock, self._async_commits.running():
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
        slots = [s for s in self._touched.values() if within(s.path, node._gwt_path)]
        removed = [s for p, s in self._removed.items() if within(p, node._gwt_path)]
        anchors = [str(p) for p in sorted(self._anchor_dirs) if within(p, node._gwt_path)]
        return slots, removed, anchors

    def _commit_slots(
        self,
        slots: list[ArtifactSlot],
        removed: list[ArtifactSlot],
        message: str | None,
        author: str | None,
        trailers: Mapping[str, str] | None,
    ) -> CommitInfo | None:
        check_caller_text(message, trailers)
        pending = self._prepare(slots, removed, [])
        if pending is None:
            return None
        passed = run_gate(pending.items, self.repair, self.max_repair_attempts)
        return self._finish(pending, passed, message, author, trailers)

    def _prepare(
        self, slots: list[ArtifactSlot], removed: list[ArtifactSlot], anchors: list[str]
    ) -> _PendingCommit | None:
        """Steps 1-2 of the pipeline: what changed, and is it still ours to overwrite."""
        changed, render_issues = self._render(slots)
        snapshot = self.storage.snapshot(anchors)
        # Someone else's uncommitted edits stay out, unless the program adopted them.
        changed, removed, snapshot = self._foreign.screen(changed, removed, snapshot)
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
            author=author or self.author,
            trailers=all_trailers,
            base_blobs={str(s.path): s.base for s in [*pending.changed, *pending.removed]},
        )
        info = self._publish_with_retries(change_set, retries)
        self._published(info)
        for slot in pending.changed:
            data = passed[str(slot.path)].data
            if str(slot.path) in repaired or slot.path in loaded:
                slot.value = slot.item_type._from_bytes(data, str(slot.path))
            slot.stored = slot.base = blob_sha(data)
            slot.value._stored_at(str(slot.path))
        for slot in pending.removed:
            self._removed.pop(slot.path, None)
        for path in loaded:
            del self._repaired_on_load[path]
        self._forget_untouched(pending.slots)
        return info

    def _load_repairs_canonical(
        self, pending: _PendingCommit, passed: Mapping[str, GatePassed]
    ) -> Mapping[str, GatePassed]:
        """Content repaired when it was loaded is a repair's output too: it is stored in
        the artifact's own form, as the gate stores the repairs it runs."""
        canonical = dict(passed)
        for slot in pending.changed:
            if slot.path in self._repaired_on_load:
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

    def _published(self, info: CommitInfo) -> None:
        """Called once a change set has landed as ``info`` (the session follows HEAD)."""

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
                self._touched.pop(id(slot), None)


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

    @contextmanager
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
