"""Who holds a lock: this process's identity, and whether a recorded holder still runs.

A lock file or a writer-lock record names its holder by pid. A pid alone says little: the
process may have died and its number been given to another since, or the machine may
have rebooted, or the repository may live on a network file system another host writes.
So the holder is recorded as its pid, the time it started (from ``/proc/<pid>/stat``,
in clock ticks since boot: two processes that had the same pid never share it), the
boot it belongs to (``/proc/sys/kernel/random/boot_id``) and the host name. Where
``/proc`` is missing the start time and boot are left out and the pid decides alone.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

__all__ = ["holder_is_alive", "process_identity", "process_record"]


def process_record() -> dict[str, object]:
    """This process, as recorded in a lock: pid, start time, boot id and host name."""
    pid = os.getpid()
    return {"pid": pid, **_static_identity(pid)}


def process_identity() -> str:
    """`process_record` as one line of JSON (what our ``index.lock`` holds)."""
    import json  # here: a process that only reads never writes a lock

    return json.dumps(process_record(), sort_keys=True, separators=(",", ":"))


def holder_is_alive(record: Mapping[str, object]) -> bool:
    """Whether the process a lock record names may still be running.

    ``True`` whenever we cannot tell (another host, no pid): a live holder's lock must
    never be taken from it, so doubt counts as alive.
    """
    pid = record.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    host = record.get("host")
    if isinstance(host, str) and host != _host_name():
        return True  # a process on another machine: we cannot look at it
    boot = record.get("boot")
    if isinstance(boot, str) and _boot_id() is not None and boot != _boot_id():
        return False  # recorded before the last reboot
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    start = record.get("start")
    if isinstance(start, int):
        now = _start_time(pid)
        if now is not None and now != start:
            return False  # the pid was given to another process since
    return True


@functools.cache
def _static_identity(pid: int) -> dict[str, object]:
    identity: dict[str, object] = {"host": _host_name()}
    start, boot = _start_time(pid), _boot_id()
    if start is not None:
        identity["start"] = start
    if boot is not None:
        identity["boot"] = boot
    return identity


def _host_name() -> str:
    # The kernel's node name, which is what `socket.gethostname()` returns on POSIX (the
    # writer lock needs `fcntl`, so POSIX it is) without importing `socket` (~1.3 ms
    # with its C modules, for every command that writes).
    return os.uname().nodename


@functools.cache
def _boot_id() -> str | None:
    try:
        # Read as bytes: a text file would import the ascii codec for 36 characters.
        with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
            return handle.read().strip().decode("ascii", "replace") or None
    except OSError:
        return None


def _start_time(pid: int) -> int | None:
    """Field 22 of ``/proc/<pid>/stat``: when the process started, in ticks since boot."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None
