"""The ``gitworktree`` command line. Its imports load only when the CLI runs."""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``gitworktree`` console script (and of ``python -m gitworktree``)."""
    from gitworktree.cli.app import cli

    cli(prog_name="gitworktree")
