"""GitSaver against LangGraph's SqliteSaver: a step's put, get_tuple and list.

The state has N channels of small values; each step changes one of them, as a node
updating one key of a large state does. LangGraph passes the whole state to ``put``
with ``new_versions`` naming the changed channel; SqliteSaver serializes the whole
checkpoint into one row, GitSaver writes the changed channel's blob and the trees and
commit above it. A *step* is what LangGraph does per super-step: ``put_writes`` of the
node's write, then ``put`` of the next checkpoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.scenarios import Bench, _case
from benchmarks.timing import Contender

__all__ = ["langgraph_savers"]

#: The issue's target: a GitSaver step within 2x of SqliteSaver's at N = 10,000.
STEP_TARGET = 2.0
#: Steps per timed sample: one step is a few milliseconds, two fsyncs of which a busy
#: disk can stall either saver for as long; ten average the stalls out.
BATCH = 10


def _value(i: int, step: int) -> dict[str, Any]:
    return {"id": i, "title": f"task {i}", "done": step % 2 == 0, "step": step}


@dataclass
class _Thread:
    """One saver's thread: the latest checkpoint stored, and the next one to store."""

    saver: Any
    n: int
    thread_id: str
    config: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    pending: tuple[tuple[str, Any, Any, dict[str, int]], ...] = ()

    def start(self) -> None:
        """Store the first checkpoint: all N channels."""
        from langgraph.checkpoint.base import empty_checkpoint

        self.values = {f"key{i}": _value(i, 0) for i in range(self.n)}
        self.versions = dict.fromkeys(self.values, 1)
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = dict(self.values)
        checkpoint["channel_versions"] = dict(self.versions)
        config = {"configurable": {"thread_id": self.thread_id, "checkpoint_ns": ""}}
        metadata: Any = {"source": "input", "step": -1}
        self.config = self.saver.put(config, checkpoint, metadata, dict(self.versions))

    def prepare(self, step: int) -> None:
        """Untimed: the next `BATCH` checkpoints, each with one channel changed."""
        from langgraph.checkpoint.base import empty_checkpoint

        self.pending = ()
        for number in range(step * BATCH, (step + 1) * BATCH):
            key = f"key{(number * 7919) % self.n}"
            self.values[key] = _value(number, number + 1)
            self.versions[key] += 1
            checkpoint = empty_checkpoint()
            checkpoint["channel_values"] = dict(self.values)
            checkpoint["channel_versions"] = dict(self.versions)
            checkpoint["versions_seen"] = {"node": {key: self.versions[key] - 1}}
            metadata: Any = {"source": "loop", "step": number}
            self.pending += ((key, checkpoint, metadata, {key: self.versions[key]}),)

    def put(self, step: int) -> None:
        """Timed: the ``put`` of each prepared checkpoint."""
        for _key, checkpoint, metadata, new_versions in self.pending:
            self.config = self.saver.put(self.config, checkpoint, metadata, new_versions)

    def step(self, step: int) -> None:
        """Timed: for each prepared checkpoint, the node's ``put_writes``, then the ``put``."""
        for key, checkpoint, metadata, new_versions in self.pending:
            value = checkpoint["channel_values"][key]
            self.saver.put_writes(self.config, [(key, value)], task_id=f"task-{step}")
            self.config = self.saver.put(self.config, checkpoint, metadata, new_versions)


def _savers(bench: Bench, n: int, label: str) -> tuple[Any, Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from gitworktree.langgraph import GitSaver

    git = GitSaver(bench.workdir / f"{label}-git-{n}")
    # A file, not ":memory:": both savers write to disk. SqliteSaver's own defaults (WAL).
    connection = sqlite3.connect(bench.workdir / f"{label}-{n}.sqlite", check_same_thread=False)
    return git, SqliteSaver(connection)


def _pair(bench: Bench, n: int, label: str) -> tuple[_Thread, _Thread]:
    git, sqlite = _savers(bench, n, label)
    ours, theirs = _Thread(git, n, label), _Thread(sqlite, n, label)
    ours.start()
    theirs.start()
    return ours, theirs


def langgraph_savers(bench: Bench, n: int) -> None:
    """put, a whole step, get_tuple and list: GitSaver against SqliteSaver at N channels."""
    for label, timed, target in (
        ("put", lambda t: t.put, None),
        ("step", lambda t: t.step, STEP_TARGET if n >= 10_000 else None),
    ):
        ours, theirs = _pair(bench, n, label)
        bench.compare(
            "gitsaver",
            _case(n) + f" {label}",
            [
                Contender(f"GitSaver.{label}", timed(ours), prepare=ours.prepare),
                Contender(f"SqliteSaver.{label}", timed(theirs), prepare=theirs.prepare),
            ],
            targets=None if target is None else {f"SqliteSaver.{label}": target},
            per_call=BATCH,
        )
    ours, theirs = _pair(bench, n, "read")
    for thread in (ours, theirs):  # a thread of 11 checkpoints to read from
        thread.prepare(0)
        thread.step(0)
    config = {"configurable": {"thread_id": "read", "checkpoint_ns": ""}}
    reads: list[tuple[str, Callable[[Any], Callable[[int], object]]]] = [
        ("get_tuple", lambda saver: lambda step: saver.get_tuple(config)),
        ("list(limit=10)", lambda saver: lambda step: list(saver.list(config, limit=10))),
    ]
    for label, read in reads:
        bench.compare(
            "gitsaver",
            _case(n) + f" {label}",
            [
                Contender(f"GitSaver.{label}", read(ours.saver)),
                Contender(f"SqliteSaver.{label}", read(theirs.saver)),
            ],
        )
    _first_read(bench, n, config)


def _first_read(bench: Bench, n: int, config: dict[str, Any]) -> None:
    """``get_tuple`` from a saver opened for it, as a new process or a restarted server
    reads a thread first: nothing of the thread is held in memory yet (the operating
    system's file cache is warm for both)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from gitworktree.langgraph import GitSaver

    def git_read(step: int) -> None:
        with GitSaver(bench.workdir / f"read-git-{n}") as saver:
            saver.get_tuple(config)

    def sqlite_read(step: int) -> None:
        connection = sqlite3.connect(bench.workdir / f"read-{n}.sqlite")
        try:
            SqliteSaver(connection).get_tuple(config)
        finally:
            connection.close()

    label = "get_tuple, new saver"
    bench.compare(
        "gitsaver",
        _case(n) + f" {label}",
        [Contender(f"GitSaver.{label}", git_read), Contender(f"SqliteSaver.{label}", sqlite_read)],
    )
