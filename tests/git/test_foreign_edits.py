"""A person's uncommitted edits are never committed under the agent's name.

The person edits files with an editor and plain git; the agent's tree loads them (they
are *foreign*), leaves them out of its commits, and refuses to commit one it changed
until it adopts or discards it. `git log`, `git show` and `git status` are the oracle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import ForeignEditsError, mount
from tests.cli.conftest import invoke
from tests.git.foreign_trees import AGENT, PERSON, Board, Task, disk_state
from tests.oracle import git, git_lines

PERSONS_NOTES = '{"lines": ["call the bank"]}'  # not as the tree renders it, on purpose


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A board committed by the agent, with one task."""
    root = tmp_path / "board"
    tree = mount(Board, root, author=AGENT)
    tree.tasks["t1"] = Task(title="Write the report")
    tree.commit("Plan")
    return root


def loaded_after_the_edit(root: Path, how: str) -> Board:
    """The agent's tree, loaded after the person's edit by a new mount or by sync()."""
    if how == "mount":
        (root / "notes.json").write_text(PERSONS_NOTES)
        return mount(Board, root, author=AGENT)
    tree = mount(Board, root, author=AGENT)
    (root / "notes.json").write_text(PERSONS_NOTES)
    tree.sync()
    return tree


@pytest.mark.parametrize("how", ["mount", "sync"], ids=["new-mount", "sync"])
def test_a_commit_of_one_task_leaves_a_persons_edit_on_disk(root: Path, how: str) -> None:
    tree = loaded_after_the_edit(root, how)
    assert tree.notes.lines == ["call the bank"]  # read (a commit renders it), not changed
    tree.tasks["t1"].done = True
    info = tree.commit("Close t1")
    assert info is not None
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["tasks/t1.json"]
    assert git(root, "log", "-1", "--format=%an") == "Planner\n"
    assert git(root, "status", "--porcelain") == " M notes.json\n"
    assert (root / "notes.json").read_text() == PERSONS_NOTES
    assert tree.foreign_edits() == ["notes.json"]


def change(tree: Board) -> None:
    tree.tasks["t1"].done = True


def replace(tree: Board) -> None:
    tree.tasks["t1"] = Task(title="Rewritten by the agent")


def delete(tree: Board) -> None:
    del tree.tasks["t1"]


@pytest.mark.parametrize("action", [change, replace, delete], ids=["change", "replace", "delete"])
def test_acting_on_an_artifact_a_person_edited_is_refused_and_writes_nothing(
    root: Path, action: object
) -> None:
    (root / "tasks" / "t1.json").write_text('{"title": "Write the report by Friday"}')
    tree = mount(Board, root, author=AGENT)
    action(tree)  # type: ignore[operator]
    tree.notes.lines.append("agent's line")
    before = disk_state(root)
    with pytest.raises(ForeignEditsError) as raised:
        tree.commit("Notes and t1")
    assert raised.value.paths == ("tasks/t1.json",)
    assert "tree.adopt(['tasks/t1.json'])" in str(raised.value)
    assert disk_state(root) == before


def test_adopting_a_persons_edit_commits_it_as_the_programs(root: Path) -> None:
    tree = loaded_after_the_edit(root, "mount")
    assert tree.adopt(["notes.json"]) == ["notes.json"]
    tree.notes.lines.append("agent's line")
    tree.commit("Take over the notes")
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["notes.json"]
    assert "call the bank" in git(root, "show", "HEAD:notes.json")
    assert git(root, "status", "--porcelain") == ""
    assert tree.foreign_edits() == []


def test_discarding_a_persons_edit_puts_heads_file_back_and_reloads_it(root: Path) -> None:
    tree = loaded_after_the_edit(root, "mount")
    assert tree.discard(["notes.json"]) == ["notes.json"]
    assert git(root, "status", "--porcelain") == ""
    assert tree.notes.lines == []
    tree.notes.lines.append("agent's line")
    tree.commit("Notes")
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["notes.json"]


@pytest.mark.parametrize(
    ("edit", "porcelain"),
    [
        (lambda root: (root / "tasks" / "t9.json").write_text('{"title": "mine"}\n'), "?? "),
        (lambda root: (root / "tasks" / "t1.json").unlink(), " D "),
    ],
    ids=["new-map-item", "deleted-map-item"],
)
def test_a_persons_new_or_deleted_map_item_stays_out_of_the_agents_commit(
    root: Path, edit: object, porcelain: str
) -> None:
    tree = mount(Board, root, author=AGENT)
    edit(root)  # type: ignore[operator]
    tree.sync()
    tree.notes.lines.append("agent's line")
    tree.commit("Notes")
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["notes.json"]
    assert git(root, "status", "--porcelain").startswith(porcelain)


def test_an_anchor_file_a_person_edited_stays_out_and_the_programs_own_go_in(
    root: Path,
) -> None:
    (root / "logs" / "person.log").write_text("the person's log\n")
    tree = mount(Board, root, author=AGENT)
    tree.logs.handle().touch("agent.log").write_text("the agent's log\n")
    tree.commit("Log")
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["logs/agent.log"]
    assert git(root, "status", "--porcelain") == "?? logs/person.log\n"


def test_a_failed_transaction_rolls_back_the_programs_anchor_writes_only(root: Path) -> None:
    (root / "logs" / "person.log").write_text("the person's log\n")
    tree = mount(Board, root, author=AGENT)
    with pytest.raises(RuntimeError), tree.transaction("Step"):
        tree.logs.handle().touch("agent.log").write_text("half a step\n")
        raise RuntimeError("the step failed")
    assert not (root / "logs" / "agent.log").exists()
    assert (root / "logs" / "person.log").read_text() == "the person's log\n"


def test_gitworktree_commit_records_the_persons_edit_under_the_persons_identity(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "notes.json").write_text(PERSONS_NOTES)
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # tests.git importable
    result = invoke("-C", root, "commit", "-m", "My notes", "--tree", TREE)
    assert result.exit_code == 0, result.output
    assert git(root, "log", "-1", "--format=%an|%s") == f"{PERSON}|My notes\n"
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["notes.json"]
    assert git(root, "status", "--porcelain") == ""


TREE = "tests.git.foreign_trees:Board"
