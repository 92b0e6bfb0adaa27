"""GitSaver side by side with LangGraph's own InMemorySaver: what a graph sees is the same.

One graph exercises what a checkpointer must carry: parallel branches writing to a
reducer channel, a subgraph that interrupts (so a non-empty ``checkpoint_ns``), a
human-in-the-loop ``interrupt()`` resumed with ``Command(resume=...)``, a conditional
edge, then time travel (``update_state`` on an earlier checkpoint, a replay with
``invoke(None, old_config)``) and ``delete_thread``, sync and async. The oracle is the
same script run on ``InMemorySaver``: every answer must match, ids aside.
"""

from __future__ import annotations

import asyncio
import operator
import re
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, StateSnapshot, interrupt

from gitworktree.langgraph import GitSaver
from tests.langgraph.conftest import fsck


class Review(TypedDict):
    question: str
    notes: Annotated[list[str], operator.add]
    approved: bool
    answer: str


class Inner(TypedDict):
    notes: Annotated[list[str], operator.add]


def review_graph(saver: BaseCheckpointSaver[Any]) -> Any:
    """plan -> (search, draft) -> check [subgraph, interrupts] -> approve [interrupts] -> ?"""

    def ask(state: Inner) -> dict[str, Any]:
        return {"notes": [f"check: {interrupt('which source?')}"]}

    inner = StateGraph(Inner)
    inner.add_node("read", lambda state: {"notes": ["check: read"]})
    inner.add_node("ask", ask)
    inner.add_edge(START, "read")
    inner.add_edge("read", "ask")
    inner.add_edge("ask", END)

    def approve(state: Review) -> dict[str, Any]:
        return {"approved": bool(interrupt({"approve": state["notes"]}))}

    outer = StateGraph(Review)
    outer.add_node("plan", lambda state: {"notes": [f"plan: {state['question']}"]})
    outer.add_node("search", lambda state: {"notes": ["search"]})
    outer.add_node("draft", lambda state: {"notes": ["draft"]})
    outer.add_node("check", inner.compile())
    outer.add_node("approve", approve)
    outer.add_node("publish", lambda state: {"answer": f"{len(state['notes'])} notes"})
    outer.add_node("discard", lambda state: {"answer": "discarded"})
    outer.add_edge(START, "plan")
    outer.add_edge("plan", "search")
    outer.add_edge("plan", "draft")
    outer.add_edge(["search", "draft"], "check")
    outer.add_edge("check", "approve")
    outer.add_conditional_edges(
        "approve", lambda state: "publish" if state["approved"] else "discard"
    )
    outer.add_edge("publish", END)
    outer.add_edge("discard", END)
    return outer.compile(checkpointer=saver)


def seen(snapshot: StateSnapshot, ids: dict[str, int]) -> dict[str, Any]:
    """What a caller sees of a snapshot, with checkpoint ids replaced by their order."""

    def order(config: Any) -> int | None:
        if config is None:
            return None
        return ids.setdefault(config["configurable"]["checkpoint_id"], len(ids))

    return {
        "values": snapshot.values,
        "next": snapshot.next,
        "step": snapshot.metadata and snapshot.metadata.get("step"),
        "source": snapshot.metadata and snapshot.metadata.get("source"),
        "checkpoint": order(snapshot.config),
        "parent": order(snapshot.parent_config),
        "tasks": [(task.name, task.path, task.result) for task in snapshot.tasks],
        "interrupts": [i.value for i in snapshot.interrupts],
    }


def without_ids(value: Any) -> str:
    """``value``'s repr with interrupt ids (made from checkpoint ids) left out."""
    return re.sub(r"id='[0-9a-f]+'", "id=?", repr(value))


def session(saver: BaseCheckpointSaver[Any], thread_id: str) -> list[str]:
    """Everything the graph answers over one thread's life, in order."""
    graph = review_graph(saver)
    config = {"configurable": {"thread_id": thread_id}}
    answers: list[Any] = [
        graph.invoke({"question": "tides", "notes": [], "approved": False, "answer": ""}, config),
        graph.invoke(Command(resume="tide tables"), config),
        graph.invoke(Command(resume=True), config),
    ]
    ids: dict[str, int] = {}
    history = list(graph.get_state_history(config))
    answers.append([seen(snapshot, ids) for snapshot in history])
    fork = graph.update_state(history[3].config, {"notes": ["human: moon"]}, as_node="plan")
    answers.append(seen(graph.get_state(fork), ids))
    answers.append(graph.invoke(None, fork))  # runs on from the fork, to the subgraph
    answers.append(graph.invoke(None, history[5].config))  # a replay from further back
    answers.append([seen(snapshot, ids) for snapshot in graph.get_state_history(config)])
    answers.append(len(list(graph.get_state_history(config, filter={"source": "update"}))))
    saver.delete_thread(thread_id)
    answers.append((graph.get_state(config).values, list(graph.get_state_history(config))))
    return [without_ids(answer) for answer in answers]


async def asession(saver: BaseCheckpointSaver[Any], thread_id: str) -> list[str]:
    """The first half of `session` through the async API."""
    graph = review_graph(saver)
    config = {"configurable": {"thread_id": thread_id}}
    answers: list[Any] = [
        await graph.ainvoke(
            {"question": "q", "notes": [], "approved": False, "answer": ""}, config
        ),
        await graph.ainvoke(Command(resume="x"), config),
        await graph.ainvoke(Command(resume=False), config),
        [seen(snapshot, {}) async for snapshot in graph.aget_state_history(config)],
    ]
    await saver.adelete_thread(thread_id)
    answers.append([snapshot async for snapshot in graph.aget_state_history(config)])
    return [without_ids(answer) for answer in answers]


THREADS = {"plain": "support-42", "slashes-and-dots": "a/../b c", "non-ascii": "é😀/x"}


@pytest.mark.parametrize("thread_id", list(THREADS.values()), ids=list(THREADS))
def test_a_graph_sees_on_gitsaver_what_it_sees_on_langgraphs_own_saver(
    tmp_path: Path, thread_id: str
) -> None:
    assert session(GitSaver(tmp_path), thread_id) == session(InMemorySaver(), thread_id)
    fsck(tmp_path)


def test_the_async_api_answers_as_langgraphs_own_saver(tmp_path: Path) -> None:
    ours = asyncio.run(asession(GitSaver(tmp_path), "t"))
    assert ours == asyncio.run(asession(InMemorySaver(), "t"))
