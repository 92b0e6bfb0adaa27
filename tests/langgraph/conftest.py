"""Fixtures of the LangGraph tests: a small real graph, and a repository next to it."""

from __future__ import annotations

import operator
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph

from tests.oracle import git


class Research(TypedDict):
    """The graph's state: a question, notes appended by each step, and an answer."""

    question: str
    notes: Annotated[list[str], operator.add]
    answer: str


@dataclass
class Calls:
    """How many times each node ran, and whether ``review`` should fail."""

    counts: dict[str, int] = field(default_factory=dict)
    review_fails: bool = False

    def ran(self, node: str) -> None:
        self.counts[node] = self.counts.get(node, 0) + 1


def build_graph(
    saver: BaseCheckpointSaver[Any], calls: Calls, *, interrupt_before: list[str] | None = None
) -> Any:
    """plan -> (search, draft in parallel) -> review: four nodes, one parallel step."""

    def plan(state: Research) -> dict[str, Any]:
        calls.ran("plan")
        return {"notes": [f"plan: look up {state['question']}"]}

    def search(state: Research) -> dict[str, Any]:
        calls.ran("search")
        return {"notes": ["search: found 3 sources"]}

    def draft(state: Research) -> dict[str, Any]:
        calls.ran("draft")
        return {"notes": ["draft: written"]}

    def review(state: Research) -> dict[str, Any]:
        calls.ran("review")
        if calls.review_fails:
            raise RuntimeError("reviewer crashed")
        return {"answer": f"{len(state['notes'])} notes reviewed"}

    builder = StateGraph(Research)
    for name, node in (("plan", plan), ("search", search), ("draft", draft), ("review", review)):
        builder.add_node(name, node)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "search")
    builder.add_edge("plan", "draft")
    builder.add_edge(["search", "draft"], "review")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=saver, interrupt_before=interrupt_before)


def thread(thread_id: str) -> dict[str, Any]:
    """The config of one thread."""
    return {"configurable": {"thread_id": thread_id}}


def fsck(root: Path) -> None:
    """``git fsck --strict`` finds nothing wrong (no dangling objects either)."""
    result = subprocess.run(
        ["git", "-C", str(root), "fsck", "--strict", "--no-progress", "--no-dangling"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with a commit on main and a person's uncommitted edit in its work tree."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("project\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "first")
    (root / "README.md").write_text("project, edited by a person\n")
    return root


GraphFactory = Callable[..., Any]
