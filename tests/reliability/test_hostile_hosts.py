"""Hosts that are damaged or hostile: a repository on this machine whose git directory
holds FIFOs, devices, a ``.git`` file naming no repository, a delta cycle or a commit
git's ``fsck`` rejects, and a ``git://`` host that sends a damaged pack as raw bytes.
Clone, fetch and push each refuse with a `RemoteError` naming the host, never a hang or
a raw dulwich error, and leave nothing behind (a refused clone, no directory).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import RemoteError
from gitworktree.history import Repository
from tests.oracle import git
from tests.reliability.hostile_repos import (
    BLOB,
    INFLATES_PAST_ITS_SIZE,
    OFS_DELTA,
    OTHER_ID,
    WHO,
    commit_on_top,
    delta,
    dev_zero,
    entry_header,
    fifo,
    git_file_to,
    in_git_dir,
    pack_holding_head_blob,
    ref_delta_to,
    snapshot,
)
from tests.remotes import hostile
from tests.remotes.hostile import Raw

HOSTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "HEAD-is-a-FIFO": (in_git_dir("HEAD", fifo), "HEAD is a FIFO, not a file"),
    "config-links-to-dev-zero": (in_git_dir("config", dev_zero), "character device"),
    "git-file-names-the-root-directory": (
        git_file_to(lambda root: Path("/")),
        "points at /, which is not a git directory",
    ),
    "ref-deltas-in-a-cycle": (
        pack_holding_head_blob(("head", ref_delta_to(OTHER_ID)), (OTHER_ID, ref_delta_to)),
        "a delta cannot be resolved",
    ),
    "commit-without-author": (commit_on_top(b"committer " + WHO + b"\n"), "has no author line"),
    "folder-entry-naming-a-blob": (
        lambda root: hostile.set_branch(
            root / ".git",
            hostile.hostile_commit(
                root / ".git", [(b"d", Raw(b"40000", hostile.blob(root / ".git", b"x\n")))]
            ),
        ),
        "is missing or of the wrong type",
    ),
}


@pytest.mark.parametrize("case", list(HOSTS), ids=list(HOSTS))
def test_a_clone_of_a_damaged_host_is_a_remote_error_and_leaves_nothing(
    healthy: Path, tmp_path: Path, case: str
) -> None:
    damage, words = HOSTS[case]
    damage(healthy)
    before = snapshot(tmp_path)
    with pytest.raises(RemoteError) as refused:
        Repository.clone(str(healthy), tmp_path / "clone").close()
    assert words in str(refused.value) and str(healthy) in str(refused.value), refused.value
    assert "b'" not in str(refused.value)  # ids as git prints them, not Python bytes
    assert snapshot(tmp_path) == before  # no clone left, the host as it was


def test_a_fetch_from_a_host_with_a_fifo_for_packed_refs_is_a_remote_error(
    healthy: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(healthy), str(clone))
    os.mkfifo(healthy / ".git" / "packed-refs")
    before = snapshot(tmp_path)
    with Repository.open(clone) as repository, pytest.raises(RemoteError) as refused:
        repository.fetch("origin")
    assert "packed-refs is a FIFO, not a file" in str(refused.value), refused.value
    assert "(the remote) is damaged" in str(refused.value)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("HEAD", fifo, "HEAD is a FIFO, not a file"),
        ("refs/heads/main", fifo, "refs/heads/main: this is a FIFO, not a file"),
        ("config", dev_zero, "config is a character device"),
    ],
    ids=["HEAD-is-a-FIFO", "branch-is-a-FIFO", "config-links-to-dev-zero"],
)
def test_a_push_to_a_damaged_host_is_a_remote_error_not_a_hang(
    healthy: Path, tmp_path: Path, name: str, make: Callable[[Path], None], words: str
) -> None:
    host = tmp_path / "host.git"
    git(tmp_path, "clone", "-q", "--bare", str(healthy), str(host))
    git(healthy, "remote", "add", "origin", str(host))
    (healthy / "notes.txt").write_text("three\n")
    git(healthy, "commit", "-q", "-am", "three")
    path = host / name
    path.unlink(missing_ok=True)  # a bare clone packs its branches
    make(path)
    before = snapshot(tmp_path)
    with Repository.open(healthy) as repository, pytest.raises(RemoteError) as refused:
        repository.push("origin")
    assert words in str(refused.value) and "(the remote) is damaged" in str(refused.value)
    assert snapshot(tmp_path) == before


def _pkt_line(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def serve_one_pack(pack: bytes, tip: str) -> int:
    """A git:// host (protocol v0, one connection) advertising ``main`` at ``tip`` and
    answering any request with ``pack`` as it is: what real git never sends, a hostile
    host may. Returns its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)  # never left behind waiting: the test's client comes at once

    def answer() -> None:
        with server, server.accept()[0] as conn, conn.makefile("rb") as incoming:

            def read_pkt_line() -> bytes:
                size = int(incoming.read(4) or b"0000", 16)
                return incoming.read(size - 4) if size else b""

            read_pkt_line()  # git-upload-pack /path
            conn.sendall(
                _pkt_line(b"%s HEAD\0ofs-delta symref=HEAD:refs/heads/main\n" % tip.encode())
                + _pkt_line(b"%s refs/heads/main\n" % tip.encode())
                + b"0000"
            )
            for _ in range(64):  # wants, a flush, then done
                if read_pkt_line().startswith(b"done"):
                    break
            conn.sendall(_pkt_line(b"NAK\n") + pack)

    threading.Thread(target=answer, daemon=True).start()
    return int(server.getsockname()[1])


def _pack_of(entry: bytes, checksum: bytes | None = None) -> bytes:
    data = b"PACK" + (2).to_bytes(4, "big") + (1).to_bytes(4, "big") + entry
    return data + (checksum if checksum is not None else hashlib.sha1(data).digest())


WIRE_PACKS = {
    "offset-delta-to-itself": _pack_of(
        entry_header(OFS_DELTA, 7) + b"\0" + zlib.compress(delta(b"two\n"))
    ),
    "wrong-checksum": _pack_of(entry_header(BLOB, 4) + zlib.compress(b"two\n"), b"\0" * 20),
    "garbage-entry": _pack_of(b"\xff" * 50),
    "entry-inflating-past-its-size": _pack_of(INFLATES_PAST_ITS_SIZE),
}


@pytest.mark.parametrize("case", list(WIRE_PACKS), ids=list(WIRE_PACKS))
def test_a_damaged_pack_from_a_host_is_a_remote_error_and_leaves_nothing(
    tmp_path: Path, case: str
) -> None:
    port = serve_one_pack(WIRE_PACKS[case], "ab" * 20)
    with pytest.raises(RemoteError) as refused:
        Repository.clone(f"git://127.0.0.1:{port}/state.git", tmp_path / "clone").close()
    assert "sent a damaged pack" in str(refused.value), refused.value
    assert not (tmp_path / "clone").exists()


@pytest.mark.parametrize(
    "entry",
    [
        lambda git_dir: Raw(b"100644", hostile.tree(git_dir, [(b"x", b"y\n")])),
        lambda git_dir: Raw(b"120000", hostile.tree(git_dir, [(b"x", b"y\n")])),
        lambda git_dir: Raw(
            b"100644", hostile.commit(git_dir, hostile.tree(git_dir, [(b"x", b"y\n")]))
        ),
    ],
    ids=["file-entry-naming-a-tree", "link-entry-naming-a-tree", "file-entry-naming-a-commit"],
)
def test_a_clone_of_an_entry_naming_the_wrong_kind_of_object_is_a_remote_error(
    tmp_path: Path, entry: Callable[[Path], Raw]
) -> None:
    host = tmp_path / "host.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(host))
    hostile.set_branch(host, hostile.hostile_commit(host, [(b"f", entry(host))]))
    with pytest.raises(RemoteError) as refused:
        Repository.clone(str(host), tmp_path / "clone").close()
    assert "sent a malformed object" in str(refused.value), refused.value
    assert "not a blob" in str(refused.value)
    assert not (tmp_path / "clone").exists()
