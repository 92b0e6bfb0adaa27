"""Lock files: waiting briefly for a live writer, and a clear error for a stale lock.

Git and dulwich create ``<file>.lock`` while they rewrite ``<file>``. The rule here: a
lock held by a live writer is released within milliseconds, so we wait for it, retrying
with backoff for up to ``GITWORKTREE_LOCK_TIMEOUT`` seconds (default 10). A lock still
there after that was almost surely left by a killed process; we never delete it
ourselves (git's own rule), but raise a `RepositoryError` that names it and says how to
clear it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from dulwich.file import FileLocked
from dulwich.object_store import BaseObjectStore
from dulwich.objects import ShaFile

from gitworktree.errors import RepositoryError

__all__ = ["add_object", "lock_errors", "lock_timeout", "wait_for_lock"]

T = TypeVar("T")

_DEFAULT_TIMEOUT = 10.0


def lock_timeout() -> float:
    """Seconds to wait for a held lock: ``GITWORKTREE_LOCK_TIMEOUT``, else 10."""
    try:
        return max(0.0, float(os.environ.get("GITWORKTREE_LOCK_TIMEOUT", _DEFAULT_TIMEOUT)))
    except ValueError:
        return _DEFAULT_TIMEOUT


def wait_for_lock(acquire: Callable[[], T], *, timeout: float | None = None) -> T:
    """Call ``acquire`` until it stops raising ``FileLocked`` or ``timeout`` runs out.

    Raises:
        FileLocked: the lock was still held when the time ran out.
    """
    deadline = time.monotonic() + (lock_timeout() if timeout is None else timeout)
    delay = 0.002
    while True:
        try:
            return acquire()
        except FileLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


@contextmanager
def lock_errors() -> Iterator[None]:
    """Translate a held lock file (``*.lock``) inside the block into a `RepositoryError`.

    Raises:
        RepositoryError: naming the lock file, if one was held.
    """
    try:
        yield
    except FileLocked as err:
        lock = os.fsdecode(err.lockfilename)
        raise RepositoryError(
            lock,
            f"lock file still held after {lock_timeout():g}s. If no other git or "
            "gitworktree process is writing this repository, the lock is stale (left by a "
            "crash): delete it and retry",
        ) from err


def add_object(store: BaseObjectStore, obj: ShaFile) -> None:
    """Store ``obj`` unless it is there already.

    Objects are named by their content, so when another process holds the lock of the
    same loose object it is writing exactly these bytes: wait, and it is there.
    """

    def add() -> None:
        if obj.id not in store:
            store.add_object(obj)

    wait_for_lock(add)
