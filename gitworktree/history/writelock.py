"""The writer lock: one gitworktree writer at a time, and clean-up after a dead one.

Every gitworktree write to a repository (commit, restore, checkpoint, recovery) holds an
exclusive ``flock`` on ``.git/gitworktree.lock``. The kernel releases it when its holder
dies, however it dies, so whoever holds it knows no other gitworktree writer is alive in
the middle of a write.

The file also records the holder's state. A writer sets ``writing`` (with its pid and
start time) when it takes the lock and ``idle`` when it is done. So the next writer to
take the lock and find ``writing`` knows the previous one was killed mid-write, and that
the ``*.lock`` files it created (the index's, the branch's, an object's — all with a
modification time after its start) are stale: it removes them, logs a warning, and goes
on. A lock file older than that writer, or left while the state was ``idle``, belongs to
some other program (``git`` itself) and is never removed: after waiting for it
(``GITWORKTREE_LOCK_TIMEOUT``), the error names it and says how to clear it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from gitworktree.errors import RepositoryError
from gitworktree.history.locks import lock_timeout

__all__ = [
    "WRITER_LOCK_NAME",
    "ControlDir",
    "clear_stale_locks",
    "clear_stale_temporaries",
    "exclusive",
    "last_writer_state",
    "writer_lock",
]

log = logging.getLogger("gitworktree")

P = ParamSpec("P")
T = TypeVar("T")

WRITER_LOCK_NAME = "gitworktree.lock"

# The state record's width on disk (JSON padded with spaces; see _write_state).
_STATE_WIDTH = 128

# A killed writer's lock files are newer than its recorded start; allow for filesystems
# whose timestamps are coarser than the clock.
_MTIME_SLACK_NS = 2_000_000_000


@contextlib.contextmanager
def writer_lock(control_dir: Path) -> Iterator[None]:
    """Hold the writer lock of the repository whose ``.git`` is ``control_dir``.

    Raises:
        RepositoryError: another gitworktree writer held it for longer than the lock
            timeout.
    """
    path = control_dir / WRITER_LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path)
        try:
            previous, width = _read_state(fd)
            if width != _STATE_WIDTH:
                os.ftruncate(fd, 0)  # new, or written otherwise: from now on one fixed record
            if previous.get("state") == "writing":
                since = previous.get("since", 0)
                since = since if isinstance(since, int) else 0
                pid = previous.get("pid")
                removed = clear_stale_locks(control_dir, since)
                removed += clear_stale_temporaries(control_dir, pid)
                if removed:
                    log.warning(
                        "a gitworktree writer (pid %s) was killed mid-write; removed its "
                        "stale lock files and half-written objects: %s",
                        pid,
                        ", ".join(removed),
                    )
            _write_state(fd, {"state": "writing", "pid": os.getpid(), "since": time.time_ns()})
            yield
            _write_state(fd, {"state": "idle", "pid": os.getpid()})
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class ControlDir(Protocol):
    """Something that knows its repository's ``.git`` directory."""

    @property
    def control_dir(self) -> Path:
        """The ``.git`` directory."""
        ...


C = TypeVar("C", bound=ControlDir)


class _Guard:
    """Per-repository-object state: a thread lock, and how deep the holder has re-entered."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0


def exclusive(method: Callable[Concatenate[C, P], T]) -> Callable[Concatenate[C, P], T]:
    """Run a repository method under its writer lock.

    Threads sharing one repository object queue on a thread lock; the ``flock`` (which
    serializes processes, and separate repository objects) is taken once, on the outermost
    call, so a locked method may call another.
    """

    def locked(self: C, /, *args: P.args, **kwargs: P.kwargs) -> T:
        guard: _Guard = self.__dict__.setdefault("_writer_guard", _Guard())
        with guard.lock:
            if guard.depth:
                return method(self, *args, **kwargs)
            with writer_lock(self.control_dir):
                guard.depth += 1
                try:
                    return method(self, *args, **kwargs)
                finally:
                    guard.depth -= 1

    functools.update_wrapper(locked, method)
    return locked


def clear_stale_locks(control_dir: Path, since_ns: int) -> list[str]:
    """Remove ``*.lock`` files under ``control_dir`` modified after ``since_ns``.

    Only the files a killed writer could have created are looked at: the index's,
    ``HEAD``'s, ``packed-refs``', refs' and loose objects'. Returns their paths, relative
    to ``control_dir``.
    """
    candidates = [control_dir / "index.lock", control_dir / "HEAD.lock"]
    candidates.append(control_dir / "packed-refs.lock")
    for sub in ("refs", "objects", "logs"):
        directory = control_dir / sub
        if directory.is_dir():
            candidates.extend(directory.rglob("*.lock"))
    removed = []
    for lock in candidates:
        try:
            if lock.stat().st_mtime_ns + _MTIME_SLACK_NS >= since_ns:
                lock.unlink()
                removed.append(str(lock.relative_to(control_dir)))
        except FileNotFoundError:
            continue
    return sorted(removed)


def clear_stale_temporaries(control_dir: Path, pid: object) -> list[str]:
    """Remove the loose objects a writer killed mid-write left half-written.

    They are ``objects/??/tmp_obj_<its pid>_*``: named by that pid, so no live writer's
    file is touched (git names its own ``tmp_obj_XXXXXX``). Packs in the making carry no
    pid, and a fetch may be writing one right now without the writer lock: abandoned ones
    are removed by the next packing (`housekeeping`). Returns the paths, relative to
    ``control_dir``.
    """
    if not isinstance(pid, int):
        return []
    found = list((control_dir / "objects").glob(f"[0-9a-f][0-9a-f]/tmp_obj_{pid}_*"))
    removed = []
    for path in found:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(str(path.relative_to(control_dir)))
    return sorted(removed)


def last_writer_state(control_dir: Path) -> dict[str, object]:
    """The record the last writer left (``{}`` if none or unreadable), read without the lock.

    A reader that finds ``idle`` (or nothing) knows no writer was killed mid-write since;
    one that finds any other state takes the lock and looks again under it.
    """
    try:
        fd = os.open(control_dir / WRITER_LOCK_NAME, os.O_RDONLY)
    except OSError:
        return {}
    try:
        return _read_state(fd)[0]
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path) -> None:
    deadline = time.monotonic() + lock_timeout()
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise RepositoryError(
                    path,
                    f"another gitworktree process has been writing this repository for "
                    f"over {lock_timeout():g}s; wait for it, or stop it and retry",
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _read_state(fd: int) -> tuple[dict[str, object], int]:
    """The recorded state (empty if unreadable), and the record's length in bytes."""
    raw = os.pread(fd, 4096, 0)
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        return {}, len(raw)
    return (state if isinstance(state, dict) else {}), len(raw)


def _write_state(fd: int, state: dict[str, object]) -> None:
    """Overwrite the record in place: padded to a fixed width, so no truncation is needed.

    One ``pwrite`` replaces the whole record (the padding is JSON whitespace), where
    truncating first would cost a call and leave an empty record for a moment. A state
    is ~70 bytes; ``writer_lock`` truncates a file of any other width once.
    """
    os.pwrite(fd, json.dumps(state).encode().ljust(_STATE_WIDTH), 0)
