"""Lock files: turning dulwich's ``FileLocked`` into an error that says what to do."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dulwich.file import FileLocked

from gitworktree.errors import RepositoryError

__all__ = ["lock_errors"]


@contextmanager
def lock_errors() -> Iterator[None]:
    """Translate a held lock file (``*.lock``) inside the block into a `RepositoryError`.

    Git and dulwich create ``<file>.lock`` while they rewrite ``<file>``; one left behind by
    a killed process blocks every later write until it is removed.

    Raises:
        RepositoryError: naming the lock file, if one was held.
    """
    try:
        yield
    except FileLocked as err:
        lock = os.fsdecode(err.lockfilename)
        raise RepositoryError(
            lock,
            "lock file exists: another git process seems to be writing this repository. "
            "If no other process is running, the lock is stale (left by a crash): "
            "delete it and retry",
        ) from err
