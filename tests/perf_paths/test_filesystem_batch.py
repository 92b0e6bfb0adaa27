"""A commit on a plain directory writes its files as one batch, each still atomic."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from gitworktree import ArtifactMap, NodeKindError, PydanticArtifact, UnsafePathError, Worktree
from gitworktree import atomic as atomic_module
from gitworktree.storage import FilesystemMountDriver
from gitworktree.storage.filesystem import FilesystemStorage


class Task(PydanticArtifact):
    title: str


class Tasks(Worktree):
    tasks: ArtifactMap[Task]


def _paths(*names: str) -> list[PurePosixPath]:
    return [PurePosixPath(name) for name in names]


def test_many_new_items_sync_their_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitworktree import mount

    synced: list[Path] = []
    sync = atomic_module.fsync_directory
    monkeypatch.setattr(atomic_module, "fsync_directory", lambda d: (synced.append(d), sync(d)))
    tree = mount(Tasks, FilesystemMountDriver().mount(tmp_path / "data"))
    synced.clear()
    for index in range(40):
        tree.tasks[f"t{index:02d}"] = Task(title=str(index))
    tree.commit()
    tasks = tmp_path.resolve() / "data" / "tasks"
    assert synced.count(tasks) == 1  # was 40: one sync per file
    assert sorted(os.listdir(tasks)) == [f"t{index:02d}.json" for index in range(40)]
    again = mount(Tasks, FilesystemMountDriver().mount(tmp_path / "data"))
    assert [again.tasks[f"t{i:02d}"].title for i in range(40)] == [str(i) for i in range(40)]


def test_a_batch_keeps_each_existing_files_mode(tmp_path: Path) -> None:
    tmp_path = tmp_path / "root"
    tmp_path.mkdir()
    storage = FilesystemStorage(tmp_path)
    (tmp_path / "run.sh").write_text("old")
    (tmp_path / "run.sh").chmod(0o750)
    storage.write_many([(PurePosixPath("run.sh"), b"new"), (PurePosixPath("new.txt"), b"n")])
    assert (tmp_path / "run.sh").read_bytes() == b"new"
    assert stat.S_IMODE((tmp_path / "run.sh").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_a_directory_in_a_files_place_refuses_the_batch_before_any_write(tmp_path: Path) -> None:
    tmp_path = tmp_path / "root"
    tmp_path.mkdir()
    storage = FilesystemStorage(tmp_path)
    (tmp_path / "a.txt").write_text("as it was")
    (tmp_path / "b.txt").mkdir()
    with pytest.raises(NodeKindError, match=r"b\.txt"):
        storage.write_many(list(zip(_paths("a.txt", "b.txt"), [b"new", b"new"], strict=True)))
    assert (tmp_path / "a.txt").read_text() == "as it was"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_a_symlink_out_of_the_root_refuses_the_batch_before_any_write(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "a.txt").write_text("as it was")
    (root / "out").symlink_to(outside, target_is_directory=True)
    storage = FilesystemStorage(root)
    with pytest.raises(UnsafePathError):
        storage.write_many(list(zip(_paths("a.txt", "out/x.txt"), [b"new", b"x"], strict=True)))
    assert (root / "a.txt").read_text() == "as it was"
    assert os.listdir(outside) == []


def _directory_made(target: Path, outside: Path) -> None:
    target.mkdir()


def _symlink_made(target: Path, outside: Path) -> None:
    target.symlink_to(outside)


@pytest.mark.parametrize(
    ("swap", "refused"),
    [(_directory_made, True), (_symlink_made, False)],
    ids=["directory-refused", "symlink-replaced-not-followed"],
)
def test_a_path_swapped_while_the_batch_is_renamed_is_never_written_through(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    swap: Callable[[Path, Path], None],
    refused: bool,
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside.txt"
    root.mkdir()
    outside.write_text("someone else's")
    storage = FilesystemStorage(root)
    replace = os.replace
    target = root / "b.txt"

    def another_writer_first(source: Path, destination: Path) -> None:
        if destination.name == "a.txt":
            swap(target, outside)
        replace(source, destination)

    monkeypatch.setattr(atomic_module.os, "replace", another_writer_first)
    files = list(zip(_paths("a.txt", "b.txt"), [b"new a", b"new b"], strict=True))
    if refused:
        with pytest.raises(NodeKindError, match=r"b\.txt"):
            storage.write_many(files)
        assert target.is_dir() and os.listdir(target) == []
    else:
        storage.write_many(files)
        assert not target.is_symlink() and target.read_bytes() == b"new b"
    monkeypatch.undo()
    assert outside.read_text() == "someone else's"
    assert sorted(os.listdir(root)) == ["a.txt", "b.txt"]  # no temporary file left


def test_a_directory_in_a_files_place_refuses_the_commit_before_any_removal(
    tmp_path: Path,
) -> None:
    from gitworktree import mount

    root = tmp_path / "data"
    tree = mount(Tasks, FilesystemMountDriver().mount(root))
    tree.tasks["a"] = Task(title="a")
    tree.tasks["b"] = Task(title="b")
    tree.commit()
    del tree.tasks["a"]
    tree.tasks["c"] = Task(title="c")
    (root / "tasks" / "c.json").mkdir()  # someone's directory where the new item goes

    with pytest.raises(NodeKindError, match=r"c\.json"):
        tree.commit()

    assert sorted(os.listdir(root / "tasks")) == ["a.json", "b.json", "c.json"]
    assert (root / "tasks" / "a.json").read_bytes()  # not removed by the refused commit
