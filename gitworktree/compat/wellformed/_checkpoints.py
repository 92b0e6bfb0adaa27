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

from gitworktree.atomic import atomic_write
from gitworktree.errors import CheckpointError

__all__ = ["Checkpoint", "MultiFileCheckpoint"]


class Checkpoint:
    """The content of one file (or its absence) at one moment, to restore on failure.

    Attributes:
        filepath: the file.
        original_content: its text when the checkpoint was taken; ``None`` if it did not
            exist (then ``restore()`` deletes it).
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        original_content: str | bytes | None,
        mode: int = 0o644,
    ) -> None:
        self.filepath = Path(filepath)
        if isinstance(original_content, str):
            original_content = original_content.encode("utf-8")
        self._original = original_content
        self._mode = mode
        self._active = True

    @classmethod
    def create(cls, filepath: str | os.PathLike[str]) -> Checkpoint:
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
                atomic_write(self.filepath, self._original, mode=self._mode)
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
    so edits are undone in the reverse of the order they were made.
    """

    def __init__(self, checkpoints: Iterable[Checkpoint] = ()) -> None:
        self.checkpoints: list[Checkpoint] = list(checkpoints)

    def add(self, checkpoint: Checkpoint) -> Checkpoint:
        """Add a checkpoint to the group; returns it."""
        self.checkpoints.append(checkpoint)
        return checkpoint

    @property
    def active(self) -> bool:
        """Whether any checkpoint of the group is still active."""
        return any(checkpoint.active for checkpoint in self.checkpoints)

    def restore(self) -> None:
        """Restore every active checkpoint, last added first."""
        for checkpoint in reversed(self.checkpoints):
            if checkpoint.active:
                checkpoint.restore()

    def discard(self) -> None:
        """Discard every active checkpoint."""
        for checkpoint in self.checkpoints:
            if checkpoint.active:
                checkpoint.discard()
