"""File-system failures during a write, as `RepositoryError`s that say what to do.

A write that fails before its branch moved has changed nothing a reader can see (see
`gitworktree.history._worktree.commit`), so the error says so. A file that vanished under the
write — a concurrent ``git gc`` prunes empty ``objects/xx`` directories and deletes the
packs it replaced — is worth trying again: it is a `RepositoryError` caused by a
``FileNotFoundError`` (see `vanished`), which the writer retries. A full disk or a
permission denied is not retried.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitworktree.errors import RepositoryError

__all__ = ["vanished", "write_errors"]


def vanished(error: RepositoryError) -> bool:
    """Whether ``error`` is a file that vanished under a write (worth retrying)."""
    return isinstance(error.__cause__, FileNotFoundError)


@contextmanager
def write_errors(root: Path | str) -> Iterator[None]:
    """Raise an `OSError` from the block as a `RepositoryError` naming the file.

    Raises:
        RepositoryError: the file-system error, kept as ``__cause__`` (a
            ``FileNotFoundError`` when a file or directory vanished: see `vanished`).
    """
    try:
        yield
    except FileNotFoundError as error:
        raise RepositoryError(
            _where(error, root),
            f"a file vanished while writing ({error.strerror}); another program (git gc?) "
            "changed the repository at the same moment. Nothing was changed: retry",
        ) from error
    except OSError as error:
        raise RepositoryError(_where(error, root), _advice(error)) from error


def _where(error: OSError, root: Path | str) -> str:
    return os.fsdecode(error.filename) if error.filename is not None else str(root)


def _advice(error: OSError) -> str:
    what = error.strerror or type(error).__name__
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "free disk space (or raise the quota) and retry"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = "make the repository writable for this user and retry"
    else:
        todo = "fix the cause and retry"
    return f"cannot write ({what}); nothing was changed — {todo}"
