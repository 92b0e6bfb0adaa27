"""Checkpoints: named refs under ``refs/checkpoints/`` that a tree can go back to.

A `Checkpoint` is a handle; what it does is delegated to its owner (a `Repository`, or a
mounted tree that re-syncs itself after a restore), through the small
`CheckpointOwner` protocol.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from gitworktree.errors import CheckpointError, InvalidNameError
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.refnames import check_ref_name, remote_checkpoint_prefix
from gitworktree.history._refs.revisions import CHECKPOINT_PREFIX, is_object_id

__all__ = [
    "Checkpoint",
    "CheckpointOwner",
    "check_checkpoint_name",
    "new_checkpoint_name",
    "shadowing_reason",
]

# git's own names at the top of the git directory: HEAD, FETCH_HEAD, ORIG_HEAD, ...
_SPECIAL_REF = re.compile(r"[A-Z_]*HEAD|AUTO_MERGE")
# Folders of refs/ that a short name reaches before refs/checkpoints/ (refs/<name> first).
_GIT_NAMESPACES = ("heads", "tags", "remotes")

# Longer names pass no file system's path limit once stored as a loose ref file.
_NAME_MAX = 1024


class CheckpointOwner(Protocol):
    """What a `Checkpoint` delegates to: something that can restore and delete checkpoints."""

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
    ) -> CommitInfo:
        """Go back to ``target`` (see `Repository.restore`)."""
        ...

    def delete_checkpoint(self, name: str) -> None:
        """Delete the checkpoint ``name``."""
        ...


class Checkpoint:
    """A checkpoint: the ref ``refs/checkpoints/<name>``, pointing at commit ``sha``.

    Used as a context manager, it restores its owner to the checkpoint when the block
    raises (then lets the exception propagate) and does nothing when the block succeeds::

        with repo.create_checkpoint("before-import"):
            risky_import()

    The restore is a soft one (a new ``Restore <name>`` commit). If it cannot run (for
    example uncommitted edits would be overwritten), its error is raised with the
    block's exception as its context. It does not run when someone else's commit (a
    person's ``git commit``, another writer's) landed on the branch since the checkpoint:
    restoring the whole tree would undo it, so `ConflictError` (``reason ==
    "foreign-commits"``) is raised instead, and nothing is written.

    A host's checkpoint, fetched from the remote ``origin``, is a `Checkpoint` too, with
    ``remote="origin"``: its ref is ``refs/remotes/origin/checkpoints/<name>``, it can be
    restored, and it is discarded on the host, not here.

    Attributes:
        name: the checkpoint name, e.g. ``before-import``.
        sha: the commit id the checkpoint points at.
        remote: the remote it was fetched from; ``None`` for a local checkpoint.
    """

    def __init__(
        self,
        owner: CheckpointOwner,
        name: str,
        sha: str,
        remote: str | None = None,
        *,
        before_undo: Callable[[Checkpoint, bytes | None], None] | None = None,
    ) -> None:
        self._owner = owner
        self.name = name
        self.sha = sha
        self.remote = remote
        #: Run by the guard's restore with the HEAD it restores from: raises if the
        #: restore would undo someone else's commit (given by the repository that made
        #: the checkpoint).
        self._before_undo = before_undo
        self._guarding = False

    def with_owner(self, owner: CheckpointOwner) -> Checkpoint:
        """The same checkpoint, restored and discarded through ``owner`` (a mounted tree)."""
        return Checkpoint(owner, self.name, self.sha, self.remote, before_undo=self._before_undo)

    def check_guard(self, head: bytes | None) -> None:
        """While the guard (``with checkpoint:``) restores: refuse if that would undo a
        commit someone else made on top of ``head``'s history since the checkpoint.

        Called by the restore, under its writer lock, with the HEAD it restores from (so
        nothing can land between this check and the restore's compare-and-swap).

        Raises:
            ConflictError: ``reason == "foreign-commits"``; nothing was written.
        """
        if self._guarding and self._before_undo is not None:
            self._before_undo(self, head)

    @property
    def ref(self) -> str:
        """The full ref name: ``refs/checkpoints/<name>``, or for a host's checkpoint
        ``refs/remotes/<remote>/checkpoints/<name>``."""
        if self.remote is not None:
            return remote_checkpoint_prefix(self.remote) + self.name
        return CHECKPOINT_PREFIX + self.name

    @property
    def label(self) -> str:
        """How revisions name it: ``<name>``, or ``<remote>/checkpoints/<name>``."""
        return self.name if self.remote is None else self.ref.removeprefix("refs/remotes/")

    def restore(
        self,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
    ) -> CommitInfo:
        """Restore the owner to this checkpoint (see `Repository.restore`)."""
        return self._owner.restore(self, paths=paths, hard=hard, author=author)

    def discard(self) -> None:
        """Delete the checkpoint's ref; the commits it pointed at stay in history.

        Raises:
            CheckpointError: for a host's checkpoint (``remote`` set): the host keeps it,
                and the next fetch would bring it back.
        """
        if self.remote is not None:
            raise CheckpointError(
                self.name,
                f"{self.label} is the checkpoint of the remote {self.remote!r}; delete it "
                "there (`git push REMOTE :refs/checkpoints/NAME`), not here",
            )
        self._owner.delete_checkpoint(self.name)

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._guarding = True
            try:
                self.restore()
            finally:
                self._guarding = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Checkpoint):
            return NotImplemented
        return (self.name, self.sha, self.remote) == (other.name, other.sha, other.remote)

    def __hash__(self) -> int:
        return hash((self.name, self.sha, self.remote))

    def __repr__(self) -> str:
        remote = "" if self.remote is None else f", remote={self.remote!r}"
        return f"Checkpoint(name={self.name!r}, sha={self.sha[:12]!r}{remote})"


def check_checkpoint_name(name: str) -> str:
    """Check a checkpoint name (a valid git ref name; ``refs/checkpoints/`` is added).

    A leading ``checkpoints/`` or ``refs/checkpoints/`` is removed, so that a name printed
    by git can be given back.

    Raises:
        InvalidNameError: if git would refuse ``refs/checkpoints/<name>``.
    """
    for prefix in (CHECKPOINT_PREFIX, CHECKPOINT_PREFIX.removeprefix("refs/")):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    if len(name.encode("utf-8")) > _NAME_MAX:
        raise InvalidNameError(
            name[:60], f"a checkpoint name is at most {_NAME_MAX} bytes", reason="too-long"
        )
    return check_ref_name(name)


def shadowing_reason(name: str, remotes: Iterable[str]) -> str | None:
    """Why a new checkpoint ``name`` would read as another revision, or ``None``.

    A checkpoint is found by its bare name last of all (docs/history.md, "Revision lookup
    order"), so a name that is, or could later become, something else is refused: git's
    special names (``HEAD``, ``FETCH_HEAD``, ...), anything that reads as a commit id (4
    to 40 hex digits), names under ``heads/``, ``tags/`` or ``remotes/``, and names
    under a remote's name (``origin/main``: what a fetch from ``origin`` brings).

    Args:
        name: the checkpoint name, already checked by `check_checkpoint_name`.
        remotes: the names of the configured remotes.
    """
    if _SPECIAL_REF.fullmatch(name):
        return f"{name!r} is one of git's own names (HEAD, FETCH_HEAD, ...)"
    if is_object_id(name):
        return "it reads as a commit id (4 to 40 hex digits), which `restore` takes first"
    first = name.split("/", 1)[0]
    if first in _GIT_NAMESPACES:
        return f"'{first}/...' names git's own refs (refs/{first}/...)"
    if first in remotes:
        return f"'{first}/...' names what the remote {first!r} holds (e.g. {first}/main)"
    return None


def new_checkpoint_name(now: datetime | None = None) -> str:
    """A fresh name: ``cp-<UTC date>-<UTC time>-<6 random hex digits>``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"cp-{moment:%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"
