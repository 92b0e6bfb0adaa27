"""Rollback of standalone files: one file (``Checkpoint``) or several, undone LIFO.

These cover documents that live outside a mounted tree; inside one, a tree's
``checkpoint()`` is a Git ref instead. A checkpoint is used once: ``restore()`` or
``discard()`` ends it, and using it again is a ``CheckpointError``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from gitworktree.atomic import atomic_write
from gitworktree.compat.wellformed._errors import CheckpointError

__all__ = ["Checkpoint", "MultiFileCheckpoint", "through_links"]

D = TypeVar("D")


def through_links(path: Path) -> Path:
    """Where a write to ``path`` lands: a symbolic link's target, as ``open()`` writes.

    An atomic write replaces the directory entry it renames onto; on a link that would
    swap the link for a file and leave its target as it was. wellformed wrote through
    links (``write_text``), so these writes do too.
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


class Checkpoint(Generic[D]):
    """The content of one file (or its absence) at one moment, to restore on failure.

    Generic in the document class it was taken for (``Checkpoint[Note]``), as in
    wellformed.

    Attributes:
        filepath: the file.
        original_content: its text when the checkpoint was taken; ``None`` if it did not
            exist (then ``restore()`` deletes it).
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        original_content: str | bytes | None = None,
        mode: int = 0o644,
        *,
        content: str | None = None,
        document_cls: type | None = None,
    ) -> None:
        self.filepath = Path(filepath)
        # wellformed built checkpoints as Checkpoint(filepath=, content=, document_cls=).
        if content is not None:
            original_content = content
        self.document_cls = document_cls
        if isinstance(original_content, str):
            original_content = original_content.encode("utf-8")
        self._original = original_content
        self._mode = mode
        self._active = True

    @classmethod
    def create(cls, filepath: str | os.PathLike[str]) -> Checkpoint[Any]:
        """Capture ``filepath`` as it is now (a missing file is captured as missing).

        Raises:
            CheckpointError: the file exists but cannot be read.
        """
        path = Path(filepath)
        try:
            return cls(path, path.read_bytes(), path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            return cls(path, None, 0o644)
        except OSError as error:
            raise CheckpointError(str(path), f"cannot read it: {error.strerror}") from None

    @property
    def original_content(self) -> str | None:
        """The captured text, or ``None`` when the file did not exist."""
        return None if self._original is None else self._original.decode("utf-8", "replace")

    @property
    def active(self) -> bool:
        """Whether ``restore()`` or ``discard()`` may still be called."""
        return self._active

    @property
    def is_active(self) -> bool:
        """wellformed's name for ``active``."""
        return self._active

    def restore(self) -> None:
        """Put the file back as captured, atomically; the checkpoint ends.

        Raises:
            CheckpointError: the checkpoint was already restored or discarded, or the
                file cannot be written (the checkpoint stays active: retry it).
        """
        self._check_active("restore")
        try:
            if self._original is None:
                with contextlib.suppress(FileNotFoundError):
                    self.filepath.unlink()
            else:
                atomic_write(through_links(self.filepath), self._original, mode=self._mode)
        except OSError as error:
            raise CheckpointError(str(self.filepath), f"cannot restore: {error.strerror}") from None
        self._active = False

    def discard(self) -> None:
        """Drop the captured content: the change is kept.

        Raises:
            CheckpointError: the checkpoint was already restored or discarded.
        """
        self._check_active("discard")
        self._active = False
        self._original = None

    def _check_active(self, action: str) -> None:
        if not self._active:
            raise CheckpointError(
                str(self.filepath), f"cannot {action}: the checkpoint was already used"
            )


class MultiFileCheckpoint:
    """Several checkpoints that succeed or roll back together.

    ``restore()`` restores every checkpoint that is still active, the last added first,
    so edits are undone in the reverse of the order they were made. Like a single
    checkpoint, the group is used once: ``add``, ``restore`` or ``discard`` after a
    ``restore()`` or ``discard()`` raises ``CheckpointError``.
    """

    def __init__(self, checkpoints: Iterable[Checkpoint[Any]] = ()) -> None:
        self.checkpoints: list[Checkpoint[Any]] = list(checkpoints)
        self._used = False

    def add(self, checkpoint: Checkpoint[Any]) -> Checkpoint[Any]:
        """Add a checkpoint to the group; returns it.

        Raises:
            CheckpointError: the group was already restored or discarded.
        """
        self._check_unused("add to")
        self.checkpoints.append(checkpoint)
        return checkpoint

    @property
    def active(self) -> bool:
        """Whether any checkpoint of the group is still active."""
        return not self._used and any(checkpoint.active for checkpoint in self.checkpoints)

    @property
    def is_active(self) -> bool:
        """Whether the group was neither restored nor discarded (wellformed's name)."""
        return not self._used

    def restore(self) -> None:
        """Restore every active checkpoint, last added first.

        A file that cannot be restored does not stop the others: every one that can be
        is restored, then the failures are raised together. The failed checkpoints stay
        active, so ``restore()`` again retries just those.

        Raises:
            CheckpointError: the group was already used, or some files could not be
                restored (named in the message).
        """
        self._check_unused("restore")
        failed: list[CheckpointError] = []
        for checkpoint in reversed(self.checkpoints):
            if checkpoint.active:
                try:
                    checkpoint.restore()
                except CheckpointError as error:
                    failed.append(error)
        if failed:
            raise CheckpointError(
                ", ".join(error.name for error in failed),
                "partial restore, retry restore() once the cause is fixed: "
                + "; ".join(f"{error.name}: {error}" for error in failed),
            )
        self._used = True

    def discard(self) -> None:
        """Discard every active checkpoint.

        Raises:
            CheckpointError: the group was already restored or discarded.
        """
        self._check_unused("discard")
        for checkpoint in self.checkpoints:
            if checkpoint.active:
                checkpoint.discard()
        self._used = True

    def _check_unused(self, action: str) -> None:
        if self._used:
            paths = ", ".join(str(checkpoint.filepath) for checkpoint in self.checkpoints)
            raise CheckpointError(
                paths, f"cannot {action} the multi-file checkpoint: it was already used"
            )
