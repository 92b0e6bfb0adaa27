"""The click application: the command group and its global options."""

from __future__ import annotations

from importlib.metadata import version

import click

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("gitworktree"), prog_name="gitworktree")
def cli() -> None:
    """Typed, always-valid, auditable state for AI agents, stored in Git."""
