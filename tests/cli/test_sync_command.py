"""``gitworktree sync``: pull, push and retry from the shell, against a bare hub here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitworktree.mounting.remote_sync import push as push_tree
from tests.cli.conftest import invoke
from tests.oracle import git
from tests.remotes.conftest import (  # `offline`: an autouse fixture, no proxy from the env
    Agents,
    make_hub,
    offline,  # noqa: F401
    start_agents,
)

TREE = "tests.remotes.models:AgentState"


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agents:
    """Clones ``planner`` and ``writer`` of a hub; the commands run in the writer's."""
    planner, writer = start_agents(str(make_hub(tmp_path / "hub.git")), tmp_path)
    monkeypatch.chdir(tmp_path / "writer")
    return planner, writer


def test_sync_merges_theirs_and_lands_ours(agents: Agents, tmp_path: Path) -> None:
    planner, writer = agents
    planner.plan.title = "Quarterly report"
    planner.commit()
    push_tree(planner)
    writer.plan.owner = "writer"
    ours = writer.commit()
    assert ours is not None

    result = invoke("sync", "--tree", TREE, "--json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    head = git(tmp_path / "writer", "rev-parse", "HEAD").strip()
    assert document["pushed"] == {"refs/heads/main": head} and document["head"] == head
    assert [commit["parents"][0] for commit in document["merged"]] == [ours.sha]
    assert (document["attempts"], document["validated"]) == (1, True)
    assert git(tmp_path / "hub.git", "rev-parse", "main").strip() == head
    plan = json.loads((tmp_path / "writer" / "plan.json").read_text())
    assert (plan["title"], plan["owner"]) == ("Quarterly report", "writer")


def test_sync_with_nothing_to_do_says_so(agents: Agents) -> None:
    result = invoke("sync")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("origin already has ")


def test_sync_stops_at_a_conflict_and_changes_nothing(agents: Agents, tmp_path: Path) -> None:
    planner, writer = agents
    planner.plan.title = "Planner's title"
    planner.commit()
    push_tree(planner)
    writer.plan.title = "Writer's title"
    writer.commit()
    before = git(tmp_path / "writer", "rev-parse", "HEAD")

    result = invoke("sync", "--json")

    assert result.exit_code == 1
    assert [c["pointer"] for c in json.loads(result.stdout)["conflicts"]] == ["/title"]
    assert git(tmp_path / "writer", "rev-parse", "HEAD") == before
    assert git(tmp_path / "hub.git", "rev-parse", "main") != before


def test_sync_text_calls_its_merge_a_merge(agents: Agents) -> None:
    """The push after the merge moves origin/main onto it: that is no fast-forward."""
    planner, writer = agents
    planner.plan.title = "Quarterly report"
    planner.commit()
    push_tree(planner)
    writer.plan.owner = "writer"
    writer.commit()

    result = invoke("sync", "--tree", TREE)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Merged: ")
    assert "Fast-forward" not in result.stdout
