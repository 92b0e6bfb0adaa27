"""``gitworktree mcp``: serve the repository to MCP clients (docs/mcp.md).

The server needs the optional ``mcp`` extra; it is imported only when this command
runs, so every other command (and ``--help``) works without it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import click

from gitworktree.cli.context import open_repository, repo_option
from gitworktree.cli.declaration import load_tree_class
from gitworktree.cli.errors import RefusedError

__all__ = ["mcp", "parse_http"]

_INSTALL = "install it with: pip install 'gitworktree[mcp]'"


def _require_sdk() -> None:
    """Refuse with how to install the SDK, unless MCP SDK 2.x is importable."""
    from importlib import metadata  # with zipfile, csv and email: only for this command

    if importlib.util.find_spec("mcp") is None:
        raise RefusedError(
            f"the MCP server needs the official MCP Python SDK (mcp 2.x); {_INSTALL}"
        )
    try:
        version = metadata.version("mcp")
    except metadata.PackageNotFoundError:
        return  # importable without an installed distribution (vendored): take it as it is
    major = version.split(".")[0]
    if not major.isdigit() or int(major) != 2:
        raise RefusedError(
            f"the MCP server needs mcp 2.x, but mcp {version} is installed; {_INSTALL}"
        )


def _check_identity(identity: str | None, option: str, example: str) -> None:
    from gitworktree import InvalidNameError
    from gitworktree.history._core.identity import check_identity

    if identity is None:
        return
    try:
        check_identity(identity)
    except InvalidNameError as error:
        raise click.BadParameter(f"{error}; {example}", param_hint=option) from None


def parse_http(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a host and a port.

    Raises:
        click.BadParameter: not of that form.
    """
    host, separator, port = value.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(
            f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8765", param_hint="--http"
        )
    return host, int(port)


@click.command(short_help="Serve the repository to MCP clients (agents).")
@click.option(
    "--tree",
    "tree_spec",
    metavar="MODULE:CLASS",
    help="The Worktree subclass declaring the artifacts and their types (else: every file).",
)
@click.option("--http", "http", metavar="HOST:PORT", help="Streamable HTTP on a loopback address.")
@click.option("--read-only", is_flag=True, help="Refuse every tool that writes.")
@click.option(
    "--author",
    metavar='"NAME <EMAIL>"',
    help="The author of commits made through MCP (default: the client's declared name).",
)
@click.option(
    "--email",
    default="mcp-agent@localhost",
    show_default=True,
    help="The e-mail recorded with the client's declared name.",
)
@repo_option
@click.pass_context
def mcp(
    ctx: click.Context,
    tree_spec: str | None,
    http: str | None,
    read_only: bool,
    author: str | None,
    email: str,
) -> None:
    """Serve the repository as a Model Context Protocol server (stdio by default).

    Agents list, read and write artifacts (each write is checked at once), commit
    through the validation gate, validate, read the log, show commits and diffs, and
    create, list, delete and restore checkpoints. Commits are authored by the agent
    (--author, or the client's declared name with --email) and carry `MCP-Client` and
    `MCP-Tool` trailers. Needs the extra: pip install 'gitworktree[mcp]'.

    \b
    Examples:
      gitworktree -C state mcp                          # stdio, for a client to spawn
      gitworktree mcp --tree myagent.state:AgentState --author "Planner <p@agents.local>"
      gitworktree mcp --http 127.0.0.1:8765 --read-only
    """
    address = None if http is None else parse_http(http)
    _check_identity(author, "--author", 'e.g. "Planner <planner@agents.local>"')
    _check_identity(f"agent <{email}>", "--email", "e.g. planner@agents.local")
    _require_sdk()
    from gitworktree.mcp import Audit, check_loopback, serve

    if address is not None:
        check_loopback(address[0])  # before anything is opened
    tree: Any = None if tree_spec is None else load_tree_class(tree_spec)
    repository = open_repository(ctx)
    if address is not None:
        click.echo(f"gitworktree MCP server on http://{http}/mcp", err=True)
    serve(
        repository,
        tree=tree,
        read_only=read_only,
        audit=Audit(author=author, email=email),
        http=address,
    )
