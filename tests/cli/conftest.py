"""Fixtures of the CLI tests: a repository built by the library, and a CLI runner."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gitworktree import mount
from gitworktree.cli.app import cli
from tests.cli.trees import AgentTree, Task, stringify_lines

PLANNER = "Planner <planner@agents.local>"
TREE = "tests.cli.trees:AgentTree"
SCRIPT = Path(sys.executable).parent / "gitworktree"


@dataclass(frozen=True)
class History:
    """A repository with a known history, newest commit last."""

    root: Path
    initialized: str  # the first mount's commit
    planned: str  # tasks added, by PLANNER, trailer Agent-Run: 7
    repaired: str  # notes repaired by the gate
    edited: str  # settings and a task changed (HEAD)
    checkpoint: str  # "planned", at `planned`


def invoke(*args: str | Path, input: str | None = None) -> Result:
    """Run the CLI in this process, as the shell would (errors are not caught by click's
    runner: the CLI must turn them into messages itself)."""
    runner = CliRunner()
    return runner.invoke(cli, [str(arg) for arg in args], input=input, catch_exceptions=False)


@pytest.fixture(autouse=True)
def restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--tree` puts the current directory on sys.path, as `python -m` does; undo it."""
    monkeypatch.setattr(sys, "path", list(sys.path))


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """A repository made by the library; the current directory is its root."""
    root = tmp_path / "repo"
    tree = mount(AgentTree, root, repair=stringify_lines)
    initialized = tree.repo.head
    tree.tasks["t1"] = Task(title="Write the report")
    tree.tasks["t2"] = Task(title="Review it")
    planned = tree.commit("Plan the report", author=PLANNER, trailers={"Agent-Run": "7"})
    tree.checkpoint("planned")
    tree.notes.data = {"lines": ["revenue up", 4]}  # repaired to "4" by the gate
    repaired = tree.commit("Take notes")
    tree.settings.temperature = 0.9
    tree.tasks["t1"].done = True
    edited = tree.commit("Close t1, warm up")
    tree.repo.close()
    assert initialized and planned and repaired and edited
    monkeypatch.chdir(root)
    return History(root, initialized, planned.sha, repaired.sha, edited.sha, planned.sha)
