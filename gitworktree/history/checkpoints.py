"""Checkpoints: named refs under ``refs/checkpoints/`` that a tree can go back to.

A `Checkpoint` is a handle; what it does is delegated to its owner (a `Repository`, or a
mounted tree that re-syncs itself after a restore), through the small
`CheckpointOwner` protocol.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from gitworktree.errors import InvalidNameError
from gitworktree.history.info import CommitInfo
from gitworktree.history.refnames import check_ref_name
from gitworktree.history.revisions import CHECKPOINT_PREFIX

__all__ = ["Checkpoint", "CheckpointOwner", "check_checkpoint_name", "new_checkpoint_name"]

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
    block's exception as its context.

    Attributes:
        name: the checkpoint name, e.g. ``before-import``.
        sha: the commit id the checkpoint points at.
    """

    def __init__(self, owner: CheckpointOwner, name: str, sha: str) -> None:
        self._owner = owner
        self.name = name
        self.sha = sha

    @property
    def ref(self) -> str:
        """The full ref name, ``refs/checkpoints/<name>``."""
        return CHECKPOINT_PREFIX + self.name

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
        """Delete the checkpoint's ref; the commits it pointed at stay in history."""
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
            self.restore()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Checkpoint):
            return NotImplemented
        return (self.name, self.sha) == (other.name, other.sha)

    def __hash__(self) -> int:
        return hash((self.name, self.sha))

    def __repr__(self) -> str:
        return f"Checkpoint(name={self.name!r}, sha={self.sha[:12]!r})"


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
        raise InvalidNameError(name[:60], f"a checkpoint name is at most {_NAME_MAX} bytes")
    return check_ref_name(name)


def new_checkpoint_name(now: datetime | None = None) -> str:
    """A fresh name: ``cp-<UTC date>-<UTC time>-<6 random hex digits>``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"cp-{moment:%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"
