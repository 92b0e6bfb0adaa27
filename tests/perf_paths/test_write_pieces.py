"""Objects are written as the pieces zlib returns, in one ``writev``, never joined first
(a join copies a large tree object once more); every byte must still land, in order."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from dulwich.objects import Blob
from dulwich.repo import Repo

from gitworktree.atomic import write_all
from gitworktree.history._objects.rawtrees import write_object


def _written(path: Path, *pieces: bytes) -> bytes:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, *pieces)
    finally:
        os.close(fd)
    return path.read_bytes()


@pytest.mark.parametrize(
    "pieces",
    [
        (b"head", b"", b"body" * 100, b"tail"),
        tuple(bytes([65 + n % 26]) * (n + 1) for n in range(40)),  # more than one writev takes
    ],
    ids=["three-with-an-empty-one", "forty"],
)
def test_pieces_are_written_one_after_the_other(tmp_path: Path, pieces: tuple[bytes, ...]) -> None:
    assert _written(tmp_path / "f", *pieces) == b"".join(pieces)


def test_a_short_writev_is_continued_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.writev

    def short(fd: int, buffers: list[memoryview]) -> int:
        # at most 7 bytes a call: stops inside pieces and right at their ends
        return real(fd, [bytes(b"".join(bytes(b) for b in buffers)[:7])])

    monkeypatch.setattr(os, "writev", short)
    pieces = (b"0123456", b"789", b"abcdefghijklmnopqrstuvwxyz", b"!")
    assert _written(tmp_path / "f", *pieces) == b"".join(pieces)


def test_a_large_object_written_in_pieces_is_what_git_reads(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    body = bytes(range(256)) * 1024  # 256 KiB: stored at zlib level 0, in several blocks
    with Repo(str(tmp_path)) as repo:
        object_id = write_object(repo.object_store, Blob, body)
    shown = subprocess.run(
        ["git", "-C", str(tmp_path), "cat-file", "blob", object_id.decode()],
        capture_output=True,
        check=True,
    ).stdout
    assert shown == body
    subprocess.run(
        ["git", "-C", str(tmp_path), "fsck", "--strict"], check=True, capture_output=True
    )
