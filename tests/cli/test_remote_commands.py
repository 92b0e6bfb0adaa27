"""clone, remote, fetch, pull and push from the shell, against bare hubs on this machine."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import gitworktree.cli.remotes
from gitworktree import MergeConflict
from gitworktree.cli.output import conflict_json, conflict_line
from gitworktree.cli.remotes import redact_url
from gitworktree.history._remote.remotes import redact_url as library_redact_url
from gitworktree.mounting.remote_sync import push as push_tree
from tests.cli.conftest import SCRIPT, invoke
from tests.oracle import git, git_lines
from tests.remotes.conftest import (  # `offline`: an autouse fixture, no proxy from the env
    Agents,
    make_hub,
    offline,  # noqa: F401
    serve_smart_http,
    start_agents,
)
from tests.remotes.models import AgentState

TREE = "tests.remotes.models:AgentState"
PROJECT = Path(__file__).resolve().parents[2]  # where `tests.remotes.models` imports from
INITIALIZE = "Initialize plan.json, budget.json, notes.txt"


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    """An empty bare repository: the Git host."""
    return make_hub(tmp_path / "hub.git")


@pytest.fixture
def agents(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agents:
    """Clones ``planner`` and ``writer`` of the hub, at its first commit; the commands run
    in the writer's work tree."""
    planner, writer = start_agents(str(hub), tmp_path)
    monkeypatch.chdir(tmp_path / "writer")
    return planner, writer


def rev(path: Path, name: str = "HEAD") -> str:
    return git(path, "rev-parse", name).strip()


def publish(tree: AgentState, title: str) -> str:
    """The planner sets the plan's title, commits and pushes; returns the commit id."""
    tree.plan.title = title
    info = tree.commit(f"Title {title}")
    assert info is not None
    push_tree(tree)
    return info.sha


def snapshot(path: Path) -> tuple[str, str, str]:
    """HEAD, the work tree's status and the index, as git sees them."""
    return rev(path), git(path, "status", "--porcelain"), git(path, "ls-files", "-s")


# --- clone ------------------------------------------------------------------------------


def test_clone_checks_out_the_hubs_branch_tracking_origin(
    agents: Agents, hub: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    result = invoke("clone", hub, copy)
    assert result.exit_code == 0, result.stderr
    tip = rev(hub, "main")
    assert result.stdout == f"Cloned {hub} into {copy}: branch main at {tip[:7]} {INITIALIZE}\n"
    assert result.stderr == ""  # no progress off a terminal
    assert rev(copy) == tip
    assert git(copy, "status", "--porcelain") == ""
    assert git(copy, "config", "branch.main.remote").strip() == "origin"
    assert git_lines(copy, "remote", "-v")[0] == f"origin\t{hub} (fetch)"


def test_clone_json_names_the_directory_after_the_url(
    agents: Agents, hub: Path, tmp_path: Path
) -> None:
    result = invoke("-C", tmp_path, "clone", "hub.git", "--json")  # relative to -C
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "path": str((tmp_path / "hub").resolve()),
        "remote": "origin",
        "url": str(hub),
        "head": rev(hub, "main"),
        "branch": "main",
    }


def test_clone_of_an_empty_hub_is_an_empty_repository(hub: Path, tmp_path: Path) -> None:
    result = invoke("clone", hub, tmp_path / "copy", "--origin", "share")
    assert result.exit_code == 0
    assert "an empty repository (branch main)" in result.stdout
    assert git_lines(tmp_path / "copy", "remote") == ["share"]
    assert git(tmp_path / "copy", "rev-list", "--all") == ""


def test_clone_into_a_non_empty_directory_is_refused(hub: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep\n")
    result = invoke("clone", hub, tmp_path / "taken")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'taken'} already exists and is not an empty directory; clone "
        "into a new or empty directory\n"
    )
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["mine.txt"]


def test_clone_of_nothing_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    result = invoke("clone", tmp_path / "nowhere.git", tmp_path / "copy")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "copy").exists()


def test_clone_without_a_name_to_take_from_the_url_is_a_usage_error() -> None:
    result = invoke("clone", "/")
    assert result.exit_code == 2
    assert "cannot tell a directory name from '/'; give PATH" in result.stderr


def test_a_clone_of_an_empty_hub_pulls_everything_once_someone_pushed(
    hub: Path, tmp_path: Path
) -> None:
    early = tmp_path / "early"
    invoke("clone", hub, early)
    assert (
        invoke("-C", early, "fetch").stdout
        == f"Fetched from origin ({hub}): it has no branches yet.\n"
    )
    start_agents(str(hub), tmp_path)
    result = invoke("-C", early, "pull")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Fast-forward to {rev(hub, 'main')[:7]} {INITIALIZE}\n"
        "  files: budget.json, notes.txt, plan.json\n"
    )
    assert git(early, "status", "--porcelain") == ""


# --- remote add / list / remove ---------------------------------------------------------


def test_remote_add_list_remove_agree_with_git(
    hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke("init", tmp_path / "state")
    monkeypatch.chdir(tmp_path / "state")
    secret = "https://agent:s3cret@git.example.com/team/state.git"
    assert invoke("remote", "add", "origin", "../hub.git").exit_code == 0
    added = invoke("remote", "add", "backup", secret)
    assert added.stdout == "Added remote backup: https://agent:***@git.example.com/team/state.git\n"
    listed = invoke("remote", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"name": "backup", "url": "https://agent:***@git.example.com/team/state.git"},
        {"name": "origin", "url": str(hub)},  # a relative path is stored absolute
    ]
    assert git_lines(tmp_path / "state", "remote", "-v") == [
        f"backup\t{secret} (fetch)",
        f"backup\t{secret} (push)",
        f"origin\t{hub} (fetch)",
        f"origin\t{hub} (push)",
    ]
    assert invoke("remote", "list").stdout == (
        f"backup  https://agent:***@git.example.com/team/state.git\norigin  {hub}\n"
    )
    removed = invoke("remote", "remove", "backup")
    assert removed.stdout == (
        "Removed remote backup (was https://agent:***@git.example.com/team/state.git).\n"
    )
    assert git_lines(tmp_path / "state", "remote") == ["origin"]
    assert invoke("remote", "remove", "origin").exit_code == 0
    assert invoke("remote", "list").stdout == (
        "No remotes. Add one with `gitworktree remote add NAME URL`.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "origin", "/elsewhere.git"), "remote 'origin' already exists"),
        (("add", "a/b", "/elsewhere.git"), "use a name like 'origin'"),
        (("remove", "nowhere"), "list them with `gitworktree remote list`"),
    ],
    ids=["add-taken-name", "add-invalid-name", "remove-unknown"],
)
def test_remote_changes_that_cannot_be_made_are_refused(
    hub: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    invoke("clone", hub, tmp_path / "copy")
    config = (tmp_path / "copy" / ".git" / "config").read_text()
    result = invoke("-C", tmp_path / "copy", "remote", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert (tmp_path / "copy" / ".git" / "config").read_text() == config


@pytest.mark.parametrize(
    "url",
    [
        "https://agent:s3cret@git.example.com/state.git",
        "https://agent@git.example.com/state.git",
        "http://a:b@127.0.0.1:8080/",
        "/srv/state.git",
        "git@github.com:team/state.git",
    ],
    ids=["password", "user-only", "port", "path", "scp-like"],
)
def test_urls_are_redacted_as_the_library_redacts_them(url: str) -> None:
    assert redact_url(url) == library_redact_url(url)


# --- fetch ------------------------------------------------------------------------------


def test_fetch_downloads_their_branch_and_moves_nothing_of_ours(
    agents: Agents, hub: Path, tmp_path: Path
) -> None:
    planner, _writer = agents
    writer = tmp_path / "writer"
    before = snapshot(writer)
    sha = publish(planner, "Quarterly report")
    result = invoke("fetch", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "remote": "origin",
        "url": str(hub),
        "heads": {"main": sha},
        "updated": {"refs/remotes/origin/main": sha},
        "kept": [],
    }
    assert rev(writer, "origin/main") == sha
    assert snapshot(writer) == before
    assert invoke("fetch").stdout == f"Fetched from origin ({hub}): nothing new.\n"


def test_fetch_names_what_moved(agents: Agents, hub: Path) -> None:
    planner, _writer = agents
    sha = publish(planner, "Quarterly report")
    planner.checkpoint("planner/titled")
    push_tree(planner, checkpoints=True)
    assert invoke("fetch").stdout == (
        f"Fetched from origin ({hub}):\n"
        f"  origin/checkpoints/planner/titled -> {sha[:7]}\n"
        f"  origin/main -> {sha[:7]}\n"
    )


def test_fetch_by_path_keeps_no_remote_tracking_branch(agents: Agents, hub: Path) -> None:
    planner, _writer = agents
    tracked = rev(Path.cwd(), "origin/main")
    sha = publish(planner, "Quarterly report")
    result = invoke("fetch", "../hub.git")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Fetched from {hub}: main at {sha[:7]}. Fetched by URL ")
    assert rev(Path.cwd(), "origin/main") == tracked


# --- pull -------------------------------------------------------------------------------


def test_pull_fast_forwards_when_only_they_moved(agents: Agents, tmp_path: Path) -> None:
    planner, _writer = agents
    writer = tmp_path / "writer"
    before = rev(writer)
    sha = publish(planner, "Quarterly report")
    result = invoke("pull")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Fast-forward {before[:7]}..{sha[:7]} Title Quarterly report\n  files: plan.json\n"
    )
    assert rev(writer) == sha
    assert git(writer, "status", "--porcelain") == ""
    assert json.loads((writer / "plan.json").read_text())["title"] == "Quarterly report"


def test_pull_json_reports_the_fast_forward(agents: Agents, tmp_path: Path) -> None:
    planner, _writer = agents
    before = rev(tmp_path / "writer")
    sha = publish(planner, "Quarterly report")
    document = json.loads(invoke("pull", "--tree", TREE, "--json").stdout)
    assert document["result"] == "fast-forward"
    assert document["before"] == before
    assert document["commit"]["sha"] == sha
    assert document["changes"] == [{"path": "plan.json", "status": "modified"}]
    assert (document["validated"], document["initialized"]) == (True, None)


def merged_on_the_hub(planner: Path) -> str:
    """The planner merges a side branch with git (`merge --no-ff`) and pushes: the hub's
    tip is a merge commit whose first parent is the tip everyone had. Returns its id."""
    me = ("-c", "user.name=Planner", "-c", "user.email=planner@agents.local")
    git(planner, "checkout", "-q", "-b", "side")
    (planner / "notes.txt").write_text("from the side branch\n")
    git(planner, *me, "commit", "-q", "-am", "Side note")
    git(planner, "checkout", "-q", "main")
    git(planner, *me, "merge", "-q", "--no-ff", "-m", "Merge side into main", "side")
    git(planner, "push", "-q", "origin", "main")
    return rev(planner)


@pytest.mark.parametrize("command", ["pull", "sync"])
def test_a_fast_forward_onto_a_merge_commit_is_reported_as_a_fast_forward(
    agents: Agents, tmp_path: Path, command: str
) -> None:
    writer = tmp_path / "writer"
    before = rev(writer)
    merge = merged_on_the_hub(tmp_path / "planner")
    result = invoke(command)
    assert result.exit_code == 0, result.stderr
    assert rev(writer) == merge
    assert git_lines(writer, "reflog", "-1", "--format=%gs")[0].endswith("Fast-forward")
    if command == "pull":
        assert result.stdout.startswith(f"Fast-forward {before[:7]}..{merge[:7]} Merge side")
    else:
        assert result.stdout.startswith(f"Fast-forward to: {merge[:7]} Merge side")
    assert "Merged" not in result.stdout


def test_pull_json_of_a_fast_forward_onto_a_merge_commit_says_fast_forward(
    agents: Agents, tmp_path: Path
) -> None:
    merge = merged_on_the_hub(tmp_path / "planner")
    document = json.loads(invoke("pull", "--json").stdout)
    assert (document["result"], document["commit"]["sha"]) == ("fast-forward", merge)


def test_pull_of_a_branch_the_host_lacks_names_the_cli_option(
    agents: Agents, hub: Path, tmp_path: Path
) -> None:
    before = snapshot(tmp_path / "writer")
    result = invoke("pull", "--branch", "nosuch")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {hub} has no branch 'nosuch' (branches: main); name one with --branch B\n"
    )
    assert snapshot(tmp_path / "writer") == before


def test_pull_with_nothing_new_is_up_to_date(agents: Agents, tmp_path: Path) -> None:
    result = invoke("pull", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert (document["result"], document["changes"], document["validated"]) == (
        "up-to-date",
        [],
        False,
    )
    assert document["commit"]["sha"] == rev(tmp_path / "writer")
    assert invoke("pull").stdout == "Already up to date with origin: nothing to bring in.\n"


def test_pull_with_tree_merges_disjoint_edits_through_the_gate(
    agents: Agents, tmp_path: Path
) -> None:
    planner, writer_tree = agents
    writer = tmp_path / "writer"
    theirs = publish(planner, "Quarterly report")
    writer_tree.plan.owner = "writer"
    ours = writer_tree.commit("Own the plan")
    assert ours is not None
    result = invoke("pull", "--tree", TREE, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["result"] == "merge"
    assert document["commit"]["parents"] == [ours.sha, theirs]
    assert document["commit"]["subject"] == "Merge origin/main into main"
    assert document["changes"] == [{"path": "plan.json", "status": "modified"}]
    plan = json.loads((writer / "plan.json").read_text())
    assert (plan["title"], plan["owner"]) == ("Quarterly report", "writer")
    assert git(writer, "status", "--porcelain") == ""
    assert git(writer, "fsck") == ""
    assert git_lines(writer, "log", "--merges", "--format=%P") == [f"{ours.sha} {theirs}"]


def conflicting_titles(agents: Agents) -> tuple[str, str]:
    """Both agents retitle the plan; the planner pushes first. Returns (ours, theirs)."""
    planner, writer_tree = agents
    theirs = publish(planner, "Planner's title")
    writer_tree.plan.title = "Writer's title"
    ours = writer_tree.commit("Retitle")
    assert ours is not None
    return ours.sha, theirs


def test_pull_conflict_lists_each_conflict_and_changes_nothing(
    agents: Agents, tmp_path: Path
) -> None:
    writer = tmp_path / "writer"
    conflicting_titles(agents)
    before = snapshot(writer)
    result = invoke("pull", "--tree", TREE, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "conflicts": [
            {
                "path": "plan.json",
                "pointer": "/title",
                "base": "untitled",
                "ours": "Writer's title",
                "theirs": "Planner's title",
                "reason": "changed on both sides",
            }
        ]
    }
    assert result.stderr.startswith(
        "Error: pull from origin stopped, nothing was changed: 1 conflict(s) "
    )
    assert "--prefer ours or --prefer theirs" in result.stderr
    assert snapshot(writer) == before
    human = invoke("pull")
    assert human.exit_code == 1
    assert human.stdout == (
        'plan.json /title: base="untitled" ours="Writer\'s title" theirs="Planner\'s title" '
        "(changed on both sides)\n"
    )
    assert snapshot(writer) == before


def test_pull_prefer_theirs_keeps_their_side_of_each_conflict(
    agents: Agents, tmp_path: Path
) -> None:
    ours, theirs = conflicting_titles(agents)
    result = invoke("pull", "--tree", TREE, "--prefer", "theirs")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Merged: ")
    assert json.loads((tmp_path / "writer" / "plan.json").read_text())["title"] == (
        "Planner's title"
    )
    assert git_lines(tmp_path / "writer", "log", "-1", "--format=%P") == [f"{ours} {theirs}"]


def test_pull_with_tree_refuses_to_overwrite_uncommitted_edits(
    agents: Agents, tmp_path: Path
) -> None:
    planner, _writer = agents
    writer = tmp_path / "writer"
    publish(planner, "Quarterly report")
    (writer / "plan.json").write_text('{"title": "a hand edit"}\n')
    before = snapshot(writer)
    result = invoke("pull", "--tree", TREE)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: uncommitted changes in plan.json ")
    assert "`gitworktree commit -m MSG --tree MODULE:CLASS`" in result.stderr
    assert "`gitworktree restore --discard`" in result.stderr
    assert snapshot(writer) == before


def test_pull_with_tree_keeps_an_uncommitted_edit_it_does_not_touch(
    agents: Agents, tmp_path: Path
) -> None:
    planner, _writer = agents
    writer = tmp_path / "writer"
    publish(planner, "Quarterly report")
    (writer / "notes.txt").write_text("a hand edit\n")
    result = invoke("pull", "--tree", TREE)
    assert result.exit_code == 0, result.stderr
    assert (writer / "notes.txt").read_text() == "a hand edit\n"
    assert git(writer, "status", "--porcelain") == " M notes.txt\n"


def overspend(agents: Agents) -> None:
    """Each agent spends 6 of a budget of 10: valid on each side, invalid once merged."""
    planner, writer_tree = agents
    planner.budget.planner = 6
    planner.commit("Planner spends")
    push_tree(planner)
    writer_tree.budget.writer = 6
    writer_tree.commit("Writer spends")


def test_pull_refuses_a_merge_the_gate_finds_invalid(agents: Agents, tmp_path: Path) -> None:
    writer = tmp_path / "writer"
    overspend(agents)
    before = snapshot(writer)
    result = invoke("pull", "--tree", TREE)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: pull refused, nothing was changed: the merged content of 1 artifact(s) is "
        "invalid (budget.json); pull with --repair MODULE:FUNC"
    )
    assert "over the limit 10" in result.stderr
    assert snapshot(writer) == before


def test_pull_repair_lands_the_repaired_merge(agents: Agents, tmp_path: Path) -> None:
    overspend(agents)
    repair = "tests.remotes.models:cap_spending"
    result = invoke("pull", "--tree", TREE, "--repair", repair)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Merged: ")
    assert result.stdout.endswith("  files: budget.json\n  repaired: budget.json\n")
    trailer = git(tmp_path / "writer", "log", "-1", "--format=%(trailers:key=Gitworktree-Repaired)")
    assert trailer.strip() == "Gitworktree-Repaired: budget.json"
    budget = json.loads((tmp_path / "writer" / "budget.json").read_text())
    assert (budget["planner"], budget["writer"]) == (6, 4)


def test_pull_repair_without_tree_is_a_usage_error(agents: Agents) -> None:
    result = invoke("pull", "--repair", "tests.remotes.models:cap_spending")
    assert result.exit_code == 2
    assert "--repair needs --tree" in result.stderr


@pytest.mark.parametrize(
    ("conflict", "line"),
    [
        (
            MergeConflict("plan.json", "/steps", ["a"], None, ["a", "b"], "removed on ours"),
            'plan.json /steps: base=["a"] ours=null theirs=["a", "b"] (removed on ours)',
        ),
        (
            MergeConflict("plan.json", "", {"a": 1}, 2, 3),
            'plan.json (whole document): base={"a": 1} ours=2 theirs=3 (changed on both sides)',
        ),
        (
            MergeConflict("notes.txt", None, None, "ours\n", "theirs\n", "added on both sides"),
            'notes.txt: base=(absent) ours="ours\\n" theirs="theirs\\n" (added on both sides)',
        ),
        (
            MergeConflict("blob.bin", None, b"\xff\x00", b"\xfe", "x" * 80),
            f'blob.bin: base=<2 bytes> ours=<1 bytes> theirs="{"x" * 56}... '
            "(changed on both sides)",
        ),
    ],
    ids=["pointer", "whole-document", "text-file", "bytes-and-long"],
)
def test_each_conflict_is_one_compact_line(conflict: MergeConflict, line: str) -> None:
    assert conflict_line(conflict) == line


def test_conflict_json_decodes_bytes_with_replacement() -> None:
    conflict = MergeConflict("blob.bin", None, b"ok\xff", None, "text")
    assert conflict_json(conflict) == {
        "path": "blob.bin",
        "pointer": None,
        "base": "ok\ufffd",
        "ours": None,
        "theirs": "text",
        "reason": "changed on both sides",
    }


# --- push -------------------------------------------------------------------------------


def test_push_publishes_committed_history(agents: Agents, hub: Path) -> None:
    _planner, writer_tree = agents
    writer_tree.plan.owner = "writer"
    info = writer_tree.commit("Own the plan")
    assert info is not None
    result = invoke("push", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "remote": "origin",
        "url": str(hub),
        "updated": {"refs/heads/main": info.sha},
    }
    assert rev(hub, "main") == info.sha
    assert invoke("push").stdout == f"Everything up to date on origin ({hub}); nothing was sent.\n"


def test_a_push_that_is_not_a_fast_forward_is_refused(agents: Agents, hub: Path) -> None:
    planner, writer_tree = agents
    theirs = publish(planner, "Quarterly report")
    writer_tree.plan.owner = "writer"
    writer_tree.commit("Own the plan")
    result = invoke("push")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: push to origin rejected, nothing was pushed: main ")
    assert "run `gitworktree pull --tree MODULE:CLASS`" in result.stderr
    assert rev(hub, "main") == theirs


def test_push_checkpoints_sends_them_to_the_hub(agents: Agents, hub: Path, tmp_path: Path) -> None:
    assert invoke("checkpoint", "create", "writer/before-edit").exit_code == 0
    result = invoke("push", "--checkpoints")
    assert result.exit_code == 0, result.stderr
    head = rev(tmp_path / "writer")
    pushed = f"Pushed to origin ({hub}):\n  checkpoint writer/before-edit -> {head[:7]}\n"
    assert result.stdout == pushed
    assert git_lines(tmp_path, "ls-remote", str(hub), "refs/checkpoints/*") == [
        f"{head}\trefs/checkpoints/writer/before-edit"
    ]


def same_checkpoint_elsewhere(agents: Agents) -> str:
    """``shared`` on the hub at the first commit, and here at a newer commit of the
    writer's. Returns the hub's commit."""
    planner, writer_tree = agents
    planner.checkpoint("shared")
    push_tree(planner, checkpoints=True)
    writer_tree.plan.owner = "writer"
    writer_tree.commit("Own the plan")
    writer_tree.checkpoint("shared")
    return planner.repo.checkpoint("shared").sha


def test_a_checkpoint_of_the_same_name_on_the_hub_is_not_overwritten_by_push(
    agents: Agents, hub: Path
) -> None:
    theirs = same_checkpoint_elsewhere(agents)
    main = rev(hub, "main")
    result = invoke("push", "--checkpoints")
    assert result.exit_code == 1
    assert "checkpoints shared exist there at other commits" in result.stderr
    assert (rev(hub, "checkpoints/shared"), rev(hub, "main")) == (theirs, main)  # nothing sent


def test_fetch_keeps_a_local_checkpoint_the_hub_has_elsewhere(
    agents: Agents, tmp_path: Path
) -> None:
    same_checkpoint_elsewhere(agents)
    ours = rev(tmp_path / "writer", "checkpoints/shared")
    assert json.loads(invoke("fetch", "--json").stdout)["kept"] == ["shared"]
    result = invoke("fetch")
    assert result.stderr == (
        "note: origin has checkpoints named like local ones, at other commits: shared; "
        "yours are unchanged, theirs are origin/checkpoints/NAME\n"
    )
    assert rev(tmp_path / "writer", "checkpoints/shared") == ours


def test_push_of_a_branch_without_commits_is_refused(hub: Path, tmp_path: Path) -> None:
    invoke("clone", hub, tmp_path / "copy")
    result = invoke("-C", tmp_path / "copy", "push")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: nothing to push: main has no commit yet; commit first")


@pytest.mark.parametrize("command", ["fetch", "pull", "push"])
def test_an_unknown_remote_is_refused_with_a_hint(agents: Agents, command: str) -> None:
    result = invoke(command, "nowhere")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no remote named 'nowhere' (configured: origin) and no repository at that "
        "path; add one with `gitworktree remote add NAME URL`, or give a URL or a path\n"
    )


def test_a_path_is_a_remote_too(agents: Agents, tmp_path: Path) -> None:
    planner, _writer = agents
    sha = publish(planner, "Quarterly report")
    result = invoke("pull", "../hub.git")
    assert result.exit_code == 0, result.stderr
    assert rev(tmp_path / "writer") == sha


# --- progress and the installed command -------------------------------------------------


def test_progress_goes_to_stderr_only_on_a_terminal(
    agents: Agents, hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_smart_http(hub) as url:
        quiet = invoke("clone", url, tmp_path / "quiet")
        monkeypatch.setattr(gitworktree.cli.remotes, "_stderr_is_terminal", lambda: True)
        shown = invoke("clone", url, tmp_path / "shown")
    assert quiet.exit_code == shown.exit_code == 0
    assert quiet.stderr == ""
    assert "counting objects" in shown.stderr
    assert shown.stderr.endswith("\n")  # a counter line ended before the output
    assert shown.stdout == quiet.stdout.replace("quiet", "shown")


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        timeout=60,
        check=False,
    )


def test_clone_and_pull_as_a_user_would(agents: Agents, hub: Path, tmp_path: Path) -> None:
    planner, _writer = agents
    cloned = run("clone", "hub.git", "mine", cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    assert cloned.stderr == ""
    assert cloned.stdout.startswith(f"Cloned {hub} into {(tmp_path / 'mine').resolve()}: ")
    sha = publish(planner, "Quarterly report")
    pulled = run("pull", "--tree", TREE, "--json", cwd=tmp_path / "mine")
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["commit"]["sha"] == sha
    assert git(tmp_path / "mine", "status", "--porcelain") == ""
