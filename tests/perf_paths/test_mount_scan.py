"""A mount reads each map directory in one pass, as safely as one name at a time.

``Storage.read_objects`` lists a directory and reads its items at once; the filesystem
backends do it with one ``scandir`` and one ``open`` per file. Symlinks must still stay
inside the mounted root, and anything that is not a plain file is left to the slow path,
which reports it as before.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from gitworktree import NodeKindError, StorageError, UnsafePathError, mount
from gitworktree.storage.base import Storage
from gitworktree.storage.filesystem import FilesystemStorage
from gitworktree.storage.memory import InMemoryStorage
from tests.oracle import git
from tests.tree.models import Task, TaskTree

TASKS = PurePosixPath("tasks")


def fill(storage: Storage) -> None:
    storage.make_collection(TASKS / "sub.json")  # a directory named like an item
    for name, data in {
        "a.json": b'{"title": "a"}\n',
        "b.json": b"",
        "notes.txt": b"not an item",
        ".hidden.json": b"{}",
    }.items():
        storage.write(TASKS / name, data)


@pytest.mark.parametrize(
    "make", [lambda root: FilesystemStorage(root), lambda root: InMemoryStorage()],
    ids=["filesystem", "memory"],
)  # fmt: skip
def test_read_objects_is_the_same_on_every_backend(tmp_path: Path, make: object) -> None:
    storage: Storage = make(tmp_path)  # type: ignore[operator]
    fill(storage)
    found = storage.read_objects(TASKS, ".json")
    assert found == {"a.json": b'{"title": "a"}\n', "b.json": b"", "sub.json": None}
    assert storage.read_objects(TASKS) == {**found, "notes.txt": b"not an item"}


def test_read_objects_of_a_missing_or_file_path_is_a_clear_error(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    fill(storage)
    with pytest.raises(StorageError):
        storage.read_objects(PurePosixPath("nowhere"))
    with pytest.raises(NodeKindError):
        storage.read_objects(TASKS / "a.json")


def test_a_symlinked_item_leading_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "tasks").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.json").write_text('{"title": "stolen"}')
    (root / "tasks" / "evil.json").symlink_to(outside / "secret.json")
    with pytest.raises(UnsafePathError):
        FilesystemStorage(root).read_objects(TASKS, ".json")
    with pytest.raises(UnsafePathError):
        mount(TaskTree, root)


def test_a_symlinked_map_directory_leading_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "a.json").write_text('{"title": "stolen"}')
    (root / "tasks").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        FilesystemStorage(root).read_objects(TASKS, ".json")
    with pytest.raises(UnsafePathError):
        mount(TaskTree, root)


def test_a_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "real.json").write_text('{"title": "real"}')
    (tmp_path / "tasks" / "alias.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "tasks" / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    found = FilesystemStorage(tmp_path).read_objects(TASKS, ".json")
    assert found == {"alias.json": b'{"title": "real"}', "dangling.json": None}


def test_an_item_replaced_by_a_symlink_after_the_scan_is_not_followed(tmp_path: Path) -> None:
    """A plain entry is opened without following symlinks: the slow path checks it."""
    from gitworktree.storage.filesystem import _READ_FLAGS, _read_file

    (tmp_path / "secret.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "secret.json")
    (tmp_path / "plain.json").write_text("[]")
    assert _read_file(str(tmp_path / "link.json"), _READ_FLAGS) is None
    assert _read_file(str(tmp_path / "plain.json"), _READ_FLAGS) == b"[]"
    assert _read_file(str(tmp_path / "gone.json"), _READ_FLAGS) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_special_file_named_like_an_item_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    os.mkfifo(tmp_path / "tasks" / "pipe.json")
    assert FilesystemStorage(tmp_path).read_objects(TASKS, ".json") == {"pipe.json": None}
    with pytest.raises(StorageError, match="neither a regular file nor a directory"):
        mount(TaskTree, tmp_path)


def test_a_directory_named_like_an_item_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "tasks" / "x.json").mkdir(parents=True)
    with pytest.raises(NodeKindError):
        mount(TaskTree, tmp_path)


def test_a_mount_loads_large_files_and_pending_changes_as_before(tmp_path: Path) -> None:
    tree = mount(TaskTree, tmp_path)
    tree.tasks["big"] = Task(title="x" * 200_000)
    tree.tasks["small"] = Task(title="small")
    tree.tasks["gone"] = Task(title="gone")
    tree.commit("three")
    (tmp_path / "tasks" / "small.json").write_text('{"title": "edited on disk"}\n')
    (tmp_path / "tasks" / "gone.json").unlink()
    (tmp_path / "tasks" / "new.json").write_text('{"title": "new on disk"}\n')

    again = mount(TaskTree, tmp_path)

    assert list(again.tasks) == ["big", "new", "small"]
    assert again.tasks["big"].title == "x" * 200_000
    assert again.tasks["small"].title == "edited on disk"
    session = again._gwt_session
    assert again.foreign_edits() == ["tasks/gone.json", "tasks/new.json", "tasks/small.json"]
    again.adopt()  # someone else's edits: taken over explicitly
    assert session.uncommitted_paths() == [  # type: ignore[attr-defined]
        "tasks/gone.json", "tasks/new.json", "tasks/small.json"
    ]  # fmt: skip
    again.commit("take the disk's changes")
    assert git(tmp_path, "status", "--porcelain") == ""


def test_kind_of_and_read_follow_symlinks_inside_the_root(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.json").write_bytes(b"[]")
    (tmp_path / "to-file").symlink_to(tmp_path / "file.json")
    (tmp_path / "to-dir").symlink_to(tmp_path / "dir", target_is_directory=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    kinds = {name: storage.kind_of(PurePosixPath(name)) for name in
             ("dir", "file.json", "to-file", "to-dir", "dangling", "missing", ".")}  # fmt: skip
    assert kinds == {
        "dir": "collection", "file.json": "object", "to-file": "object",
        "to-dir": "collection", "dangling": None, "missing": None, ".": "collection",
    }  # fmt: skip
    assert storage.read(PurePosixPath("to-file")) == b"[]"
    with pytest.raises(StorageError, match="no such file"):
        storage.read(PurePosixPath("missing"))
    with pytest.raises(NodeKindError):
        storage.read(PurePosixPath("dir"))
