"""Blobs are read straight from their loose file when they are loose (dulwich looks in
its packs first and lists the pack directory again on every miss); wherever the blob
is, the bytes and the refusals are those of the object store."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.errors import WrongObjectException
from dulwich.objects import ObjectID
from dulwich.repo import Repo

from gitworktree.errors import RepositoryError
from gitworktree.history._core.damage import MissingObjectError
from gitworktree.history._objects.rawtrees import blob_content


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(root), *args], input=data, capture_output=True, check=True
    ).stdout


def _blob(root: Path, data: bytes) -> ObjectID:
    return ObjectID(_git(root, "hash-object", "-w", "--stdin", data=data).strip())


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    _git(tmp_path, "init", "-q")
    with Repo(str(tmp_path)) as opened:
        yield opened


@pytest.mark.parametrize("packed", [False, True], ids=["loose", "packed"])
def test_a_blob_reads_as_git_stored_it(repo: Repo, packed: bool) -> None:
    root = Path(repo.path)
    data = b"\x00binary\xff" + bytes(range(256)) * 40
    sha = _blob(root, data)
    if packed:
        _git(
            root,
            "update-ref",
            "refs/keep",
            _git(root, "mktree", data=b"100644 blob %s\tf\n" % sha).strip().decode(),
        )
        _git(root, "repack", "-a", "-d", "-q")
        assert not (root / ".git" / "objects" / sha[:2].decode()).exists()
    assert (
        blob_content(repo.object_store, sha) == data == _git(root, "cat-file", "blob", sha.decode())
    )


def test_a_missing_blob_is_a_missing_object(repo: Repo) -> None:
    with pytest.raises(MissingObjectError):
        blob_content(repo.object_store, ObjectID(b"1" * 40))


def test_a_tree_asked_for_as_a_blob_is_refused(repo: Repo) -> None:
    root = Path(repo.path)
    tree = ObjectID(_git(root, "mktree", data=b"").strip())
    _git(root, "hash-object", "-w", "-t", "tree", "--stdin", data=b"")
    with pytest.raises(WrongObjectException):
        blob_content(repo.object_store, tree)


def test_a_loose_blob_that_does_not_inflate_is_damage(repo: Repo) -> None:
    root = Path(repo.path)
    sha = _blob(root, b"content")
    path = root / ".git" / "objects" / sha[:2].decode() / sha[2:].decode()
    path.chmod(0o644)
    path.write_bytes(b"not zlib at all")
    with pytest.raises(RepositoryError) as caught:
        blob_content(repo.object_store, sha)
    assert caught.value.reason == "damaged" and sha.decode() in str(caught.value)
