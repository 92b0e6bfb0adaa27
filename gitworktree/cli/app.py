"""The click application: the command group, its global options, and error handling.

A command's module is imported only when that command runs (or when ``--help`` lists
them all), and none of them imports more of the library at module level than ``import
gitworktree`` already did: each command imports what only it needs (the network client,
the diff machinery, XML) when it runs. So ``gitworktree log`` loads neither the modules of
``clone``, ``pull``, ``mcp`` or ``demo`` nor what they use.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import click

from gitworktree.cli.context import CliState, HabitGroup, repo_option
from gitworktree.cli.errors import from_exception

__all__ = ["COMMANDS", "GitworktreeGroup", "LazyCommands", "cli"]

# Every command of the group: the module that defines it and its name in that module
# (``module:attribute``). ``--help`` lists them sorted by name, as click does.
COMMANDS: dict[str, str] = {
    "init": "gitworktree.cli.history:init",
    "status": "gitworktree.cli.history:status",
    "log": "gitworktree.cli.history:log",
    "show": "gitworktree.cli.history:show",
    "diff": "gitworktree.cli.diff:diff",
    "checkpoint": "gitworktree.cli.checkpoints:checkpoint",
    "restore": "gitworktree.cli.checkpoints:restore",
    "validate": "gitworktree.cli.tree:validate",
    "commit": "gitworktree.cli.tree:commit",
    "clone": "gitworktree.cli.remotes:clone",
    "remote": "gitworktree.cli.remotes:remote",
    "fetch": "gitworktree.cli.remotes:fetch",
    "pull": "gitworktree.cli.pull:pull",
    "push": "gitworktree.cli.remotes:push",
    "sync": "gitworktree.cli.pull:sync",
    "mcp": "gitworktree.cli.mcp:mcp",
    "demo": "gitworktree.cli.demo:demo",
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its module when first looked up.

    click finds a command through ``group.commands`` (`click.Group.get_command`), so a
    run imports the one module it needs; listing the commands (``--help``) imports them
    all. Commands added later (``add_command``) are kept as given.
    """

    def __init__(self, sources: Mapping[str, str]) -> None:
        """Keep the table of commands; nothing is imported yet.

        Args:
            sources: command name -> ``"module:attribute"``, where the command is defined.
        """
        self._commands: dict[str, click.Command | str] = dict(sources)

    def __getitem__(self, name: str) -> click.Command:
        command = self._commands[name]
        if isinstance(command, str):
            module, _, attribute = command.partition(":")
            loaded = getattr(importlib.import_module(module), attribute)
            if not isinstance(loaded, click.Command):
                raise TypeError(f"{command} is not a click command")
            command = self._commands[name] = loaded
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._commands)

    def __len__(self) -> int:
        return len(self._commands)


class _StderrHandler(logging.Handler):
    """The library's warnings (e.g. a working tree repaired after a crash), on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


_RESTORE = (
    "To go back to a checkpoint or revision: `gitworktree restore TARGET` (a new commit; "
    "history is kept)"
)
# Commands people type out of habit (git's, or an undo they expect), and what does it here.
_HABITS = {
    "reset": f"{_RESTORE}, or `gitworktree restore TARGET --hard` to move the branch as "
    "`git reset --hard` does; to throw uncommitted edits away: `gitworktree restore --discard`.",
    "checkout": f"{_RESTORE}; to read a file as it was: `gitworktree show REV:PATH`.",
    "switch": f"{_RESTORE}; to read a file as it was: `gitworktree show REV:PATH`.",
    "revert": f"{_RESTORE}.",
    "rollback": f"{_RESTORE}.",
    "undo": f"{_RESTORE}.",
    "add": "There is no staging area: `gitworktree commit -m MSG --tree MODULE:CLASS` commits "
    "every edited artifact, through the gate.",
    "stash": "To throw uncommitted edits away: `gitworktree restore --discard`.",
    "merge": "To merge a host's branch: `gitworktree pull`.",
}


class GitworktreeGroup(HabitGroup):
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
        except BrokenPipeError:
            # The reader left (`gitworktree log -p | head`): no error to report. click's
            # main quiets the pipe and exits 1, as it does for its own output.
            raise
        except Exception as error:
            raise from_exception(error, debug=ctx.ensure_object(CliState).debug) from error
        finally:
            logger.removeHandler(handler)


@click.group(
    cls=GitworktreeGroup,
    habits=_HABITS,
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


cli.commands = LazyCommands(COMMANDS)
