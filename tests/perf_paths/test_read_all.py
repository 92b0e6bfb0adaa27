"""Reading a file whole: what ``open(path, "rb").read()`` gives, and the size limit kept.

A small file is read with one read and one more that finds its end; a file may come in
shorter pieces than asked for (FUSE, NFS), and a short read is never taken for its end.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from gitworktree import ArtifactTooLargeError
from gitworktree.storage import filesystem
from gitworktree.storage.filesystem import FilesystemStorage

CHUNK = 1 << 16
SIZES = [0, 1, 150, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]
SIZE_IDS = ["empty", "one-byte", "small", "chunk-minus-one", "chunk", "chunk-plus-one", "large"]


def content(size: int) -> bytes:
    return bytes(index % 251 for index in range(size))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("pieces", [None, 7], ids=["whole-reads", "short-reads"])
def test_a_file_reads_as_open_read_gives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, pieces: int | None
) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "x.json").write_bytes(content(size))
    if pieces is not None:
        read = os.read
        monkeypatch.setattr(filesystem.os, "read", lambda fd, n: read(fd, min(n, pieces)))
    found = FilesystemStorage(tmp_path).read_objects(PurePosixPath("items"), ".json", size)
    assert found == {"x.json": content(size)}


@pytest.mark.parametrize("size", SIZES[1:], ids=SIZE_IDS[1:])
@pytest.mark.parametrize("pieces", [None, 7], ids=["whole-reads", "short-reads"])
def test_a_file_one_byte_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, pieces: int | None
) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "x.json").write_bytes(content(size))
    if pieces is not None:
        read = os.read
        monkeypatch.setattr(filesystem.os, "read", lambda fd, n: read(fd, min(n, pieces)))
    with pytest.raises(ArtifactTooLargeError) as caught:
        FilesystemStorage(tmp_path).read_objects(PurePosixPath("items"), ".json", size - 1)
    assert (str(caught.value.path), caught.value.limit) == ("items/x.json", size - 1)
    assert caught.value.size >= size
