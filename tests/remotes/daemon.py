"""A real ``git daemon`` serving a directory of bare repositories on 127.0.0.1.

Pushes are enabled (``receive-pack``), so what answers a push is git's own
``receive-pack``, with its locking and its messages. The port is one the kernel just
gave out; the daemon is killed when the context ends, whatever happened.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

__all__ = ["git_daemon"]


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def git_daemon(root: Path) -> Iterator[str]:
    """Serve the bare repositories under ``root``; yields ``git://127.0.0.1:<port>/``."""
    port = _free_port()
    daemon = subprocess.Popen(
        [
            "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
            f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}", str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_listening(port, daemon)
        yield f"git://127.0.0.1:{port}/"
    finally:
        daemon.kill()
        daemon.wait(timeout=30)


#: Between two connection tries: a poll interval, not a timeout (the loop is bounded by
#: its number of tries, each of which answers at once).
_POLL_INTERVAL = 0.05


def _wait_until_listening(port: int, daemon: subprocess.Popen[bytes]) -> None:
    """Bounded in attempts: each connection try either succeeds or is refused at once."""
    for _ in range(600):  # up to 30 s on a loaded machine
        if daemon.poll() is not None:
            raise RuntimeError(f"git daemon exited with status {daemon.returncode}")
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(_POLL_INTERVAL)
    raise RuntimeError(f"git daemon is not listening on 127.0.0.1:{port}")
