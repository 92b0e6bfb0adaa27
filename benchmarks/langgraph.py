"""Beside LangGraph: one commit against one ``SqliteSaver.put`` of the same state.

An agent built on LangGraph saves its state after every step with a checkpointer;
``SqliteSaver`` (``langgraph-checkpoint-sqlite``, the ``bench`` extra) writes the whole
state as one row of a SQLite file (in the write-ahead-log mode it sets, with SQLite's
default ``synchronous = FULL``: each put is a durable transaction, one fsync). Here the
state is the benchmark's N tasks as one channel, as LangGraph users hold it, with one
task changed per step: the saver serializes and writes all N, gitworktree writes the
one that changed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.data import BenchTree, Task, changed_task, split_sizes, task_key
from benchmarks.timing import Contender

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench

__all__ = ["beside_langgraph"]

PUT = "SqliteSaver.put (the whole state)"


def beside_langgraph(bench: Bench, n: int) -> None:
    """``tree.commit()`` of one changed task against ``SqliteSaver.put`` of all of them."""
    try:
        from langgraph.checkpoint.base import empty_checkpoint
        from langgraph.checkpoint.sqlite import SqliteSaver
    except ImportError:
        print("  langgraph: skipped (pip install -e '.[bench]' for langgraph-checkpoint-sqlite)")
        return

    from gitworktree import mount

    tree = mount(BenchTree, bench.copy(n, "langgraph-ours"))
    tasks = split_sizes(n)[0]
    state: dict[str, Any] = {
        task_key(index): Task(title=f"Task {index}").model_dump(mode="json")
        for index in range(tasks)
    }
    connection = sqlite3.connect(str(Path(bench.workdir) / f"langgraph-{n}.sqlite"))
    saver = SqliteSaver(connection)
    saver.setup()
    config: dict[str, Any] = {"configurable": {"thread_id": "bench", "checkpoint_ns": ""}}
    pending: dict[str, Any] = {}

    def key(step: int) -> str:
        return task_key((step * 7919) % tasks)

    def ours_prepare(step: int) -> None:
        tree.work.tasks[key(step)] = changed_task(step)

    def put_prepare(step: int) -> None:
        state[key(step)] = changed_task(step).model_dump(mode="json")
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"tasks": dict(state)}
        checkpoint["channel_versions"] = {"tasks": step + 1}
        pending["checkpoint"] = checkpoint
        pending["metadata"] = {"source": "loop", "step": step, "parents": {}}

    def put(step: int) -> None:
        nonlocal config
        config = saver.put(config, pending["checkpoint"], pending["metadata"], {"tasks": step + 1})

    bench.compare(
        "langgraph",
        f"N={n:,}",
        [
            Contender("tree.commit()", lambda step: tree.commit(), ours_prepare),
            Contender(PUT, put, put_prepare),
        ],
        targets={PUT: 1.0 if n >= 10_000 else 2.0},
        notes={PUT: "one changed task; the saver writes the whole state as one SQLite row"},
    )
    connection.close()
