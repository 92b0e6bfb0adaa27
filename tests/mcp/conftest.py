"""The MCP server's fixtures: a repository made with git, the server as a real process.

Tests talk to the server with the official SDK's own client (``ClientSession`` over
the stdio client or streamable HTTP) and judge the outcome with ``git``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.session import IncomingMessage

PLAN = '{\n  "title": "Draft",\n  "steps": []\n}\n'
GITWORKTREE = Path(sys.executable).parent / "gitworktree"  # the installed console script


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``repo`` (with ``env`` added to the environment); its stdout."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with ``plan.json`` and ``notes.md``, committed by a person with git."""
    root = tmp_path / "state"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "plan.json").write_text(PLAN)
    (root / "notes.md").write_text("# Notes\n")
    git(root, "add", ".")
    person = {"GIT_AUTHOR_NAME": "Person", "GIT_AUTHOR_EMAIL": "person@example.com"}
    git(root, "commit", "-qm", "Start", env=person)
    return root


def server_env() -> dict[str, str]:
    """The test's environment (its isolated git config), for the server process.

    Servers racing one repository wait for each other's writer lock, as agents on a
    loaded machine would: the suite's short stale-lock timeout is not for them.
    """
    return {**os.environ, "GITWORKTREE_LOCK_TIMEOUT": "30"}


def stdio_server(repo: Path, *options: str) -> StdioServerParameters:
    """How the SDK's stdio client starts ``gitworktree -C REPO mcp OPTIONS``."""
    return StdioServerParameters(
        command=str(GITWORKTREE), args=["-C", str(repo), "mcp", *options], env=server_env()
    )


@dataclass
class HttpServer:
    """A ``gitworktree mcp --http`` process and the URL of its endpoint."""

    process: subprocess.Popen[bytes]
    url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # a free port on every loopback address: 127.0.0.0/8
        return int(probe.getsockname()[1])


def _wait_until_listening(server: subprocess.Popen[bytes], host: str, port: int) -> None:
    # Bounded by attempts, not by a deadline: a loaded machine only makes it slower.
    for _ in range(300):
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}")
        try:
            socket.create_connection((host, port), timeout=5).close()
            return
        except OSError:
            time.sleep(0.2)  # a poll interval between tries, bounded by their number
    raise AssertionError("the server never listened")


@pytest.fixture
def http_server(repo: Path, request: pytest.FixtureRequest) -> Iterator[HttpServer]:
    """``gitworktree mcp --http HOST:PORT`` on ``repo``.

    An indirect parameter may give ``{"host": ..., "options": [...]}``; the default host
    is 127.0.0.1.
    """
    given: dict[str, Any] = getattr(request, "param", {})
    host, port = given.get("host", "127.0.0.1"), free_port()
    command = [
        str(GITWORKTREE),
        "-C",
        str(repo),
        "mcp",
        "--http",
        f"{host}:{port}",
        *given.get("options", []),
    ]
    server = subprocess.Popen(command, env=server_env(), stderr=subprocess.DEVNULL)
    try:
        _wait_until_listening(server, host, port)
        yield HttpServer(server, f"http://{host}:{port}/mcp")
    finally:
        server.terminate()
        server.wait(timeout=30)


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call ``tool``; its structured reply (the call must succeed)."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    """Call ``tool``, which must fail as a tool error; the message the model reads."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    assert "Traceback" not in text
    return text


class Notifications:
    """What the server told the client on its own: resource URIs updated."""

    def __init__(self) -> None:
        self.updated: list[str] = []

    async def __call__(self, message: IncomingMessage) -> None:
        params = getattr(message, "params", None)
        if getattr(message, "method", "") == "notifications/resources/updated" and params:
            self.updated.append(str(params.uri))
