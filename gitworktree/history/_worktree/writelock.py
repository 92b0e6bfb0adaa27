"""The writer lock: one gitworktree writer at a time, and clean-up after a dead one.

Every gitworktree write to a repository (commit, restore, checkpoint, recovery) holds an
exclusive ``flock`` on ``.git/gitworktree.lock``. The kernel releases it when its holder
dies, however it dies, so whoever holds it knows no other gitworktree writer is alive in
the middle of a write.

The file also records the holder's state: ``writing`` with who it is (pid, process start
time, boot id, host: see `gitworktree.history._core.processes`) and when it started, set when
it takes the lock, and ``idle`` when it lets go — in a ``finally``, so a write that
fails (a timeout, a full disk, a conflict) still leaves ``idle``. Before it moves a
branch it also records the ref and the commit it moves it to.

The next writer that finds ``writing`` removes what the previous holder left only if that
holder is provably dead — its pid no longer runs, or runs another process (a different
start time), or belongs to an earlier boot — never on the state alone. And it removes
only lock files it can prove were that writer's, because a live ``git`` may hold a lock
of the same name right now:

- ``index.lock`` holding our marker with the dead writer's identity (ours always does;
  git's holds an index);
- the lock of the recorded ref holding the recorded commit id (what the dead writer was
  writing into it);
- half-written loose objects ``objects/??/tmp_obj_<pid>_*`` and ``objects/??/*.lock``
  newer than its start (git names neither so), the index it was writing
  (``index.gitworktree-<pid>``, ``sharedindex.gitworktree-<pid>``), and the files it
  kept aside to put back if its commit failed (``gitworktree-parked-<pid>/``).

Any other lock file is git's or some other program's: it is never removed; after
waiting for it (``GITWORKTREE_LOCK_TIMEOUT``) the error names it and says how to clear it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from dulwich.refs import Ref

from gitworktree.errors import RepositoryError
from gitworktree.history._core.locks import lock_timeout
from gitworktree.history._core.processes import holder_is_alive, process_record

__all__ = [
    "WRITER_LOCK_NAME",
    "ControlDir",
    "WriterGuard",
    "clear_stale_locks",
    "clear_stale_temporaries",
    "exclusive",
    "last_writer_state",
    "record_ref_update",
    "wait_for_writer",
    "writer_lock",
]

log = logging.getLogger("gitworktree")

P = ParamSpec("P")
T = TypeVar("T")

WRITER_LOCK_NAME = "gitworktree.lock"

# The state record's width on disk (JSON padded with spaces; see _write_state).
_STATE_WIDTH = 512

# How long a partly written ref lock must stay unchanged to count as a dead writer's.
_SETTLE_SECONDS = 0.05

# The records of the writer locks this process holds: control dir -> (fd, record).
_HELD: dict[str, tuple[int, dict[str, object]]] = {}
_HELD_LOCK = threading.Lock()

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
    path = os.path.join(control_dir, WRITER_LOCK_NAME)
    fd = _open_record(path)
    try:
        _acquire(fd, path)
        try:
            # The usual case: the record this process wrote when it last let go, which
            # says that nothing is left to clean up (no record to parse).
            pid = os.getpid()
            if os.pread(fd, _STATE_WIDTH + 1, 0) != _idle_record(pid):
                _take_over(fd, control_dir)
            record = {"state": "writing", **process_record(), "since": time.time_ns()}
            _write_state(fd, record)
            key = os.fspath(control_dir)
            with _HELD_LOCK:
                _HELD[key] = (fd, record)
            try:
                yield
            finally:
                with _HELD_LOCK:
                    _HELD.pop(key, None)
                os.pwrite(fd, _idle_record(pid), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_record(path: str) -> int:
    """Open (or make) the lock's record file, which must be a plain file of its own.

    The record is truncated and rewritten: through a symbolic link planted in ``.git``
    (someone else's repository, a shared folder) that would overwrite whatever file the
    link names, so a link is not followed, and a FIFO or device is not written to.

    Raises:
        RepositoryError: ``reason="damaged"``, if something else is there.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as err:
        if err.errno != errno.ELOOP:
            raise
        raise _not_a_record(path, "a symbolic link") from err
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_record(path, "not a plain file")
    return fd


def _not_a_record(path: str, what: str) -> RepositoryError:
    return RepositoryError(
        path,
        f"this is {what}, where gitworktree keeps its writer lock: the repository is "
        "damaged or tampered with (run `git fsck`). Move it aside; nothing was written",
        reason="damaged",
    )


def _take_over(fd: int, control_dir: Path) -> None:
    """Clean up after the last writer, if another process or one that did not finish."""
    previous, width = _read_state(fd)
    if width != _STATE_WIDTH:
        os.ftruncate(fd, 0)  # new, or written otherwise: from now on one fixed record
    if previous.get("state") == "writing":
        _clean_up_after(control_dir, previous)
    elif previous.get("pid") != os.getpid():
        # The last writer was another process: its parking folder, kept empty between
        # its writes, and its index.lock marker go (if it still writes, it makes them
        # again; it cannot be writing now: we hold the lock).
        from gitworktree.history._worktree.index import remove_lock_marker
        from gitworktree.history._worktree.materialize import remove_parked_folder

        remove_parked_folder(control_dir, previous.get("pid"))
        remove_lock_marker(control_dir, previous.get("pid"))


@functools.lru_cache(maxsize=4)
def _idle_record(pid: int) -> bytes:
    """The record a writer leaves when it lets go: the same bytes every time, so made once
    (per process: a forked child has its own pid)."""
    return _encode_state({"state": "idle", "pid": pid})


def record_ref_update(control_dir: Path, ref: Ref, new: bytes) -> None:
    """Record, before moving ``ref`` to ``new``, that this writer is about to do it.

    If the writer dies holding ``<ref>.lock``, the next one can tell that lock from a
    live git's by its content (``new``). A no-op outside a `writer_lock`.
    """
    with _HELD_LOCK:
        held = _HELD.get(os.fspath(control_dir))
    if held is None:
        return
    fd, record = held
    _write_state(fd, {**record, "ref": ref.decode("utf-8", "replace"), "to": new.decode()})


def _clean_up_after(control_dir: Path, previous: dict[str, object]) -> None:
    """Remove what a writer recorded as ``writing`` left, if it is provably dead."""
    # Imported here, after a crash, not with the guard: opening a repository to read its
    # history needs `exclusive` and `WriterGuard` only, not the index or the file writer.
    from gitworktree.history._worktree.materialize import PARKED_PREFIX, put_back_parked

    pid = previous.get("pid")
    if holder_is_alive(previous):
        # The state was not reset, but its writer runs (or we cannot tell): its files
        # may be in use. Leave them; a lock it still holds times out with a clear error.
        log.info("the last gitworktree writer (pid %s) is still running; nothing removed", pid)
        return
    since = previous.get("since", 0)
    since = since if isinstance(since, int) else 0
    parked = control_dir / f"{PARKED_PREFIX}{pid}"
    if isinstance(pid, int) and parked.is_dir() and not _moved(control_dir, previous):
        # Killed before its branch moved: its commit never landed, so the files it had
        # written go back to what they were (its index, if in place, is fixed by
        # `recover_interrupted_checkout`).
        put_back = put_back_parked(control_dir.parent, parked)
        if put_back:
            log.warning(
                "a gitworktree writer (pid %s) was killed before its commit landed; put "
                "back the files it had written: %s",
                pid,
                ", ".join(put_back),
            )
    removed = clear_stale_locks(control_dir, previous, since)
    removed += clear_stale_temporaries(control_dir, pid)
    if removed:
        log.warning(
            "a gitworktree writer (pid %s) was killed mid-write; removed its stale lock "
            "files and half-written objects: %s",
            pid,
            ", ".join(removed),
        )


class ControlDir(Protocol):
    """Something that knows its repository's ``.git`` directory."""

    @property
    def control_dir(self) -> Path:
        """The ``.git`` directory."""
        ...


C = TypeVar("C", bound=ControlDir)


class WriterGuard:
    """Per-repository-object state: a thread lock, and how deep the holder has re-entered.

    A repository object and the collaborators it delegates to share one guard (as their
    ``_writer_guard``): a locked method of one may call a locked method of another
    without taking the ``flock`` twice, which would wait forever on itself.
    """

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
        guard: WriterGuard = self.__dict__.setdefault("_writer_guard", WriterGuard())
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


def clear_stale_locks(control_dir: Path, holder: dict[str, object], since_ns: int) -> list[str]:
    """Remove the lock files that the dead writer ``holder`` provably left.

    Args:
        control_dir: the ``.git`` directory.
        holder: the dead writer's record (identity, and the ref it was moving, if any).
        since_ns: when it took the writer lock.

    Returns:
        The removed paths, relative to ``control_dir``.
    """
    removed = []
    index_lock = control_dir / "index.lock"
    if _holds_marker_of(index_lock, holder):
        removed.append(_unlink(control_dir, index_lock))
    ref, to = holder.get("ref"), holder.get("to")
    if isinstance(ref, str) and isinstance(to, str) and ref.startswith("refs/"):
        ref_lock = control_dir / f"{ref}.lock"
        if _holds_what_it_wrote(ref_lock, f"{to}\n".encode()):
            removed.append(_unlink(control_dir, ref_lock))
    objects = control_dir / "objects"
    for lock in objects.glob("[0-9a-f][0-9a-f]/*.lock") if objects.is_dir() else ():
        # Only dulwich writes loose objects through a lock file (git writes tmp_obj_*).
        try:
            if lock.stat().st_mtime_ns + _MTIME_SLACK_NS >= since_ns:
                removed.append(_unlink(control_dir, lock))
        except FileNotFoundError:
            continue
    return sorted(path for path in removed if path)


def _holds_marker_of(lock: Path, holder: dict[str, object]) -> bool:
    """Whether ``lock`` is an ``index.lock`` we created, for the process ``holder``."""
    import json  # as in `_read_state`

    content = _content(lock)
    if content is None or not content.startswith(b"gitworktree "):
        return False
    try:
        owner = json.loads(content[len(b"gitworktree ") :])
    except ValueError:
        return False
    return (
        isinstance(owner, dict)
        and owner.get("pid") == holder.get("pid")
        and (not holder_is_alive(owner))
    )


def _moved(control_dir: Path, holder: dict[str, object]) -> bool:
    """Whether the ref the dead writer recorded now points at the recorded commit."""
    ref, to = holder.get("ref"), holder.get("to")
    if not isinstance(ref, str) or not isinstance(to, str) or not ref.startswith("refs/"):
        return False
    loose = _content(control_dir / ref)
    if loose is not None:
        return loose.strip() == to.encode()
    packed = _content_all(control_dir / "packed-refs") or b""
    return f"{to} {ref}".encode() in packed.splitlines()


def _content_all(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _holds_what_it_wrote(lock: Path, written: bytes) -> bool:
    """Whether ``lock`` holds ``written``, or the start of it and stays so.

    A writer killed while writing a ref lock leaves it empty or partly written. A live
    git writes its whole line right after creating its lock, so a lock that still holds
    only a start of ours a moment later is the dead writer's.
    """
    content = _content(lock)
    if content is None or not written.startswith(content):
        return False
    if content == written:
        return True
    before = _identity(lock)
    time.sleep(_SETTLE_SECONDS)
    return _content(lock) == content and _identity(lock) == before


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _content(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(4096)
    except OSError:
        return None


def _unlink(control_dir: Path, path: Path) -> str:
    try:
        path.unlink()
    except FileNotFoundError:
        return ""
    return str(path.relative_to(control_dir))


def clear_stale_temporaries(control_dir: Path, pid: object) -> list[str]:
    """Remove the files a writer killed mid-write left half-written.

    They are ``objects/??/tmp_obj_<its pid>_*`` and ``index.gitworktree-<its pid>``: named
    by that pid, so no live writer's file is touched (git names its own
    ``tmp_obj_XXXXXX``). Packs in the making carry no pid, and a fetch may be writing one
    right now without the writer lock: abandoned ones are removed by the next packing
    (`housekeeping`). Returns the paths, relative to ``control_dir``.
    """
    from gitworktree.history._worktree.index import INDEX_TEMP_INFIX, lock_markers_of
    from gitworktree.history._worktree.materialize import PARKED_PREFIX

    if not isinstance(pid, int):
        return []
    found = list((control_dir / "objects").glob(f"[0-9a-f][0-9a-f]/tmp_obj_{pid}_*"))
    found.append(control_dir / f"index{INDEX_TEMP_INFIX}{pid}")
    found.extend(lock_markers_of(control_dir, pid))
    found.append(control_dir / f"sharedindex{INDEX_TEMP_INFIX}{pid}")
    parked = control_dir / f"{PARKED_PREFIX}{pid}"
    if parked.is_dir():
        found.extend(parked.iterdir())  # links to files its commit replaced: not needed
    removed = sorted(path for path in (_unlink(control_dir, path) for path in found) if path)
    with contextlib.suppress(OSError):
        parked.rmdir()
    return removed


def last_writer_state(control_dir: Path) -> dict[str, object]:
    """The record the last writer left (``{}`` if none or unreadable), read without the lock.

    A reader that finds ``idle`` (or nothing) knows no writer was killed mid-write since;
    one that finds any other state takes the lock and looks again under it.
    """
    try:
        # Not blocking on a FIFO, not reading through a link: the writer refuses both.
        fd = os.open(control_dir / WRITER_LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return {}
    try:
        return _read_state(fd)[0]
    finally:
        os.close(fd)


def wait_for_writer(control_dir: Path) -> None:
    """Wait until no gitworktree writer holds the writer lock, touching nothing.

    A shared ``flock`` on the lock's file, let go at once: the file is neither created
    nor written (a refusal made after this still leaves ``.git`` exactly as it was), and
    the record of a writer that died is left for the next writer to clean up after.

    Raises:
        RepositoryError: a writer held it for longer than the lock timeout.
    """
    path = os.path.join(control_dir, WRITER_LOCK_NAME)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return  # no writer ever wrote here, or we cannot tell: nothing to wait for
    try:
        _acquire(fd, path, fcntl.LOCK_SH)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: str, mode: int = fcntl.LOCK_EX) -> None:
    deadline = time.monotonic() + lock_timeout()
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
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
    # json is imported by the first writer, not by every process that only reads.
    import json

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
    is ~250 bytes; ``writer_lock`` truncates a file of any other width once.
    """
    os.pwrite(fd, _encode_state(state), 0)


def _encode_state(state: dict[str, object]) -> bytes:
    import json  # as in `_read_state`

    raw = json.dumps(state).encode()
    if len(raw) > _STATE_WIDTH:
        # An extremely long ref name: leave the ref out (its lock is then never removed
        # for us, only reported) rather than write past the record.
        raw = json.dumps({k: v for k, v in state.items() if k not in ("ref", "to")}).encode()
    return raw.ljust(_STATE_WIDTH)
