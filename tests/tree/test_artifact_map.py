"""ArtifactMap: a directory of same-typed artifacts used like a dict."""

from __future__ import annotations

import json

import pytest

from gitworktree import ArtifactMap, UnsafePathError, mount
from tests.conftest import MountRoot, read_stored
from tests.tree.models import Counter, Task, TaskTree


def test_added_item_is_stored_as_key_json(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["t1"] = Task(title="write tests")
    info = tree.commit()
    assert info is not None and info.paths == ("tasks/t1.json",)
    assert json.loads(read_stored(mount_root(), "tasks/t1.json"))["title"] == "write tests"


def test_items_reload_in_a_new_mount(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["a"] = Task(title="A")
    tree.tasks["b"] = Task(title="B", tags=["x"])
    tree.commit()
    again = mount(TaskTree, mount_root())
    assert sorted(again.tasks) == ["a", "b"]
    assert again.tasks["b"].tags == ["x"]


def test_replacing_an_item(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["a"] = Task(title="A")
    tree.commit()
    tree.tasks["a"] = Task(title="A2")
    tree.commit()
    assert mount(TaskTree, mount_root()).tasks["a"].title == "A2"


def test_mutating_an_item_in_place(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["a"] = Task(title="A")
    tree.commit()
    tree.tasks["a"].done = True
    info = tree.commit()
    assert info is not None and info.paths == ("tasks/a.json",)
    assert mount(TaskTree, mount_root()).tasks["a"].done is True


def test_deleting_an_item_deletes_its_file_on_commit(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["a"] = Task(title="A")
    tree.commit()
    del tree.tasks["a"]
    assert mount_root().exists("tasks/a.json")  # not before the commit
    tree.commit()
    assert not mount_root().exists("tasks/a.json")
    assert "a" not in mount(TaskTree, mount_root()).tasks


def test_delete_then_add_again_rewrites_the_file(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["a"] = Task(title="A")
    tree.commit()
    del tree.tasks["a"]
    tree.tasks["a"] = Task(title="again")
    tree.commit()
    assert mount(TaskTree, mount_root()).tasks["a"].title == "again"


def test_dict_semantics(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    tree.tasks["b"] = Task(title="B")
    tree.tasks["a"] = Task(title="A")
    assert len(tree.tasks) == 2
    assert "a" in tree.tasks and "zzz" not in tree.tasks
    assert list(tree.tasks) == ["a", "b"]
    assert tree.tasks.get("zzz") is None
    assert [task.title for task in tree.tasks.values()] == ["A", "B"]
    with pytest.raises(KeyError):
        tree.tasks["zzz"]


def test_files_added_on_disk_appear_on_sync(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    mount_root().collection("tasks").touch("new.json").write_text('{"title": "from disk"}')
    assert "new" not in tree.tasks
    tree.sync()
    assert tree.tasks["new"].title == "from disk"


def test_files_with_other_suffixes_are_not_items(mount_root: MountRoot) -> None:
    mount_root().mkdir("tasks").touch("README.md").write_text("notes")
    tree = mount(TaskTree, mount_root())
    assert len(tree.tasks) == 0


UNSAFE_KEYS = ["../escape", "a/b", "..", ".", "", ".hidden", "nul\x00byte", "back\\slash"]


@pytest.mark.parametrize("key", UNSAFE_KEYS, ids=repr)
def test_unsafe_keys_are_refused(mount_root: MountRoot, key: str) -> None:
    tree = mount(TaskTree, mount_root())
    with pytest.raises(UnsafePathError):
        tree.tasks[key] = Task(title="x")
    assert len(tree.tasks) == 0


def test_wrong_item_type_is_refused(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    with pytest.raises(TypeError, match="holds Task items, not Counter"):
        tree.tasks["a"] = Counter()  # type: ignore[assignment]


def test_initial_states_seed_a_new_map(mount_root: MountRoot) -> None:
    states = {"tasks": {"first": {"title": "seeded"}}}
    tree = mount(TaskTree, mount_root(), initial_states=states)
    assert tree.tasks["first"].title == "seeded"
    assert mount_root().exists("tasks/first.json")


def test_map_item_type_and_repr(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    assert tree.tasks.item_type is Task
    assert isinstance(tree.tasks, ArtifactMap)
    assert "0 items" in repr(tree.tasks)


def test_thousands_of_items_round_trip(mount_root: MountRoot) -> None:
    tree = mount(TaskTree, mount_root())
    for index in range(2000):
        tree.tasks[f"t{index:04d}"] = Task(title=str(index))
    info = tree.commit()
    assert info is not None and len(info.paths) == 2000
    again = mount(TaskTree, mount_root())
    again.tasks["t1234"].done = True
    info = again.commit()
    assert info is not None and info.paths == ("tasks/t1234.json",)
