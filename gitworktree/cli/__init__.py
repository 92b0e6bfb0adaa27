"""The ``gitworktree`` command line. Its imports load only when the CLI runs."""

from __future__ import annotations

import gc

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``gitworktree`` console script (and of ``python -m gitworktree``).

    Meant to own its process: it freezes the garbage collector's view of every object
    alive when it starts. To run a command inside another program, call click's
    ``gitworktree.cli.app.cli`` instead (as the tests do).
    """
    # Everything imported so far lives until the process ends: moved out of the collector's
    # sight, it is neither scanned by collections while the command runs nor at exit
    # (together about a fifth of a short command's time).
    gc.freeze()
    # Starting a command allocates tens of thousands of objects (modules, functions,
    # classes) that also live until the process ends. At the default threshold of 700 new
    # objects the collector ran ~55 times while `log` started and found ~470 objects in
    # all: ~3 ms of its start-up (issue 17). At 50,000, start-up passes without a
    # collection, and a long-running command (the MCP server) still collects as often
    # as it allocates that many.
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(50_000, middle, oldest)
    from gitworktree.cli.app import cli

    cli(prog_name="gitworktree")
