"""The MCP server's commit beside a person editing the same files on disk.

The server checks that a staged file has no uncommitted edits, runs the gate, then
commits; a person's edit made in between (the gate can take a while on big documents)
must be refused, never overwritten. The edit is made from inside the gate, the moment a
thread race would hit only now and then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import gitworktree.mcp._workspace as workspace_module
from gitworktree import ConflictError
from gitworktree.history import Repository
from gitworktree.mcp import Catalog, Workspace
from tests.oracle import git, git_lines

EDITS = {  # the file the agent stages, and what the person writes there meanwhile
    "a tracked file edited": ("plan.json", '{"title": "Person"}\n'),
    "an untracked file created": ("todo.md", "# The person's list\n"),
}


@pytest.mark.parametrize(("path", "persons"), EDITS.values(), ids=EDITS.keys())
def test_an_edit_made_while_the_server_gates_a_commit_is_refused_not_overwritten(
    repo: Path, monkeypatch: pytest.MonkeyPatch, path: str, persons: str
) -> None:
    real_gate = workspace_module.run_gate

    def gate_while_a_person_edits(*args: Any, **kwargs: Any) -> Any:
        (repo / path).write_text(persons)
        return real_gate(*args, **kwargs)

    monkeypatch.setattr(workspace_module, "run_gate", gate_while_a_person_edits)
    head = git(repo, "rev-parse", "HEAD")
    with Repository.open(repo) as repository:
        workspace = Workspace(repository, Catalog(None), read_only=False)
        workspace.write("agent", path, '{"title": "Agent"}\n' if path.endswith("json") else "x\n")

        with pytest.raises(ConflictError) as raised:
            workspace.commit("agent", "Agent's change", None, {})

    assert raised.value.paths == (path,)
    assert (repo / path).read_text() == persons
    assert git(repo, "rev-parse", "HEAD") == head
    assert git_lines(repo, "status", "--porcelain") in ([f" M {path}"], [f"?? {path}"])
