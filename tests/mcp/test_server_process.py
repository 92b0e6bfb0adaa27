"""The server as a process: concurrent clients, a client that vanishes, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from gitworktree.cli.app import cli
from tests.mcp.conftest import GITWORKTREE, HttpServer, call, git, server_env

CLIENTS = 4
HELLO = {
    "protocolVersion": LATEST_HANDSHAKE_VERSION,
    "capabilities": {},
    "clientInfo": {"name": "vanishing", "version": "1"},
}


async def commit_one_task(url: str, number: int) -> dict[str, Any]:
    # The same declared name for every client: only their sessions tell them apart.
    agent = Implementation(name="agent", version="1")
    async with (
        streamable_http_client(url) as (read, write),
        ClientSession(read, write, client_info=agent) as session,
    ):
        await session.initialize()
        path = f"tasks/t{number}.json"
        await call(session, "write_artifact", path=path, content=json.dumps({"n": number}))
        return await call(session, "commit", message=f"Add task {number}")


def test_concurrent_http_clients_committing_different_artifacts_lose_nothing(
    repo: Path, http_server: HttpServer
) -> None:
    replies: dict[int, dict[str, Any]] = {}

    async def run() -> None:
        async def one(number: int) -> None:
            replies[number] = await commit_one_task(http_server.url, number)

        async with anyio.create_task_group() as group:
            for number in range(CLIENTS):
                group.start_soon(one, number)

    anyio.run(run)
    # Each client committed exactly the file it staged, in a commit of its own.
    assert {number: reply["paths"] for number, reply in replies.items()} == {
        number: [f"tasks/t{number}.json"] for number in range(CLIENTS)
    }
    subjects = git(repo, "log", "--format=%s", f"-{CLIENTS}").splitlines()
    assert sorted(subjects) == [f"Add task {n}" for n in range(CLIENTS)]
    files = git(repo, "ls-tree", "-r", "--name-only", "HEAD", "tasks").split()
    assert files == [f"tasks/t{n}.json" for n in range(CLIENTS)]
    git(repo, "fsck", "--strict")


# 127.0.0.2: a loopback address the SDK would not protect by itself.
@pytest.mark.parametrize("http_server", [{"host": "127.0.0.2"}], indirect=True, ids=["127.0.0.2"])
def test_the_http_transport_refuses_requests_for_another_host_name(
    http_server: HttpServer,
) -> None:
    # A web page that rebinds its own DNS name to 127.0.0.1 still sends its own Host
    # and Origin: the server must not answer it.
    initialize = _message(1, "initialize", HELLO)
    headers = {
        "Host": "attacker.example",
        "Origin": "http://attacker.example",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    request = urllib.request.Request(http_server.url, initialize, headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused_request:
        urllib.request.urlopen(request, timeout=30).close()
    refused_request.value.close()
    assert refused_request.value.code in (400, 403, 421)


def _message(id_: int | None, method: str, params: dict[str, Any]) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if id_ is not None:
        body["id"] = id_
    return (json.dumps(body) + "\n").encode()


def test_a_client_gone_in_the_middle_of_a_commit_leaves_nothing_half_written(
    repo: Path,
) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    content = '{"title": "Gone", "steps": []}\n'
    with subprocess.Popen(
        [str(GITWORKTREE), "-C", str(repo), "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(),
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(_message(1, "initialize", HELLO))
        server.stdin.flush()
        server.stdout.readline()
        server.stdin.write(_message(None, "notifications/initialized", {}))
        write = {"name": "write_artifact", "arguments": {"path": "plan.json", "content": content}}
        server.stdin.write(_message(2, "tools/call", write))
        server.stdin.flush()
        assert b'"isError":false' in server.stdout.readline().replace(b" ", b"")
        commit = {"name": "commit", "arguments": {"message": "Gone"}}
        server.stdin.write(_message(3, "tools/call", commit))
        server.stdin.close()  # the client goes away without waiting for the reply
        server.stdout.close()
        server.wait(timeout=60)

    git(repo, "fsck", "--strict")
    assert git(repo, "status", "--porcelain") == ""
    landed = git(repo, "rev-parse", "HEAD").strip() != head
    # Whole or not at all: the commit and the file on disk agree.
    expected = content if landed else git(repo, "show", f"{head}:plan.json")
    assert (repo / "plan.json").read_text() == expected


@pytest.mark.parametrize(
    "address", ["0.0.0.0:8765", "192.168.1.10:8765", "example.com:8765", "[::]:8765"]
)
def test_the_http_transport_refuses_a_host_other_machines_can_reach(
    repo: Path, address: str
) -> None:
    result = CliRunner().invoke(
        cli, catch_exceptions=False, args=["-C", str(repo), "mcp", "--http", address]
    )
    assert result.exit_code == 1
    assert "loopback" in result.output


@pytest.mark.parametrize("address", ["8765", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"])
def test_the_http_address_must_be_host_and_port(repo: Path, address: str) -> None:
    result = CliRunner().invoke(
        cli, catch_exceptions=False, args=["-C", str(repo), "mcp", "--http", address]
    )
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output


@pytest.mark.parametrize(
    "option",
    [["--author", "Planner"], ["--author", "<p@x>"], ["--email", "a>b"], ["--email", "a\nb"]],
    ids=["author-no-email", "author-no-name", "email-bracket", "email-newline"],
)
def test_an_author_or_email_git_would_refuse_is_a_usage_error(
    repo: Path, option: list[str]
) -> None:
    result = CliRunner().invoke(cli, catch_exceptions=False, args=["-C", str(repo), "mcp", *option])
    assert result.exit_code == 2
    assert option[0] in result.output


# Runs the CLI with the SDK made unimportable, as in an install without the extra.
WITHOUT_SDK = """
import sys
import urllib.error
import urllib.request
sys.modules["mcp"] = None
sys.argv = ["gitworktree", *sys.argv[1:]]
from gitworktree.cli import main
main()
"""


@pytest.mark.parametrize(
    ("arguments", "code", "expected"),
    [
        (["--help"], 0, "Serve the repository to MCP clients"),
        (["mcp"], 1, "install it with: pip install 'gitworktree[mcp]'"),
        (["log", "-n", "1"], 0, "Start"),
    ],
    ids=["help", "mcp", "log"],
)
def test_the_cli_works_without_the_mcp_extra(
    repo: Path, arguments: list[str], code: int, expected: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_SDK, "-C", str(repo), *arguments],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, expected in done.stdout + done.stderr) == (code, True)
    assert "Traceback" not in done.stderr


def test_the_cli_loads_the_sdk_only_for_the_mcp_command() -> None:
    code = "import sys; import gitworktree.cli.app; print('mcp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_importing_the_library_without_the_extra_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['mcp'] = None; import gitworktree.mcp"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: gitworktree.mcp needs the official MCP")
    assert "pip install 'gitworktree[mcp]'" in last
