"""A gitworktree writer killed mid-write, as the next process finds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["leave_a_killed_writer"]

_KILLED_WRITER = """
import os, sys
from pathlib import Path
from gitworktree.history._worktree.writelock import writer_lock
with writer_lock(Path(sys.argv[1])):
    os._exit(0)  # dies holding the lock: no clean-up runs, as with SIGKILL
"""


def leave_a_killed_writer(control_dir: Path) -> None:
    """Run a process that takes the writer lock of ``control_dir`` and dies holding it."""
    subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(control_dir)], check=True)
