"""``--stat`` draws its bars to the terminal's width as Python's `shutil.get_terminal_size`
reads it (``COLUMNS`` first, then the terminal on standard output, else 80), without
importing ``shutil`` on the way (issue 17)."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios

import pytest

from gitworktree.cli.output import terminal_width

COLUMNS = {
    "a number": "123",
    "zero": "0",
    "negative": "-4",
    "not a number": "wide",
    "empty": "",
    "unset": None,
}


@pytest.mark.parametrize("columns", COLUMNS.values(), ids=COLUMNS.keys())
def test_width_is_what_shutil_reads(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_width() == shutil.get_terminal_size((80, 24)).columns


@pytest.mark.parametrize("columns", [None, "0", "57"], ids=["unset", "zero", "set"])
def test_width_of_a_real_terminal_on_standard_output(columns: str | None) -> None:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 132, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    code = (
        "import shutil, sys\n"
        "from gitworktree.cli.output import terminal_width\n"
        "print(terminal_width(), shutil.get_terminal_size((80, 24)).columns, file=sys.stderr)\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], stdout=follower, capture_output=False,
            stderr=subprocess.PIPE, text=True, env=env, check=True,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    ours, shutils = out.stderr.split()
    assert ours == shutils == (columns if columns not in (None, "0") else "132")
