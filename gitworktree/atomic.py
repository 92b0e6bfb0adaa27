"""Crash-safe file replacement: a reader sees the old bytes or the new, never a torn file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_write", "fsync_directory", "is_temporary"]

_TEMP_PREFIX = ".gwt-tmp-"


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically.

    The bytes go to a temporary file in the same directory, are flushed with ``fsync``,
    and the file is renamed over ``path``; the directory is then synced so the rename
    itself survives a crash. On any error the temporary file is removed and ``path`` is
    left as it was.

    Args:
        path: the file to write; its parent directory must exist.
        data: the complete new content.
        mode: permission bits for the new file; by default those of the file it replaces,
            or 0o644 for a new file.
    """
    directory = path.parent
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    temp = directory / f"{_TEMP_PREFIX}{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)  # O_CREAT's mode is filtered by the umask; git expects 644/755
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(directory)


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename or unlink in it) to disk, where supported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one of our temporary files (left behind by a killed process)."""
    return name.startswith(_TEMP_PREFIX)
