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
    from gitworktree.cli.app import cli

    cli(prog_name="gitworktree")
