"""The generated part of docs/cli.md: each command's ``--help``, as the command prints it.

Each command's section in docs/cli.md holds one block per command between marker comments::

    <!-- cli-help: checkpoint create -->
    ```text
    Usage: gitworktree checkpoint create [OPTIONS] [NAME]
    ...
    ```
    <!-- /cli-help -->

Everything outside the markers is hand-written prose and stays as it is. After changing a
command, its options or its help text, regenerate the blocks with::

    python -m tests.docs.clidocs

(from the repository root); ``tests/docs/test_cli_reference.py`` fails until it is run.
A new command gets its block by adding an empty marker pair to its section.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from gitworktree.cli.app import cli

__all__ = [
    "CLI_MD",
    "REGENERATE",
    "command_paths",
    "documented_commands",
    "regenerate",
    "render_help",
]

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
REGENERATE = "python -m tests.docs.clidocs"
# The width a reader's 80-column terminal gets; fixed so the output is the same everywhere.
WIDTH = 80
BLOCK = re.compile(
    r"(?P<open><!-- cli-help: (?P<command>[a-z -]+?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- /cli-help -->)",
    re.DOTALL,
)


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every command of the CLI that does something, by its words (``"checkpoint create"``)."""
    for name in sorted(group.commands):
        command = group.commands[name]
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, path)
        else:
            yield " ".join(path)


def render_help(command: str) -> str:
    """What ``gitworktree COMMAND --help`` prints in an 80-column terminal."""
    result = CliRunner().invoke(
        cli,
        [*command.split(), "--help"],
        prog_name="gitworktree",
        terminal_width=WIDTH,
        catch_exceptions=False,
    )
    if result.exit_code != 0:
        raise RuntimeError(f"gitworktree {command} --help failed: {result.output}")
    return result.output


def regenerate(text: str) -> str:
    """``text`` (docs/cli.md) with every marked block rendered from the commands."""

    def block(match: re.Match[str]) -> str:
        body = render_help(match["command"]).rstrip("\n")
        return f"{match['open']}```text\n{body}\n```\n{match['close']}"

    return BLOCK.sub(block, text)


def documented_commands(text: str) -> list[str]:
    """The commands docs/cli.md has a generated block for, in page order."""
    return [match["command"] for match in BLOCK.finditer(text)]


def main() -> None:
    """Rewrite docs/cli.md's generated blocks in place."""
    old = CLI_MD.read_text(encoding="utf-8")
    new = regenerate(old)
    if new != old:
        CLI_MD.write_text(new, encoding="utf-8")
    missing = sorted(set(command_paths()) - set(documented_commands(new)))
    if missing:
        print(f"docs/cli.md has no <!-- cli-help: ... --> block for: {', '.join(missing)}")
        sys.exit(1)
    print("docs/cli.md is up to date" if new == old else "docs/cli.md regenerated")


if __name__ == "__main__":
    main()
