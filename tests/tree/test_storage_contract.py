"""The Object / Collection contract, one suite run against every driver."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitworktree import NodeKindError, StorageError, UnsafePathError
from gitworktree.storage import Collection, FilesystemMountDriver, Object
from tests.conftest import MountRoot


def test_touch_creates_an_empty_object_and_parents(mount_root: MountRoot) -> None:
    root = mount_root()
    obj = root.touch("a/b/c.txt")
    assert isinstance(obj, Object) and obj.read_bytes() == b""
    assert isinstance(root.find("a/b"), Collection)


def test_write_and_read_text_and_bytes(mount_root: MountRoot) -> None:
    obj = mount_root().touch("x.txt")
    obj.write_text("héllo")
    assert obj.read_bytes() == "héllo".encode()
    obj.write_bytes(b"\x00\x01")
    assert mount_root().object("x.txt").read_bytes() == b"\x00\x01"


def test_ls_is_sorted_and_lists_both_kinds(mount_root: MountRoot) -> None:
    root = mount_root()
    root.touch("b.txt")
    root.mkdir("a")
    root.touch("c/d.txt")
    assert root.ls() == ["a", "b.txt", "c"]
    assert root.collection("c").ls() == ["d.txt"]


def test_find_and_exists(mount_root: MountRoot) -> None:
    root = mount_root()
    root.touch("dir/file")
    assert root.find("missing") is None
    assert not root.exists("missing")
    assert root.exists("dir/file")
    assert isinstance(root.find("dir"), Collection)


def test_rm_removes_objects_and_whole_collections(mount_root: MountRoot) -> None:
    root = mount_root()
    root.touch("dir/sub/file")
    root.touch("keep")
    root.rm("dir")
    assert root.ls() == ["keep"]
    root.rm("keep")
    root.rm("not-there")
    assert root.ls() == []


def test_walk_yields_every_object(mount_root: MountRoot) -> None:
    root = mount_root()
    for path in ["b/2", "a/1", "c"]:
        root.touch(path)
    assert [str(obj.path) for obj in root.walk()] == ["a/1", "b/2", "c"]


ESCAPES = ["../outside", "a/../../outside", "/etc/passwd", "..", "a/.git/config"]


@pytest.mark.parametrize("path", ESCAPES, ids=ESCAPES)
def test_paths_that_escape_are_refused(mount_root: MountRoot, path: str) -> None:
    root = mount_root()
    for operation in (root.find, root.touch, root.mkdir, root.rm, root.exists):
        with pytest.raises(UnsafePathError):
            operation(path)


def test_wrong_node_kind_is_a_clear_error(mount_root: MountRoot) -> None:
    root = mount_root()
    root.mkdir("dir")
    root.touch("file")
    with pytest.raises(NodeKindError):
        root.touch("dir")
    with pytest.raises(NodeKindError):
        root.mkdir("file")
    with pytest.raises(NodeKindError):
        root.object("dir")
    with pytest.raises(NodeKindError):
        root.collection("file")
    with pytest.raises(StorageError):
        root.object("missing")


# --- filesystem only: symlinks and atomicity -------------------------------------------


@pytest.fixture
def fs_root(tmp_path: Path) -> tuple[Collection, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    return FilesystemMountDriver().mount(tmp_path / "root"), outside


def test_symlinked_file_out_of_the_root_is_refused_for_read_and_write(
    fs_root: tuple[Collection, Path],
) -> None:
    root, outside = fs_root
    link = Path(str(root.storage.os_path(root.path))) / "link.txt"  # type: ignore[attr-defined]
    link.symlink_to(outside / "secret.txt")
    with pytest.raises(UnsafePathError, match="outside the mounted root"):
        root.object("link.txt").read_bytes()
    with pytest.raises(UnsafePathError):
        root.touch("link.txt")
    assert (outside / "secret.txt").read_text() == "secret"


def test_symlinked_directory_out_of_the_root_is_refused(
    fs_root: tuple[Collection, Path],
) -> None:
    root, outside = fs_root
    base = root.storage.os_path(root.path)  # type: ignore[attr-defined]
    (base / "linkdir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        root.find("linkdir/secret.txt")
    with pytest.raises(UnsafePathError):
        root.touch("linkdir/new.txt")
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_symlink_inside_the_root_is_followed(fs_root: tuple[Collection, Path]) -> None:
    root, _ = fs_root
    root.touch("real.txt").write_text("inside")
    base = root.storage.os_path(root.path)  # type: ignore[attr-defined]
    (base / "alias.txt").symlink_to(base / "real.txt")
    assert root.object("alias.txt").read_text() == "inside"


def test_writes_leave_no_temporary_files(fs_root: tuple[Collection, Path]) -> None:
    root, _ = fs_root
    obj = root.touch("data.json")
    for index in range(5):
        obj.write_text(str(index))
    base = root.storage.os_path(root.path)  # type: ignore[attr-defined]
    assert os.listdir(base) == ["data.json"]


def test_mounting_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(NodeKindError):
        FilesystemMountDriver().mount(target)
