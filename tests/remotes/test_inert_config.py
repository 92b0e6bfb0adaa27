"""A repository's own config runs nothing, and a host cannot plant config by a clone.

Every program git could be told to run from ``.git/config`` or ``.git/hooks`` (hooks in
both places, ``core.hooksPath``, ``core.fsmonitor``, ``core.sshCommand``, ``core.pager``,
``core.editor``, clean/smudge/process filters, textconv, merge drivers) is a script that
leaves a marker file. Commits, status, log, diff, checkpoints, restores, fetch, push,
pull and clone run through the library and the CLI; no marker may appear.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gitworktree import Repository, UnsupportedAttributeError, mount
from gitworktree.mounting.remote_sync import clone_and_mount, pull, push
from tests.cli.conftest import invoke
from tests.oracle import git, git_lines
from tests.remotes.models import AgentState, Plan

HOOKS = [
    "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout",
    "post-merge", "pre-push", "reference-transaction", "post-rewrite", "pre-auto-gc",
    "pre-receive", "update", "post-receive", "post-update", "push-to-checkout",
]  # fmt: skip
CONFIG_PROGRAMS = {
    "core.fsmonitor": "fsmonitor", "core.sshCommand": "ssh", "core.pager": "pager",
    "core.editor": "editor", "core.askPass": "askpass", "sequence.editor": "sequence-editor",
    "filter.x.clean": "clean", "filter.x.smudge": "smudge", "filter.x.process": "process",
    "diff.x.textconv": "textconv", "merge.x.driver": "merge-driver",
    "credential.helper": "credential",
}  # fmt: skip


def script(path: Path, markers: Path, tag: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch '{markers / tag}'\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def arm(git_dir: Path, markers: Path, label: str) -> None:
    """Make every program git could run from ``git_dir`` leave a marker named after it."""
    for hook in HOOKS:
        script(git_dir / "hooks" / hook, markers, f"{label}-hook-{hook}")
        script(git_dir / "other-hooks" / hook, markers, f"{label}-hooks-path-{hook}")
    config = git_dir / "config"
    git(
        config.parent,
        "config",
        "--file",
        str(config),
        "core.hooksPath",
        str(git_dir / "other-hooks"),
    )
    for key, tag in CONFIG_PROGRAMS.items():
        program = script(git_dir / "programs" / tag, markers, f"{label}-{tag}")
        git(config.parent, "config", "--file", str(config), key, str(program))


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path


@pytest.fixture
def armed(hub: Path, tmp_path: Path, markers: Path) -> tuple[AgentState, AgentState]:
    """Two agents sharing the hub; the hub and both clones are armed, attributes too."""
    planner = clone_and_mount(AgentState, tmp_path / "planner", str(hub))
    push(planner)
    writer = clone_and_mount(AgentState, tmp_path / "writer", str(hub))
    arm(hub, markers, "hub")
    for agent in (planner, writer):
        arm(agent.repo.control_dir, markers, agent.repo.path.name)
        # (a filter= attribute on a committed file is refused: test_line_endings.py)
        (agent.repo.path / ".gitattributes").write_text("* diff=x merge=x\n")
    return planner, writer


def test_library_operations_run_nothing_from_config(
    armed: tuple[AgentState, AgentState], markers: Path
) -> None:
    planner, writer = armed
    planner.plan = Plan(title="planned")
    planner.commit("Plan")
    planner.checkpoint("planned")
    push(planner, checkpoints=True)
    writer.plan.owner = "writer"
    writer.commit("Own it")
    pull(writer)  # a merge commit: their title, our owner
    assert writer.plan.title == "planned"
    push(writer)
    writer.restore("HEAD~1")
    writer.repo.status()
    writer.repo.diff("HEAD~2", "HEAD")
    writer.repo.log()
    planner.repo.fetch()
    assert sorted(path.name for path in markers.iterdir()) == []


def test_cli_commands_run_nothing_from_config(
    armed: tuple[AgentState, AgentState], markers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planner, writer = armed
    planner.plan = Plan(title="planned")
    planner.commit("Plan")
    push(planner)
    writer.repo.close()
    root = writer.repo.path
    (root / "plan.json").write_text('{"title": "by hand", "owner": "w", "steps": []}\n')
    tree = "tests.remotes.models:AgentState"
    commands = [
        ("status",), ("diff",), ("commit", "-m", "By hand", "--tree", tree), ("log",),
        ("show", "HEAD", "-p"), ("checkpoint", "create", "mine"), ("fetch",),
        ("pull", "--prefer", "theirs", "--tree", tree), ("push", "--checkpoints"),
        ("restore", "mine"), ("diff", "HEAD~1", "HEAD", "--stat"), ("checkpoint", "list"),
    ]  # fmt: skip
    for command in commands:
        result = invoke("-C", root, *command)
        assert result.exit_code == 0, (command, result.output)
    assert sorted(path.name for path in markers.iterdir()) == []


def test_a_clone_config_holds_only_what_gitworktree_writes(
    hub: Path, tmp_path: Path, markers: Path
) -> None:
    with Repository.clone(str(hub), tmp_path / "seed") as seed:
        seed.commit_changes({"plan.json": b"{}\n"}, message="Seed")
        seed.push()
    arm(hub, markers, "hub")  # the host's own config and hooks: nothing of it may travel
    with Repository.clone(str(hub), tmp_path / "clone") as clone:
        keys = {line.split("=", 1)[0] for line in git_lines(clone, "config", "--local", "--list")}
        clone.fetch()
    assert keys <= {
        "core.repositoryformatversion", "core.filemode", "core.bare", "core.logallrefupdates",
        "core.symlinks", "core.ignorecase",
        "remote.origin.url", "remote.origin.fetch", "branch.main.remote", "branch.main.merge",
    }  # fmt: skip
    assert not (tmp_path / "clone" / ".git" / "hooks").exists() or not any(
        path.is_file() for path in (tmp_path / "clone" / ".git" / "hooks").iterdir()
    )
    assert sorted(path.name for path in markers.iterdir()) == []


def test_a_mount_reads_an_armed_repository_without_running_anything(
    tmp_path: Path, markers: Path
) -> None:
    root = tmp_path / "data"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    arm(root / ".git", markers, "local")
    (root / ".gitattributes").write_text("* diff=x\n")
    tree = mount(AgentState, root)
    tree.plan = Plan(title="x")
    info = tree.commit("Plan")
    assert info is not None and git(root, "show", "HEAD:plan.json").startswith("{")
    assert [change.path for change in tree.repo.status()] == [".gitattributes"]
    (root / ".gitattributes").write_text("* filter=x diff=x\n")
    tree.plan = Plan(title="y")
    with pytest.raises(UnsupportedAttributeError):  # the clean filter is never run
        tree.commit("Plan again")
    assert sorted(path.name for path in markers.iterdir()) == []


def test_the_armed_programs_do_run_under_git_itself(tmp_path: Path, markers: Path) -> None:
    """The oracle: the same arming makes real git leave markers, so the tests above can fail."""
    root = tmp_path / "data"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    arm(root / ".git", markers, "local")
    git(root, "commit", "-q", "--allow-empty", "-m", "x")
    git(root, "status", "--porcelain")
    found = {path.name for path in markers.iterdir()}
    assert {"local-hooks-path-pre-commit", "local-fsmonitor"} <= found


def test_the_users_ssh_command_runs_only_for_an_ssh_remote(
    hub: Path, tmp_path: Path, markers: Path
) -> None:
    with Repository.clone(str(hub), tmp_path / "seed") as seed:
        seed.commit_changes({"plan.json": b"{}\n"}, message="Seed")
        seed.push()
    # The user's own ssh command: leaves a marker, then serves the hub as ssh would.
    ssh = tmp_path / "my-ssh"
    ssh.write_text(f"#!/bin/sh\ntouch '{markers / 'ssh'}'\nexec git upload-pack '{hub}'\n")
    ssh.chmod(0o755)
    with Repository.clone(str(hub), tmp_path / "clone") as clone:
        git(clone.path, "config", "core.sshCommand", str(ssh))
        clone.fetch()  # a local path: no ssh
        assert sorted(path.name for path in markers.iterdir()) == []
        clone.add_remote("far", "ssh://git@far.invalid/state.git")
        assert clone.fetch("far").heads == {"main": clone.head}
    assert sorted(path.name for path in markers.iterdir()) == ["ssh"]
