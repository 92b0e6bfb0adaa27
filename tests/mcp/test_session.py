"""A whole agent session against the real server process, judged by git.

The agent lists, reads, writes invalid content and reads back the issues, fixes it,
commits, checkpoints, commits again, restores the checkpoint and reads the log -- over
stdio (the client spawns the server) and over streamable HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation

from tests.mcp.conftest import (
    PLAN,
    HttpServer,
    Notifications,
    call,
    git,
    refused,
    stdio_server,
)

BROKEN = '{\n  "title": "Ship it",\n  "steps": [\n}\n'
FIXED = '{\n  "title": "Ship it",\n  "steps": []\n}\n'
STEPS = '{\n  "title": "Ship it",\n  "steps": ["build", "test"]\n}\n'
AGENT = Implementation(name="planner-agent", version="0.3")


async def agent_session(session: ClientSession) -> dict[str, Any]:
    """The session an agent runs; returns what the test checks against git."""
    await session.initialize()
    listed = await call(session, "list_artifacts")
    assert [a["path"] for a in listed["artifacts"]] == ["notes.md", "plan.json"]
    assert (await call(session, "read_artifact", path="plan.json"))["content"] == PLAN

    wrote = await call(session, "write_artifact", path="plan.json", content=BROKEN)
    staged = await call(session, "read_artifact", path="plan.json")
    rejected = await refused(session, "commit", message="Retitle the plan")
    fixed = await call(session, "write_artifact", path="plan.json", content=FIXED)
    first = await call(session, "commit", message="Retitle the plan")

    checkpoint = await call(session, "checkpoint_create", name="before-steps")
    await call(session, "write_artifact", path="plan.json", content=STEPS)
    await call(session, "commit", message="Add steps")
    restored = await call(session, "restore", target="before-steps")
    log = await call(session, "log", n=10, path="plan.json")
    return {
        "wrote": wrote,
        "staged": staged,
        "rejected": rejected,
        "fixed": fixed,
        "first": first,
        "checkpoint": checkpoint,
        "restored": restored,
        "log": log,
    }


def check_session(repo: Path, seen: dict[str, Any], author: str) -> None:
    issue = seen["wrote"]["issues"][0]
    assert (seen["wrote"]["valid"], issue["artifact"], issue["line"]) == (False, "plan.json", 4)
    assert seen["staged"]["content"] == BROKEN and seen["staged"]["staged"]
    assert "plan.json:4" in seen["rejected"]
    assert "write the fixed content with write_artifact" in seen["rejected"]
    assert seen["fixed"]["valid"] and seen["fixed"]["issues"] == []
    assert seen["first"]["paths"] == ["plan.json"]
    assert seen["checkpoint"]["sha"] == seen["first"]["commit"]["sha"]
    assert seen["restored"]["target_sha"] == seen["first"]["commit"]["sha"]

    lines = git(
        repo,
        "log",
        "--format=%an <%ae>|%s|%(trailers:key=MCP-Client,valueonly,separator=)"
        "|%(trailers:key=MCP-Tool,valueonly,separator=)",
    ).splitlines()
    assert lines == [
        f"{author}|Restore before-steps|planner-agent/0.3|restore",
        f"{author}|Add steps|planner-agent/0.3|commit",
        f"{author}|Retitle the plan|planner-agent/0.3|commit",
        "Person <person@example.com>|Start||",
    ]
    logged = [(c["subject"], c["author"]) for c in seen["log"]["commits"]]
    assert logged == [(line.split("|")[1], line.split("|")[0]) for line in lines]
    assert (repo / "plan.json").read_text() == FIXED
    assert git(repo, "status", "--porcelain") == ""
    git(repo, "fsck", "--strict")
    assert git(repo, "rev-parse", "checkpoints/before-steps").strip() == seen["checkpoint"]["sha"]


def test_an_agent_session_over_stdio_is_recorded_in_git_as_the_client(repo: Path) -> None:
    notifications = Notifications()

    async def run() -> dict[str, Any]:
        async with (
            stdio_client(stdio_server(repo)) as (read, write),
            ClientSession(read, write, client_info=AGENT, message_handler=notifications) as s,
        ):
            return await agent_session(s)

    seen = anyio.run(run)
    check_session(repo, seen, "planner-agent <mcp-agent@localhost>")
    assert "gitworktree://artifact/plan.json" in notifications.updated


@pytest.mark.parametrize(
    "http_server",
    [{"options": ["--author", "Reviewer <reviewer@agents.local>"]}],
    indirect=True,
    ids=["author"],
)
def test_an_agent_session_over_http_is_recorded_in_git_as_the_given_author(
    repo: Path, http_server: HttpServer
) -> None:
    async def run() -> dict[str, Any]:
        async with (
            streamable_http_client(http_server.url) as (read, write),
            ClientSession(read, write, client_info=AGENT) as session,
        ):
            return await agent_session(session)

    seen = anyio.run(run)
    check_session(repo, seen, "Reviewer <reviewer@agents.local>")
    assert json.loads(git(repo, "show", "HEAD:plan.json")) == json.loads(FIXED)


HOSTILE_CALLS = [
    ("read_artifact", {"path": "../outside"}),
    ("read_artifact", {"path": "/etc/passwd"}),
    ("read_artifact", {"path": ".git/config"}),
    ("read_artifact", {"path": "plan.json", "rev": "no-such-revision"}),
    ("read_artifact", {"path": "gone.json"}),
    ("read_artifact", {"path": 5}),
    ("read_artifact", {}),
    ("write_artifact", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
    ("write_artifact", {"path": "plan.json", "content": {"not": "a string"}}),
    ("log", {"n": 10**30}),
    ("diff", {"a": "HEAD", "b": "no-such-revision"}),
    ("validate", {"paths": ["plan.jsn"]}),
    ("show_commit", {"rev": "x" * 100_000}),
]


def test_hostile_calls_over_stdio_are_tool_errors_and_the_server_stays_up(repo: Path) -> None:
    state = (git(repo, "status", "--porcelain"), git(repo, "for-each-ref"))

    async def run() -> tuple[list[bool], list[str]]:
        async with (
            stdio_client(stdio_server(repo)) as (read, write),
            ClientSession(read, write, client_info=AGENT) as session,
        ):
            await session.initialize()
            messages = [await refused(session, tool, **args) for tool, args in HOSTILE_CALLS]
            alive = await call(session, "read_artifact", path="plan.json")
            said = [
                message.startswith(f"Error executing tool {tool}: ") and len(message) < 1_000
                for (tool, _), message in zip(HOSTILE_CALLS, messages, strict=True)
            ]
            return said, [alive["content"]]

    said, alive = anyio.run(run)
    assert said == [True] * len(HOSTILE_CALLS)  # each says what and where, briefly
    assert alive == [PLAN]
    assert (git(repo, "status", "--porcelain"), git(repo, "for-each-ref")) == state
