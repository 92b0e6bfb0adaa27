"""Fuzzing tree objects: whatever a tree holds, reading it gives safe paths or a clear error.

Tree bodies arrive from remotes and damaged repositories. Random bytes, and trees built
from entries with hostile names, modes and orders, are stored as loose objects and read
the way every checkout, restore and pull reads them. Reading never raises anything but
a `GitWorktreeError`, and every path it yields is one git would check out.

Runs briefly in CI; longer on demand:
    GITWORKTREE_FUZZ_EXAMPLES=20000 pytest tests/reliability/test_fuzz_trees.py
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.object_store import DiskObjectStore
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree import GitWorktreeError
from gitworktree.history._objects.rawtrees import EMPTY_TREE, iter_tree_files
from tests.remotes.hostile import blob, write_object

EXAMPLES = int(os.environ.get("GITWORKTREE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Names git refuses, and harmless ones, for hypothesis to combine and mutate.
SEED_NAMES = [
    b"..", b".", b"", b".git", b".GIT", b".git.", b".git ", b"git~1", b".git::$DATA",
    ".g\u200cit".encode(), "\ufeff.git".encode(), b"a/b", b"/abs", b"x\\.git", b".gitmodules",
    b"notes.txt", b"data", b".hidden", b"g", b"main.py", b"~1", "caf\u00e9".encode(),
    b"a\\b", ".g\u200cit.".encode(), b"x\\git~1",
]  # fmt: skip
MODES = [b"100644", b"100755", b"40000", b"040000", b"120000", b"160000", b"100664", b"0", b"x"]

NAMES = st.sampled_from(SEED_NAMES) | st.binary(max_size=12).map(lambda b: b.replace(b"\0", b""))
ENTRIES = st.lists(st.tuples(st.sampled_from(MODES), NAMES), max_size=8)


@pytest.fixture(scope="module")
def store() -> Iterator[tuple[DiskObjectStore, str]]:
    with tempfile.TemporaryDirectory() as directory:
        git_dir = Path(directory) / ".git"
        (git_dir / "objects").mkdir(parents=True)
        objects = DiskObjectStore(str(git_dir / "objects"))
        yield objects, blob(git_dir, b"content\n")
        objects.close()


#: Code points HFS+ ignores when it compares names.
HFS_IGNORED = {*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF}


def git_would_check_out(path: str) -> bool:
    """An oracle independent of the code under test: git's rules in their plainest form."""
    for part in path.split("/"):
        if part in ("", ".", "..") or "\0" in part:
            return False
        for piece in part.split("\\"):  # a directory separator on Windows
            hfs = "".join(c for c in piece if ord(c) not in HFS_IGNORED)
            if hfs.isascii() and hfs.lower() == ".git":
                return False
            if piece.lower().split(":")[0].rstrip(". ") in (".git", "git~1"):
                return False
    return True


def read_all(store: DiskObjectStore, body: bytes) -> None:
    sha = write_object(Path(store.path).parent, "tree", body)
    try:
        paths = [path for path, _mode, _sha in iter_tree_files(store, sha.encode())]
    except GitWorktreeError:
        return
    for path in paths:
        assert git_would_check_out(path), path


@FUZZ
@given(st.binary(max_size=200))
def test_random_tree_bodies_never_crash_nor_yield_an_unsafe_path(
    store: tuple[DiskObjectStore, str], body: bytes
) -> None:
    read_all(store[0], body)


@FUZZ
@given(ENTRIES)
def test_trees_of_hostile_entries_never_crash_nor_yield_an_unsafe_path(
    store: tuple[DiskObjectStore, str], entries: list[tuple[bytes, bytes]]
) -> None:
    objects, content = store
    body = b""
    for mode, name in entries:
        target = EMPTY_TREE.decode() if mode in (b"40000", b"040000") else content
        body += mode + b" " + name + b"\0" + bytes.fromhex(target)
    read_all(objects, body)
