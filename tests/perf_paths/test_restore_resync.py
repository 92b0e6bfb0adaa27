"""A restore re-reads only what it changed, and leaves exactly the tree a fresh mount loads.

Each test compares the restored tree with a fresh mount of the same directory, slot by
slot: values, the blob ids stored and committed, map keys in order, pending changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree import (
    ArtifactMap,
    LayoutAnchor,
    NodeKindError,
    PydanticArtifact,
    Repository,
    Worktree,
    mount,
)
from gitworktree.tree.binding import ArtifactSlot
from gitworktree.tree.items import _Container
from gitworktree.tree.maps import ArtifactMap as MapType
from tests.oracle import git


class Task(PydanticArtifact):
    title: str = ""
    done: bool = False


class Counter(PydanticArtifact):
    number: int = 0


class Archive(LayoutAnchor):
    tasks: ArtifactMap[Task]


class Board(Worktree):
    counter: Counter
    tasks: ArtifactMap[Task]
    archive: Archive


def loaded_state(tree: Worktree) -> dict[str, Any]:
    """Everything a mount loaded, read without handing values out (which marks them)."""
    state: dict[str, Any] = {}

    def slot_state(slot: ArtifactSlot) -> tuple[Any, ...]:
        return (slot.value.model_dump(), slot.stored, slot.base, slot.dotted, str(slot.path))

    def walk(node: _Container) -> None:
        for name, child in node._gwt_children.items():
            where = f"{node._gwt_path}/{name}"
            if isinstance(child, ArtifactSlot):
                state[where] = slot_state(child)
            elif isinstance(child, MapType):
                state[where] = [
                    (key, slot_state(child._gwt_loaded_slot(key)))
                    for key in list(child._gwt_loaded_entries())
                ]
            elif isinstance(child, _Container):
                walk(child)

    walk(tree)
    session = tree._gwt_session
    state["uncommitted"] = session.uncommitted_paths()  # type: ignore[attr-defined]
    return state


def assert_same_as_a_fresh_mount(tree: Board, root: Path) -> None:
    assert loaded_state(tree) == loaded_state(mount(Board, root))
    assert git(root, "status", "--porcelain") == ""


def new_board(root: Path) -> Board:
    tree = mount(Board, root)
    for key in ("a", "b", "c"):
        tree.tasks[key] = Task(title=key)
    tree.archive.tasks["old"] = Task(title="old", done=True)
    tree.commit("three tasks")
    return tree


def test_restore_reloads_changed_added_and_removed_map_items(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    tree.tasks["a"] = Task(title="a, edited")
    del tree.tasks["b"]
    tree.tasks["d"] = Task(title="d")
    tree.tasks["0"] = Task(title="sorts first")
    tree.counter.number = 7
    del tree.archive.tasks["old"]
    tree.commit("edit, remove, add")

    tree.restore("start", hard=True)

    assert list(tree.tasks) == ["a", "b", "c"]
    assert tree.tasks["a"].title == "a"
    assert tree.counter.number == 0
    assert list(tree.archive.tasks) == ["old"]
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_keys_a_restore_brings_back_keep_the_order_of_a_full_load(tmp_path: Path) -> None:
    tree = mount(Board, tmp_path)
    tree.tasks["a-b"] = Task(title="dash")  # "a-b.json" sorts before "a.json"
    tree.commit("one")
    tree.checkpoint("one")
    del tree.tasks["a-b"]
    tree.tasks["a"] = Task(title="plain")
    tree.tasks["z"] = Task(title="last")
    tree.commit("two")
    tree.checkpoint("two")
    tree.restore("one", hard=True)
    tree.restore("two")
    tree.tasks["a-b"] = Task(title="dash again")
    tree.commit("three")
    tree.restore("one")
    tree.restore("two", hard=True)
    assert list(tree.tasks) == list(mount(Board, tmp_path).tasks)
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_unchanged_artifacts_are_not_read_again(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    untouched = tree.tasks._gwt_loaded_slot("c").value
    tree.tasks["a"] = Task(title="changed")
    tree.commit("change a")
    tree.restore("start", hard=True)
    assert tree.tasks._gwt_loaded_slot("c").value is untouched
    assert tree.tasks["a"].title == "a"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_restore_diffs_the_two_trees_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which files to write, whether they complete the tree, which artifacts to re-read:
    # three questions, one diff of the two trees (they never change once written).
    from gitworktree.history._objects import rawtrees

    tree = new_board(tmp_path)
    tree.checkpoint("start")
    tree.tasks["a"] = Task(title="changed")
    tree.commit("change a")
    walks: list[tuple[object, object]] = []
    original = rawtrees._diff_into

    def counted(store: Any, old: Any, new: Any, prefix: str, changes: Any) -> None:
        if prefix == "":
            walks.append((old, new))
        original(store, old, new, prefix, changes)

    monkeypatch.setattr(rawtrees, "_diff_into", counted)
    tree.restore("start", hard=True)

    assert len(walks) == len(set(walks))
    assert tree.tasks["a"].title == "a"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_pending_in_memory_changes_are_dropped(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    tree.tasks["c"] = Task(title="c, committed")
    tree.commit("change c")
    held = tree.tasks["a"]
    held.title = "changed in place, not committed"
    tree.tasks["new"] = Task(title="added, not committed")
    del tree.tasks["b"]
    tree.counter.number = 42

    tree.restore("start", hard=True)

    assert list(tree.tasks) == ["a", "b", "c"]
    assert tree.tasks["a"].title == "a" and tree.tasks["a"] is not held
    assert tree.counter.number == 0
    assert tree.commit("nothing to commit") is None
    assert_same_as_a_fresh_mount(tree, tmp_path)


@pytest.mark.parametrize("count", [3, 40], ids=["few", "many-in-one-directory"])
def test_many_pending_changes_are_all_dropped(tmp_path: Path, count: int) -> None:
    tree = mount(Board, tmp_path)
    for index in range(60):
        tree.tasks[f"t{index:02d}"] = Task(title=f"task {index}")
    tree.commit("sixty")
    tree.checkpoint("sixty")
    tree.tasks["t00"] = Task(title="committed change")
    tree.commit("one more")
    for index in range(1, count + 1):
        tree.tasks[f"t{index:02d}"].done = True  # in memory only
    for index in range(count):
        tree.tasks[f"new{index:02d}"] = Task(title="added in memory")
    del tree.tasks["t59"]
    tree.restore("sixty", hard=True)
    assert not any(tree.tasks[key].done for key in tree.tasks)
    assert tree.tasks["t00"].title == "task 0" and "t59" in tree.tasks
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_restore_that_changes_nothing_still_drops_pending_changes(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("here")
    tree.tasks["a"].title = "pending"
    tree.restore("here", hard=True)
    assert tree.tasks["a"].title == "a"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_commits_made_behind_the_trees_back_are_picked_up(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    with Repository.open(tmp_path) as other:
        other.commit_changes(
            {"tasks/a.json": Task(title="from elsewhere")._to_bytes(), "tasks/c.json": None},
            message="another writer",
        )
        other.create_checkpoint("theirs")
    # HEAD is already at "theirs": the files HEAD's commit did not change since the
    # tree loaded are still re-read, because they differ from what the tree holds.
    tree.restore("theirs", hard=True)
    assert tree.tasks["a"].title == "from elsewhere"
    assert "c" not in tree.tasks
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_commit_landing_on_anothers_falls_back_to_a_full_load(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    with Repository.open(tmp_path) as other:
        other.commit_changes({"tasks/b.json": Task(title="b2")._to_bytes()}, message="other")
    tree.tasks["a"] = Task(title="ours")
    tree.commit("ours, on top of theirs")
    tree.restore("HEAD~1", hard=True)
    assert tree.tasks["b"].title == "b2"
    assert tree.tasks["a"].title == "a"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_soft_restore_of_some_paths(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    tree.tasks["a"] = Task(title="a2")
    tree.archive.tasks["old"] = Task(title="old2")
    tree.commit("two changes")
    tree.restore("start", paths=["archive"])
    assert tree.archive.tasks["old"].title == "old"
    assert tree.tasks["a"].title == "a2"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_map_directory_the_target_lacks_is_made_again(tmp_path: Path) -> None:
    tree = mount(Board, tmp_path)
    tree.counter.number = 1
    tree.commit("no tasks anywhere")
    tree.checkpoint("empty")
    tree.tasks["a"] = Task(title="a")
    tree.archive.tasks["x"] = Task(title="x")
    tree.commit("tasks")
    tree.restore("empty", hard=True)
    assert (tmp_path / "tasks").is_dir() and (tmp_path / "archive" / "tasks").is_dir()
    assert len(tree.tasks) == 0 and len(tree.archive.tasks) == 0
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_declared_artifact_the_target_lacks_is_initialized(tmp_path: Path) -> None:
    with Repository.init(tmp_path) as repository:
        repository.commit_changes({"tasks/a.json": b'{"title": "a"}\n'}, message="no counter")
        repository.create_checkpoint("bare")
    tree = mount(Board, tmp_path)  # initializes counter.json and archive/
    tree.counter.number = 3
    tree.commit("three")
    tree.restore("bare", hard=True)
    assert tree.counter.number == 0
    assert git(tmp_path, "log", "-1", "--format=%s").startswith("Initialize counter.json")
    assert_same_as_a_fresh_mount(tree, tmp_path)


class Inner(Worktree):
    counter: Counter
    tasks: ArtifactMap[Task]


class Nested(Worktree):
    counter: Counter
    inner: Inner


def test_a_nested_tree_synced_at_a_newer_commit_is_re_read_in_full(tmp_path: Path) -> None:
    tree = mount(Nested, tmp_path)
    tree.inner.tasks["a"] = Task(title="a")
    tree.commit("a")
    tree.checkpoint("a")
    with Repository.open(tmp_path) as other:
        other.commit_changes(
            {"inner/tasks/a.json": Task(title="a2")._to_bytes()}, message="elsewhere"
        )
    tree.inner.sync()  # the inner tree is now newer than the rest of the tree
    assert tree.inner.tasks._gwt_loaded_slot("a").value.title == "a2"  # read without touching
    # Between the commit the tree was loaded at and the target nothing differs: only
    # knowing that part of the tree is newer makes the restore read it again.
    tree.restore("a", hard=True)
    assert tree.inner.tasks["a"].title == "a"
    assert loaded_state(tree) == loaded_state(mount(Nested, tmp_path))


def test_a_restore_changing_most_of_the_tree_loads_it_whole(tmp_path: Path) -> None:
    tree = mount(Board, tmp_path)
    for index in range(150):
        tree.tasks[f"t{index:03d}"] = Task(title="first")
    tree.commit("first")
    tree.checkpoint("first")
    for index in range(150):
        tree.tasks[f"t{index:03d}"] = Task(title="second")
    tree.commit("second")
    tree.restore("first", hard=True)
    assert {task.title for task in tree.tasks.values()} == {"first"}
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_files_no_artifact_owns_are_left_alone(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    with Repository.open(tmp_path) as other:
        other.commit_changes(
            {
                "tasks/.hidden.json": b"{}\n",
                "tasks/notes.txt": b"not an item\n",
                "tasks/attachments/x.json": b"{}\n",
                "elsewhere/file.json": b"{}\n",
            },
            message="files beside the artifacts",
        )
    tree.tasks["a"] = Task(title="a2")
    tree.commit("a2")
    tree.restore("HEAD~1", hard=True)
    assert (tmp_path / "tasks" / "attachments" / "x.json").exists()
    assert tree.tasks["a"].title == "a"
    assert_same_as_a_fresh_mount(tree, tmp_path)


def test_a_restore_to_an_item_turned_directory_fails_as_a_mount_does(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    with Repository.open(tmp_path) as other:
        other.commit_changes({"tasks/x.json/inner.txt": b"x\n"}, message="a directory")
        other.create_checkpoint("odd")
        other.commit_changes({"tasks/x.json/inner.txt": None}, message="gone again")
    tree.restore("HEAD", hard=True)
    with pytest.raises(NodeKindError):
        tree.restore("odd", hard=True)
    with pytest.raises(NodeKindError):
        mount(Board, tmp_path)


def test_an_item_deleted_on_disk_stays_a_foreign_deletion(tmp_path: Path) -> None:
    tree = new_board(tmp_path)
    tree.checkpoint("start")
    tree.tasks["a"] = Task(title="a2")
    tree.commit("a2")
    (tmp_path / "tasks" / "c.json").unlink()
    tree.sync()
    assert "c" not in tree.tasks
    tree.restore("start", hard=True)
    assert "c" not in tree.tasks and tree.tasks["a"].title == "a"
    state = loaded_state(tree)
    assert tree.foreign_edits() == ["tasks/c.json"]  # someone else's deletion, not ours
    assert state["uncommitted"] == []
    assert state == loaded_state(mount(Board, tmp_path))


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "counter", "archive", "commit", "checkpoint", "restore"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.booleans(),
    ),
    max_size=14,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=EDITS)
def test_random_edits_and_restores_match_a_fresh_mount(
    tmp_path_factory: Any, edits: list[tuple[str, str, bool]]
) -> None:
    root = tmp_path_factory.mktemp("board")
    tree = new_board(root)
    checkpoints = [tree.checkpoint("c0").name]
    for step, (action, key, hard) in enumerate(edits):
        if action == "set":
            tree.tasks[key] = Task(title=f"{key} at {step}", done=hard)
        elif action == "delete" and key in tree.tasks:
            del tree.tasks[key]
        elif action == "counter":
            tree.counter.number = step
        elif action == "archive":
            tree.archive.tasks[key] = Task(title=f"archived {step}")
        elif action == "commit":
            tree.commit(f"step {step}")
        elif action == "checkpoint":
            tree.commit(f"step {step}")
            checkpoints.append(tree.checkpoint(f"c{step + 1}").name)
        elif action == "restore":
            target = checkpoints[step % len(checkpoints)]
            tree.restore(target, hard=hard)
            assert_same_as_a_fresh_mount(tree, root)
    tree.restore(checkpoints[-1], hard=True)
    assert_same_as_a_fresh_mount(tree, root)
