"""Through a real transport: ``git://`` and smart HTTP servers on 127.0.0.1, and ssh.

The servers are dulwich's own (started and stopped by the fixtures); what we push there
must be what the real ``git`` accepts: ``git clone`` of it passes ``git fsck``.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from gitworktree import ConflictError, Repository, pull, push
from gitworktree.mounting.remote_sync import clone_and_mount
from tests.oracle import git, git_lines
from tests.remotes.conftest import start_agents
from tests.remotes.models import AgentState, Task


def test_clone_push_fetch_pull_through_a_server(served_hub: str, tmp_path: Path) -> None:
    planner, writer = start_agents(served_hub, tmp_path)
    planner.plan.title = "over the wire"
    planner.commit()
    push(planner)
    writer.tasks["t1"] = Task(title="one")
    writer.commit()

    fetched = writer.repo.fetch()
    assert fetched.heads == {"main": planner.repo.head}
    info = pull(writer)
    assert info is not None and len(info.parents) == 2
    assert writer.plan.title == "over the wire" and "t1" in writer.tasks
    push(writer)
    pull(planner)
    assert planner.repo.head == writer.repo.head and "t1" in planner.tasks


def test_git_clones_what_we_pushed_and_fsck_accepts_it(served_hub: str, tmp_path: Path) -> None:
    planner, writer = start_agents(served_hub, tmp_path)
    planner.plan.steps = ["outline", "draft"]
    planner.commit()
    push(planner)
    writer.budget.writer = 2
    writer.commit()
    pull(writer)
    push(writer)

    subprocess.run(
        ["git", "clone", "-q", served_hub, str(tmp_path / "auditor")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    auditor = tmp_path / "auditor"
    assert git(auditor, "fsck", "--strict") == ""
    assert git(auditor, "rev-parse", "HEAD").strip() == writer.repo.head
    assert git_lines(auditor, "log", "--merges", "--format=%s") == ["Merge origin/main into main"]


def test_checkpoints_travel_through_a_server(served_hub: str, tmp_path: Path) -> None:
    planner, writer = start_agents(served_hub, tmp_path)
    planner.checkpoint("reviewed")
    result = push(planner, checkpoints=True)
    assert list(result.updated) == ["refs/checkpoints/reviewed"]
    fetched = writer.repo.fetch()
    assert fetched.updated == {"refs/remotes/origin/checkpoints/reviewed": planner.repo.head}
    assert [c.label for c in writer.repo.remote_checkpoints()] == ["origin/checkpoints/reviewed"]


def test_a_non_fast_forward_push_through_a_server_is_refused(
    served_hub: str, tmp_path: Path
) -> None:
    planner, writer = start_agents(served_hub, tmp_path)
    planner.plan.title = "first"
    planner.commit()
    push(planner)
    writer.plan.owner = "second"
    writer.commit()
    with pytest.raises(ConflictError, match=r"not a fast-forward.*[Pp]ull first"):
        push(writer)
    assert writer.repo.fetch().heads == {"main": planner.repo.head}


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``ssh`` that runs the remote command here: the real git serves the other end."""
    script = tmp_path / "fake-ssh"
    script.write_text('#!/bin/sh\nfor command; do :; done\nexec sh -c "$command"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(script))


@pytest.mark.usefixtures("fake_ssh")
def test_an_ssh_url_goes_through_the_ssh_command(hub: Path, tmp_path: Path) -> None:
    url = f"ssh://agent@build-host{hub}"
    tree = clone_and_mount(AgentState, tmp_path / "a", url)
    assert tree.repo.remotes() == {"origin": url}
    push(tree)
    assert git(hub, "rev-parse", "main").strip() == tree.repo.head
    with Repository.clone(f"agent@build-host:{hub}", tmp_path / "b") as other:
        assert other.head == tree.repo.head
        assert os.path.exists(other.path / "plan.json")
