"""docs/remotes.md's one-branch-per-agent example runs as written on a `git init --bare` host."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gitworktree import push
from tests.oracle import git, git_lines
from tests.remotes.conftest import clone_and_mount
from tests.remotes.models import AgentState

DOCS = Path(__file__).resolve().parents[2] / "docs" / "remotes.md"


def per_agent_example() -> str:
    text = DOCS.read_text()
    after = text[text.index("**One branch per agent**") :]
    start = after.index("```python\n") + len("```python\n")
    return after[start : after.index("```\n", start)]


def bare_host(path: Path, default_branch: str) -> Path:
    """A host as a person makes one: `git init --bare`, with git's default branch name."""
    subprocess.run(
        ["git", "-c", f"init.defaultBranch={default_branch}", "init", "-q", "--bare", str(path)],
        check=True,
    )
    return path


@pytest.mark.parametrize("default_branch", ["master", "main"])
def test_the_per_agent_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_branch: str
) -> None:
    host = bare_host(tmp_path / "state.git", default_branch)
    first = clone_and_mount(AgentState, tmp_path / "first", str(host))  # the shared branch
    push(first)
    first.repo.close()
    monkeypatch.chdir(tmp_path)
    exec(per_agent_example(), {"URL": str(host), "AgentState": AgentState})
    planner = git(host, "rev-parse", "refs/heads/planner").strip()
    assert git_lines(host, "for-each-ref", "--format=%(refname)", "refs/heads") == [
        f"refs/heads/{default_branch}",
        "refs/heads/planner",
    ]
    assert git(host, "rev-parse", f"refs/heads/{default_branch}").strip() == planner
    shared = git(host, "show", f"{default_branch}:plan.json")
    assert json.loads(shared)["title"] == "Quarterly report"
    assert git(host, "fsck", "--strict") == ""
