"""The claim lifecycle on every backend: missing → create and write; present → load."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import (
    Anchor,
    CheckpointError,
    LayoutAnchor,
    MissingInitialStateError,
    ReadOnlyError,
    Worktree,
    mount,
)
from gitworktree.storage import Collection, FilesystemMountDriver, InMemoryMountDriver
from tests.conftest import MountRoot, read_stored
from tests.tree.models import (
    Counter,
    CounterTree,
    DeepTree,
    FilesTree,
    Outer,
    ProjectTree,
    RequiredTree,
)

UNVERSIONED: list[Callable[[Path], Collection]] = [
    lambda _: InMemoryMountDriver().mount(),
    lambda tmp_path: FilesystemMountDriver().mount(tmp_path / "data"),
]


def stored_json(root: Collection, path: str) -> object:
    return json.loads(read_stored(root, path))


def test_first_mount_writes_defaults(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    assert tree.counter.number == 0
    assert stored_json(mount_root(), "counter.json") == {"number": 0}


def test_commit_writes_the_change_and_a_new_mount_reads_it(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    tree.counter.number += 1
    info = tree.commit("Increment")
    assert info is not None and info.paths == ("counter.json",)
    assert mount(CounterTree, mount_root()).counter.number == 1


def test_commit_without_changes_returns_none(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    assert tree.commit() is None
    _ = tree.counter.number  # handed out, but not changed
    assert tree.commit() is None


def test_stored_json_is_indented_in_field_order_with_trailing_newline(
    mount_root: MountRoot,
) -> None:
    mount(ProjectTree, mount_root())
    text = read_stored(mount_root(), "app/storage/db.json").decode()
    assert text == '{\n  "host": "localhost",\n  "port": 5432\n}\n'


def test_assigning_a_new_artifact_replaces_it(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    tree.counter = Counter(number=41)
    tree.commit()
    assert stored_json(mount_root(), "counter.json") == {"number": 41}


def test_assigning_the_wrong_type_is_refused(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    with pytest.raises(TypeError, match="counter holds Counter"):
        tree.counter = 5  # type: ignore[assignment]


def test_a_value_held_across_a_commit_is_still_tracked(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    counter = tree.counter
    counter.number = 1
    tree.commit()
    counter.number = 2  # mutated in place after the commit, never re-read from the tree
    assert tree.commit() is not None
    assert stored_json(mount_root(), "counter.json") == {"number": 2}


def test_only_changed_artifacts_are_written(mount_root: MountRoot) -> None:
    tree = mount(ProjectTree, mount_root())
    _ = tree.app.config.debug
    tree.app.storage.db.port = 6000
    info = tree.commit()
    assert info is not None and info.paths == ("app/storage/db.json",)


def test_nested_layout_creates_directories_and_files(mount_root: MountRoot) -> None:
    tree = mount(ProjectTree, mount_root())
    root = mount_root()
    assert root.exists("app/logs") and isinstance(root.find("app/logs"), Collection)
    assert root.exists("app/config.json")
    assert tree.app.storage.db.host == "localhost"
    assert tree.app.config.debug is False


def test_bare_layout_anchor_is_an_empty_directory_with_a_handle(mount_root: MountRoot) -> None:
    tree = mount(ProjectTree, mount_root())
    logs = tree.app.logs
    assert isinstance(logs, LayoutAnchor)
    assert logs.handle().ls() == []
    assert logs.handle().path.as_posix() == "app/logs"


def test_deep_nesting_with_inner_classes(mount_root: MountRoot) -> None:
    tree = mount(DeepTree, mount_root())
    root = mount_root()
    for path in ["this_thing/baz/x", "this_thing/baz/y/a", "this_thing/baz/y/b"]:
        assert isinstance(root.find(path), Collection), path
    assert root.exists("this_thing/counter.json")
    assert root.exists("this_thing/foobar/config.json")
    assert isinstance(tree.this_thing.baz.y.a, LayoutAnchor)


def test_existing_files_are_loaded(mount_root: MountRoot) -> None:
    root = mount_root()
    root.mkdir("app/storage").touch("db.json").write_text('{"host": "db.internal"}')
    root.collection("app").touch("config.json").write_text('{"debug": true}')
    tree = mount(ProjectTree, mount_root())
    assert tree.app.storage.db.host == "db.internal"
    assert tree.app.storage.db.port == 5432
    assert tree.app.config.debug is True


def test_missing_initial_state_names_the_dotted_item_path(mount_root: MountRoot) -> None:
    with pytest.raises(MissingInitialStateError) as caught:
        mount(RequiredTree, mount_root())
    assert caught.value.item_path == "app.storage.db"
    assert "db_url" in str(caught.value)
    assert not mount_root().exists("app/storage/db.json")


def test_initial_states_are_nested_dicts(mount_root: MountRoot) -> None:
    states = {"app": {"storage": {"db": {"db_url": "postgresql://x/db"}}}}
    tree = mount(RequiredTree, mount_root(), initial_states=states)
    assert tree.app.storage.db.db_url == "postgresql://x/db"
    assert tree.app.storage.db.username == "db_user"
    assert stored_json(mount_root(), "app/storage/db.json") == {
        "db_url": "postgresql://x/db",
        "username": "db_user",
    }


def test_initial_states_do_not_override_stored_content(mount_root: MountRoot) -> None:
    mount(CounterTree, mount_root(), initial_states={"counter": {"number": 7}})
    again = mount(CounterTree, mount_root(), initial_states={"counter": {"number": 99}})
    assert again.counter.number == 7


def test_a_class_level_default_is_the_initial_state(mount_root: MountRoot) -> None:
    class Seeded(Worktree):
        counter: Counter = Counter(number=3)

    assert mount(Seeded, mount_root()).counter.number == 3


def test_nested_worktree_lives_in_a_sub_collection(mount_root: MountRoot) -> None:
    tree = mount(Outer, mount_root())
    tree.inner.counter.number = 5
    tree.counter.number = 6
    info = tree.inner.commit()
    assert info is not None and info.paths == ("inner/counter.json",)
    assert stored_json(mount_root(), "inner/counter.json") == {"number": 5}
    assert stored_json(mount_root(), "counter.json") == {"number": 0}
    tree.commit()
    assert stored_json(mount_root(), "counter.json") == {"number": 6}


def test_sync_reloads_and_discards_uncommitted_changes(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    other = mount(CounterTree, mount_root())
    other.counter.number = 10
    other.commit()
    tree.counter.number = 3
    tree.sync()
    assert tree.counter.number == 10
    assert tree.commit() is None


def test_anchor_handle_reaches_its_directory(mount_root: MountRoot) -> None:
    tree = mount(FilesTree, mount_root())
    assert isinstance(tree.attachments, Anchor)
    tree.attachments.handle().touch("note.txt").write_text("hello")
    assert read_stored(mount_root(), "attachments/note.txt") == b"hello"


def test_ownership_claims_name_the_nodes_of_each_field(mount_root: MountRoot) -> None:
    tree = mount(ProjectTree, mount_root())
    claims = {claim.path for claim in tree.app.ownership_claims()}
    assert claims == {"storage", "config.json", "logs"}


def test_transaction_commits_on_success(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    with tree.transaction("Set to 4"):
        tree.counter.number = 4
    assert stored_json(mount_root(), "counter.json") == {"number": 4}


def test_transaction_rolls_back_memory_on_error(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    with pytest.raises(RuntimeError), tree.transaction("never"):
        tree.counter.number = 4
        raise RuntimeError("agent step failed")
    assert tree.counter.number == 0
    assert stored_json(mount_root(), "counter.json") == {"number": 0}


@pytest.mark.parametrize("make_root", UNVERSIONED, ids=["memory", "filesystem"])
def test_checkpoints_need_a_versioned_backend(
    make_root: Callable[[Path], Collection], tmp_path: Path
) -> None:
    tree = mount(CounterTree, make_root(tmp_path))
    with pytest.raises(CheckpointError, match="needs history"):
        tree.checkpoint("x")


def test_unmounted_tree_says_how_to_mount() -> None:
    tree = CounterTree()
    with pytest.raises(Exception, match=r"mount\(CounterTree"):
        tree.commit()


def test_read_only_error_is_a_library_error() -> None:
    assert issubclass(ReadOnlyError, Exception)
