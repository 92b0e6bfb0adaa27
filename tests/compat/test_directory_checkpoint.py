"""DirectoryCheckpoint: a directory restored exactly, writing back only what changed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree.compat.wellformed import CheckpointError, DirectoryCheckpoint
from gitworktree.compat.wellformed import _directory as directory_module


def build(directory: Path) -> None:
    (directory / "sub" / "deep").mkdir(parents=True)
    (directory / "empty").mkdir()
    (directory / "a.txt").write_text("alpha")
    (directory / "sub" / "b.txt").write_text("bravo")
    (directory / "sub" / "deep" / "c.bin").write_bytes(b"\x00charlie\xff")
    (directory / "run.sh").write_text("#!/bin/sh\n")
    (directory / "run.sh").chmod(0o755)
    (directory / "link").symlink_to("a.txt")


def state(directory: Path) -> dict[str, object]:
    """Everything a restore must bring back: kinds, bytes, link targets, permissions."""
    found: dict[str, object] = {}
    for path in sorted(directory.rglob("*")):
        rel = str(path.relative_to(directory))
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            found[rel] = ("dir", path.stat().st_mode & 0o777)
        else:
            found[rel] = ("file", path.read_bytes(), path.stat().st_mode & 0o777)
    return found


def modify(d: Path) -> None:
    (d / "a.txt").write_text("ALPHA, changed")


def modify_same_size_at_once(d: Path) -> None:
    # Same size, same second: only the content (or the ctime) can tell.
    (d / "a.txt").write_text("ALPHA")


def delete_file(d: Path) -> None:
    (d / "sub" / "b.txt").unlink()


def create_files(d: Path) -> None:
    (d / "new").mkdir()
    (d / "new" / "n.txt").write_text("new")
    (d / "sub" / "deep" / "extra.txt").write_text("extra")


def delete_tree(d: Path) -> None:
    shutil.rmtree(d / "sub")


def swap_kinds(d: Path) -> None:
    (d / "a.txt").unlink()
    (d / "a.txt").mkdir()
    (d / "a.txt" / "inside").write_text("x")
    shutil.rmtree(d / "empty")
    (d / "empty").write_text("now a file")


def change_mode(d: Path) -> None:
    (d / "run.sh").chmod(0o644)


def retarget_link(d: Path) -> None:
    (d / "link").unlink()
    (d / "link").symlink_to("sub/b.txt")


def remove_everything(d: Path) -> None:
    shutil.rmtree(d)


CHANGES: dict[str, Callable[[Path], None]] = {
    "modify": modify,
    "modify-same-size-at-once": modify_same_size_at_once,
    "delete-file": delete_file,
    "create-files": create_files,
    "delete-tree": delete_tree,
    "swap-file-and-directory": swap_kinds,
    "change-mode": change_mode,
    "retarget-symlink": retarget_link,
    "remove-directory": remove_everything,
}


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    directory = tmp_path / "notes"
    directory.mkdir()
    build(directory)
    return directory


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_restore_brings_the_directory_back_exactly(notes: Path, change) -> None:
    before = state(notes)
    checkpoint = DirectoryCheckpoint.create(notes)
    change(notes)
    checkpoint.restore()
    assert state(notes) == before


def test_restore_rewrites_only_what_changed(notes: Path) -> None:
    inodes = {p: p.stat().st_ino for p in notes.rglob("*") if p.is_file() and not p.is_symlink()}
    checkpoint = DirectoryCheckpoint.create(notes)
    modify(notes)
    checkpoint.restore()
    rewritten = sorted(
        str(p.relative_to(notes)) for p, ino in inodes.items() if p.stat().st_ino != ino
    )
    assert rewritten == ["a.txt"]


@pytest.mark.parametrize("end", ["restore", "discard"], ids=["restored", "discarded"])
def test_the_private_store_lives_beside_the_directory_until_the_end(notes: Path, end: str) -> None:
    checkpoint = DirectoryCheckpoint.create(notes)
    assert checkpoint.store.parent == notes.parent and checkpoint.store.name.startswith(".notes.")
    getattr(checkpoint, end)()
    assert not checkpoint.store.exists()


def test_discard_keeps_the_changes(notes: Path) -> None:
    checkpoint = DirectoryCheckpoint.create(notes)
    create_files(notes)
    after = state(notes)
    checkpoint.discard()
    assert state(notes) == after


@pytest.mark.parametrize("first", ["restore", "discard"], ids=["restored", "discarded"])
def test_a_directory_checkpoint_is_used_once(notes: Path, first: str) -> None:
    checkpoint = DirectoryCheckpoint.create(notes)
    getattr(checkpoint, first)()
    with pytest.raises(CheckpointError):
        checkpoint.restore()


@pytest.mark.parametrize("kind", ["missing", "file"], ids=["missing", "a-file"])
def test_only_a_directory_can_be_checkpointed(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("x")
    with pytest.raises(CheckpointError):
        DirectoryCheckpoint.create(target)
    assert [p.name for p in tmp_path.iterdir() if "checkpoint" in p.name] == []


NAMES = st.sampled_from(["a", "b", "c"])
RELATIVE = st.lists(NAMES, min_size=1, max_size=3).map("/".join)
EDITS = st.lists(
    st.tuples(st.sampled_from(["write", "remove", "mkdir"]), RELATIVE, st.binary(max_size=8)),
    max_size=8,
)


def apply_edit(root: Path, op: str, rel: str, data: bytes) -> None:
    """One edit, skipped when the path's parents are in the way (as a real edit would fail)."""
    path = root / rel
    try:
        if op == "write":
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                shutil.rmtree(path)
            path.write_bytes(data)
        elif op == "mkdir":
            if path.is_file():
                path.unlink()
            path.mkdir(parents=True, exist_ok=True)
        elif path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    except (FileExistsError, NotADirectoryError):
        pass


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=EDITS, after=EDITS)
def test_any_edits_are_undone_by_restore(tmp_path_factory, before, after) -> None:
    root = tmp_path_factory.mktemp("prop") / "dir"
    root.mkdir()
    for edit in before:
        apply_edit(root, *edit)
    expected = state(root)
    checkpoint = DirectoryCheckpoint.create(root)
    for edit in after:
        apply_edit(root, *edit)
    checkpoint.restore()
    assert state(root) == expected


def test_a_failed_restore_keeps_the_checkpoint_for_a_retry(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = state(notes)
    checkpoint = DirectoryCheckpoint.create(notes)
    modify(notes)

    def disk_full(files: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(directory_module, "atomic_write_many", disk_full)
        with pytest.raises(CheckpointError):
            checkpoint.restore()
    checkpoint.restore()
    assert (state(notes), checkpoint.store.exists()) == (before, False)


def test_the_current_directory_is_checkpointed_from_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path / "notes")
    checkpoint = DirectoryCheckpoint.create(Path("."))
    assert checkpoint.store.resolve().parent == tmp_path
    assert checkpoint.store.name.startswith(".notes.checkpoint-")
    Path("new.txt").write_text("new")
    checkpoint.restore()
    assert list((tmp_path / "notes").iterdir()) == []
