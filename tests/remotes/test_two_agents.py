"""Two agents on two machines sharing one tree through a bare Git host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitworktree import (
    CommitRejectedError,
    ConflictError,
    ReadOnlyError,
    Repository,
    RepositoryError,
    mount,
    pull,
    push,
)
from gitworktree.mounting.remote_sync import clone_and_mount
from gitworktree.storage import InMemoryMountDriver
from tests.oracle import git, git_lines
from tests.remotes.conftest import Agents, start_agents
from tests.remotes.models import AgentState, Task, cap_spending


def state_of(tree: AgentState) -> tuple[str | None, str, str]:
    """What must not change when a pull is refused: branch, work tree, memory."""
    repo = tree.repo
    memory = json.dumps(
        [
            tree.plan.model_dump(),
            tree.budget.model_dump(),
            {k: tree.tasks[k].title for k in tree.tasks},
        ]
    )
    return repo.head, git(repo, "status", "--porcelain") + git(repo, "ls-files", "-s"), memory


def test_the_second_agent_starts_from_what_the_first_pushed(agents: Agents) -> None:
    planner, writer = agents
    assert writer.repo.head == planner.repo.head
    assert git_lines(writer.repo, "log", "--format=%s") == git_lines(
        planner.repo, "log", "--format=%s"
    )


def test_disjoint_edits_merge(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "Quarterly report"
    planner.tasks["outline"] = Task(title="outline")
    planner.commit("Plan the report", author="Planner <planner@agents.local>")
    push(planner)

    writer.plan.owner = "writer"
    writer.budget.writer = 3
    writer.tasks["draft"] = Task(title="draft")
    writer.commit("Take the report", author="Writer <writer@agents.local>")
    with pytest.raises(ConflictError, match=r"[Pp]ull"):
        push(writer)

    info = pull(writer)
    assert info is not None and len(info.parents) == 2
    assert (writer.plan.title, writer.plan.owner, writer.budget.writer) == (
        "Quarterly report",
        "writer",
        3,
    )
    assert sorted(writer.tasks) == ["draft", "outline"]
    push(writer)

    pull(planner)
    assert planner.plan.owner == "writer" and sorted(planner.tasks) == ["draft", "outline"]
    assert planner.repo.head == writer.repo.head
    assert git(planner.repo, "status", "--porcelain") == ""


def test_same_field_edits_conflict_and_nothing_is_lost(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "Planner's title"
    planner.commit()
    push(planner)
    writer.plan.title = "Writer's title"
    writer.plan.steps = ["draft"]
    writer.commit()
    before = state_of(writer)

    with pytest.raises(ConflictError) as caught:
        pull(writer)
    (conflict,) = caught.value.conflicts
    assert (conflict.path, conflict.pointer) == ("plan.json", "/title")
    assert (conflict.base, conflict.ours, conflict.theirs) == (
        "untitled",
        "Writer's title",
        "Planner's title",
    )
    assert state_of(writer) == before
    assert writer.plan.title == "Writer's title"
    assert writer.repo.resolve("origin/main") == planner.repo.head  # theirs is fetched, kept

    pull(writer, prefer="theirs")
    assert (writer.plan.title, writer.plan.steps) == ("Planner's title", ["draft"])


def test_a_merge_whose_result_fails_validation_is_refused(agents: Agents) -> None:
    planner, writer = agents
    planner.budget.planner = 6
    planner.commit()
    push(planner)
    writer.budget.writer = 6  # each side is valid; together they break the limit
    writer.commit()
    before = state_of(writer)

    with pytest.raises(CommitRejectedError) as caught:
        pull(writer)
    assert list(caught.value.failures) == ["budget.json"]
    assert "over the limit" in str(caught.value)
    assert state_of(writer) == before


def test_a_merge_the_repair_hook_fixes_lands_repaired(hub: Path, tmp_path: Path) -> None:
    planner, writer = start_agents(str(hub), tmp_path, repair=cap_spending)
    planner.budget.planner = 6
    planner.commit()
    push(planner)
    writer.budget.writer = 6
    writer.commit()

    info = pull(writer)
    assert info is not None and info.trailers == {"Gitworktree-Repaired": "budget.json"}
    assert (writer.budget.planner, writer.budget.writer) == (6, 4)
    assert json.loads((writer.repo.path / "budget.json").read_text())["writer"] == 4


def test_pull_refuses_uncommitted_changes_in_memory(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "new"
    planner.commit()
    push(planner)
    writer.plan.owner = "not committed yet"
    with pytest.raises(ConflictError, match=r"uncommitted changes: plan\.json"):
        pull(writer)
    assert writer.plan.owner == "not committed yet"
    writer.commit()
    pull(writer)
    assert (writer.plan.title, writer.plan.owner) == ("new", "not committed yet")


def test_reading_an_artifact_is_not_a_change(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "new"
    planner.commit()
    push(planner)
    assert writer.plan.title == "untitled"  # handed out, unchanged
    assert pull(writer) is not None
    assert writer.plan.title == "new"


def test_clone_and_mount_reuses_an_existing_working_copy(hub: Path, tmp_path: Path) -> None:
    planner, _writer = start_agents(str(hub), tmp_path)
    planner.plan.title = "local only"
    planner.commit()
    again = clone_and_mount(AgentState, tmp_path / "planner", str(hub))
    assert again.plan.title == "local only"


def test_giving_up_our_side_with_restore_then_pulling(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "theirs"
    planner.commit()
    push(planner)
    writer.plan.title = "ours"
    writer.commit()
    writer.repo.fetch()
    writer.restore("origin/main")
    pull(writer)
    assert writer.plan.title == "theirs"
    push(writer)


def test_one_branch_per_agent_and_an_integrator(hub: Path, tmp_path: Path) -> None:
    integrator, _ = start_agents(str(hub), tmp_path)
    for agent in ("planner", "writer"):
        with Repository.init(tmp_path / agent / "data", branch=agent) as repo:
            repo.add_remote("origin", str(hub))
            repo.pull("origin", branch="main")
    planner = mount(AgentState, tmp_path / "planner" / "data")
    writer = mount(AgentState, tmp_path / "writer" / "data")
    planner.plan.title = "planned"
    planner.commit()
    push(planner)
    writer.plan.owner = "writer"
    writer.commit()
    push(writer)
    assert sorted(writer.repo.fetch().heads) == ["main", "planner", "writer"]
    peek = mount(AgentState, tmp_path / "writer" / "data", rev="origin/planner")
    assert peek.plan.title == "planned"

    pull(integrator, branch="planner")
    pull(integrator, branch="writer")
    push(integrator)
    assert (integrator.plan.title, integrator.plan.owner) == ("planned", "writer")
    assert pull(planner, branch="main") is not None and planner.plan.owner == "writer"


def test_checkpoints_named_after_their_agent_travel(agents: Agents) -> None:
    planner, writer = agents
    planner.checkpoint("planner/before-refactor")
    push(planner, checkpoints=True)
    writer.repo.fetch()
    assert [c.label for c in writer.repo.remote_checkpoints()] == [
        "origin/checkpoints/planner/before-refactor"
    ]


def test_an_invalid_artifact_someone_pushed_is_refused_at_pull(agents: Agents) -> None:
    planner, writer = agents
    # Someone without the gate (a person, another tool) pushes an invalid task and a file
    # the tree does not declare.
    planner.repo.commit_changes(
        {"tasks/bad.json": b'{"done": true}\n', "README.md": b"# shared state\n"},
        message="By hand",
    )
    push(planner)
    before = state_of(writer)
    with pytest.raises(CommitRejectedError) as caught:
        pull(writer)
    assert list(caught.value.failures) == ["tasks/bad.json"]
    assert state_of(writer) == before

    planner.repo.commit_changes({"tasks/bad.json": None}, message="Fix it")
    push(planner)
    assert pull(writer) is not None
    assert (writer.repo.path / "README.md").read_text() == "# shared state\n"


@pytest.mark.parametrize("kind", ["memory", "read-only"])
def test_pull_needs_a_writable_git_mount(kind: str, agents: Agents, tmp_path: Path) -> None:
    planner, _writer = agents
    if kind == "memory":
        tree = mount(AgentState, InMemoryMountDriver().mount("data"))
        expected: type[Exception] = RepositoryError
    else:
        tree = mount(AgentState, planner.repo.path, rev="HEAD")
        expected = ReadOnlyError
    with pytest.raises(expected, match="pull"):
        pull(tree)


def test_mount_clone_from_starts_from_the_host(agents: Agents, hub: Path, tmp_path: Path) -> None:
    planner, _ = agents
    planner.tasks["shared"] = Task(title="from the planner")
    planner.commit("share a task")
    push(planner)
    third = mount(AgentState, tmp_path / "third", clone_from=str(hub))
    assert third.tasks["shared"].title == "from the planner"
    assert third.repo.remotes() == {"origin": str(hub)}
    with pytest.raises(TypeError, match="clone_from"):
        mount(AgentState, InMemoryMountDriver().mount(), clone_from=str(hub))


def test_a_merge_is_by_the_author_the_tree_was_mounted_with(hub: Path, tmp_path: Path) -> None:
    planner, writer = start_agents(str(hub), tmp_path, author="Writer <writer@agents.local>")
    planner.plan.title = "Quarterly report"
    planner.commit("Plan the report", author="Planner <planner@agents.local>")
    push(planner)
    writer.plan.owner = "writer"
    writer.commit("Take the report")

    info = pull(writer)
    assert info is not None and len(info.parents) == 2
    assert info.author == "Writer <writer@agents.local>"
    assert git_lines(writer.repo, "log", "--format=%an", "-n", "2") == ["Writer", "Writer"]
