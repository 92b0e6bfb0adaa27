"""The ``gitworktree`` command line. Its imports load only when the CLI runs."""

from __future__ import annotations

import gc

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``gitworktree`` console script (and of ``python -m gitworktree``)."""
    # Everything imported so far lives until the process ends: moved out of the collector's
    # sight, it is neither scanned by collections while the command runs nor at exit
    # (together about a fifth of a short command's time).
    gc.freeze()
    from gitworktree.cli.app import cli

    cli(prog_name="gitworktree")
