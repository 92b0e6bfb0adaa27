"""A mount binds a map item when the program first asks for it, not at load.

An item whose file is the committed version is held as its bare value; its slot (which
tracks what it was read as and what it builds on) is made on first access, with the
committed blob id as both. Everything a slot made at load would do must still happen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import ArtifactMap, PydanticArtifact, Worktree, mount
from gitworktree.history import Repository
from gitworktree.tree.binding import ArtifactSlot
from tests.oracle import git, git_lines


class Task(PydanticArtifact):
    title: str


class Board(Worktree):
    tasks: ArtifactMap[Task]


def new_board(root: Path) -> Board:
    tree = mount(Board, root)
    for key in ("a", "b", "c"):
        tree.tasks[key] = Task(title=key)
    tree.commit("three")
    return mount(Board, root)


def test_items_as_committed_are_bound_on_first_access_with_the_committed_id(
    tmp_path: Path,
) -> None:
    tree = new_board(tmp_path)
    entries = tree.tasks._gwt_loaded_entries()
    assert not any(isinstance(entry, ArtifactSlot) for entry in entries.values())
    slot = tree.tasks._gwt_loaded_slot("b")
    assert slot is not None
    committed = git(tmp_path, "rev-parse", "HEAD:tasks/b.json").strip()
    assert (slot.stored, slot.base, str(slot.path)) == (committed, committed, "tasks/b.json")
    assert slot.dotted == "tasks['b']"
    assert isinstance(tree.tasks._gwt_loaded_entries()["b"], ArtifactSlot)
    assert tree._gwt_session.uncommitted_paths() == []  # type: ignore[attr-defined]


def _replace(tree: Board) -> None:
    tree.tasks["b"] = Task(title="replaced")


def _delete(tree: Board) -> None:
    del tree.tasks["b"]


def _edit_in_place(tree: Board) -> None:
    tree.tasks["b"].title = "edited"


def _edit_through_values(tree: Board) -> None:
    for task in tree.tasks.values():
        if task.title == "b":
            task.title = "edited"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_replace, '"replaced"'),
        (_delete, None),
        (_edit_in_place, '"edited"'),
        (_edit_through_values, '"edited"'),
    ],
    ids=["replace", "delete", "edit-in-place", "edit-through-values"],
)
def test_an_item_not_asked_for_before_is_committed_when_changed(
    tmp_path: Path, change: Callable[[Board], None], expected: str | None
) -> None:
    tree = new_board(tmp_path)
    change(tree)
    tree.commit("change b")
    files = git_lines(tmp_path, "ls-tree", "--name-only", "HEAD", "tasks/")
    if expected is None:
        assert files == ["tasks/a.json", "tasks/c.json"]
    else:
        assert expected in git(tmp_path, "show", "HEAD:tasks/b.json")
    assert git(tmp_path, "status", "--porcelain") == ""


def test_a_sync_reads_again_items_bound_and_not_bound(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    assert tree.tasks["a"].title == "a"  # bound; "b" stays a bare value
    with Repository.open(tmp_path) as other:
        other.commit_changes(
            {
                "tasks/a.json": Task(title="a2")._to_bytes(),
                "tasks/b.json": Task(title="b2")._to_bytes(),
            },
            message="elsewhere",
        )
    tree.sync()
    assert [task.title for task in tree.tasks.values()] == ["a2", "b2", "c"]
    assert tree._gwt_session.uncommitted_paths() == []  # type: ignore[attr-defined]


def test_an_item_edited_on_disk_is_bound_at_load_as_a_foreign_edit(tmp_path: Path) -> None:
    new_board(tmp_path)
    (tmp_path / "tasks" / "b.json").write_text('{"title": "by hand"}\n')
    again = mount(Board, tmp_path)
    assert isinstance(again.tasks._gwt_loaded_entries()["b"], ArtifactSlot)
    assert not isinstance(again.tasks._gwt_loaded_entries()["a"], ArtifactSlot)
    assert again.foreign_edits() == ["tasks/b.json"]
