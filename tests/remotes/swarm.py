"""K agent processes sharing one Git host, each through its own clone and `sync_with`.

Every agent writes only what is its own: its key of the shared ``board.json``
(``counts/<agent>``: the round it is at) and its own notes file (one line per round).
Each round it commits, then calls ``sync_with``. The run is bounded in rounds, not
time, and reports per agent: rounds landed, push attempts, time waited, pull and push
durations, and every error (by class, with its message).

Used by ``tests/remotes/test_many_agents.py`` (small K, few rounds) and by
``benchmarks/agents.py`` (larger runs, timed).
"""

from __future__ import annotations

import json
import multiprocessing
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from gitworktree import (
    ArtifactMap,
    GitWorktreeError,
    PydanticArtifact,
    Repository,
    Worktree,
    mount,
    push,
    sync_with,
)

__all__ = ["AgentReport", "Board", "SwarmTree", "host_state", "run_swarm", "seed_host"]


class Board(PydanticArtifact):
    """The shared artifact: one key per agent."""

    counts: dict[str, int] = Field(default_factory=dict)


class Note(PydanticArtifact):
    lines: list[str] = Field(default_factory=list)


class SwarmTree(Worktree):
    board: Board
    notes: ArtifactMap[Note]


@dataclass
class AgentReport:
    """What one agent saw."""

    name: str
    landed: int = 0
    attempts: list[int] = field(default_factory=list)
    waited: float = 0.0
    sync_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def seed_host(url: str, root: Path) -> None:
    """Give the host its first commit, so that every agent starts from one history."""
    seeder = mount(SwarmTree, root / "seeder", clone_from=url)
    push(seeder)
    seeder.repo.close()


def _agent(url: str, workdir: str, name: str, rounds: int, out: str, attempts: int) -> None:
    report = AgentReport(name)
    try:
        tree = mount(SwarmTree, workdir, clone_from=url, author=f"{name} <{name}@agents.local>")
        for round_ in range(1, rounds + 1):
            tree.board.counts[name] = round_
            if name not in tree.notes:
                tree.notes[name] = Note()
            tree.notes[name].lines.append(f"{name} round {round_}")
            tree.commit(f"{name}: round {round_}")
            started = time.perf_counter()
            try:
                result = sync_with(tree, attempts=attempts)
            except GitWorktreeError as error:
                report.errors.append(f"{type(error).__name__}: {error}")
                continue
            report.sync_s.append(time.perf_counter() - started)
            report.landed += 1
            report.attempts.append(result.attempts)
            report.waited += result.waited
        tree.repo.close()
    except BaseException as error:  # reported, not raised: the parent asserts on it
        detail = traceback.format_exc()
        report.errors.append(f"UNEXPECTED {type(error).__name__}: {error}\n{detail}")
    Path(out).write_text(json.dumps(report.__dict__))


def run_swarm(
    url: str, root: Path, agents: int, rounds: int, *, attempts: int = 16
) -> list[AgentReport]:
    """Run ``agents`` processes of ``rounds`` rounds each against ``url``; their reports."""
    context = multiprocessing.get_context("fork")  # no re-import per agent: cheap to start
    names = [f"a{index}" for index in range(agents)]
    outs = [root / f"{name}.json" for name in names]
    processes = [
        context.Process(
            target=_agent,
            args=(url, str(root / name), name, rounds, str(out), attempts),
            name=f"agent-{name}",
        )
        for name, out in zip(names, outs, strict=True)
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join(timeout=600)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    reports = []
    for name, out in zip(names, outs, strict=True):
        if out.exists():
            reports.append(AgentReport(**json.loads(out.read_text())))
        else:
            reports.append(AgentReport(name, errors=["UNEXPECTED: the agent process died"]))
    return reports


def host_state(host: Path, root: Path) -> dict[str, Any]:
    """The host's ``board.json`` counts and notes, read from a fresh clone."""
    with Repository.clone(str(host), root / "auditor") as auditor:
        board = json.loads(auditor.read_file("HEAD", "board.json"))
        notes = {}
        for item in auditor.list_tree("HEAD", "notes"):
            data = json.loads(auditor.read_file("HEAD", f"notes/{item.name}"))
            notes[item.name.removesuffix(".json")] = data["lines"]
    return {"counts": board["counts"], "notes": notes}
