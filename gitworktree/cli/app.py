"""The click application: the command group, its global options, and error handling.

Every command module is imported here, but none of them imports more of the library at
module level than ``import gitworktree`` already did: each command imports what only it
needs (the network client, the diff machinery, XML) when it runs.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import click

from gitworktree.cli.checkpoints import checkpoint, restore
from gitworktree.cli.context import CliState, repo_option
from gitworktree.cli.demo import demo
from gitworktree.cli.diff import diff
from gitworktree.cli.errors import from_exception
from gitworktree.cli.history import init, log, show, status
from gitworktree.cli.mcp import mcp
from gitworktree.cli.pull import pull, sync
from gitworktree.cli.remotes import clone, fetch, push, remote
from gitworktree.cli.tree import commit, validate

__all__ = ["GitworktreeGroup", "cli"]


class _StderrHandler(logging.Handler):
    """The library's warnings (e.g. a working tree repaired after a crash), on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


class GitworktreeGroup(click.Group):
    """A group that turns every error a command raises into a one-sentence message.

    Library errors, ``OSError`` and unexpected exceptions become `RefusedError` (exit 1);
    click's own exceptions (usage errors: exit 2) pass through unchanged. While a command
    runs, the library's log warnings are shown on stderr as ``WARNING: ...``.
    """

    def invoke(self, ctx: click.Context) -> Any:
        logger = logging.getLogger("gitworktree")
        handler = _StderrHandler(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            raise from_exception(error, debug=ctx.ensure_object(CliState).debug) from error
        finally:
            logger.removeHandler(handler)


@click.group(
    cls=GitworktreeGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="gitworktree", prog_name="gitworktree")
@repo_option
@click.option(
    "--debug",
    is_flag=True,
    envvar="GITWORKTREE_DEBUG",
    help="Show the traceback with an error.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Typed, always-valid, auditable state for AI agents, stored in Git.

    Audit and steer a gitworktree repository: its history, checkpoints, diffs by JSON
    Pointer, restores, the validation gate for edits made in the working tree, and
    sharing through a Git host (clone, pull, push, sync).
    Exit status: 0 success, 1 refused (nothing changed), 2 usage error.

    \b
    Examples:
      gitworktree demo                      # a scripted agent session, then its history
      gitworktree -C data log -n 5          # the last five commits of the repo in data/
      gitworktree diff HEAD~1 --json        # what the last commit changed, as JSON
    """
    ctx.ensure_object(CliState).debug = debug
    if os.environ.get("NO_COLOR"):
        ctx.color = False


for command in (
    init,
    status,
    log,
    show,
    diff,
    checkpoint,
    restore,
    validate,
    commit,
    clone,
    remote,
    fetch,
    pull,
    push,
    sync,
    mcp,
    demo,
):
    cli.add_command(command)
