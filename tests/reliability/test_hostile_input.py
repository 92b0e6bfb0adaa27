"""Hostile and broken input: each a clear error, and nothing changed.

Many single cases live with their features (tests/tree, tests/documents, tests/git);
this suite runs them against one Git-backed tree, the way an attacker or an accident
would deliver them, and checks that history and the working tree did not move.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import (
    DocumentParseError,
    GitWorktreeError,
    InvalidNameError,
    RepositoryError,
    UnknownRevisionError,
    UnsafePathError,
    mount,
)
from gitworktree.history import Repository
from tests.oracle import git
from tests.reliability.models import Task, WorkTree

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    tree = mount(WorkTree, tmp_path / "repo")
    tree.tasks["a"] = Task(title="a")
    tree.commit("seed")
    return tmp_path / "repo"


def snapshot(root: Path) -> tuple[str, str, dict[str, bytes]]:
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }
    return git(root, "rev-parse", "HEAD"), git(root, "for-each-ref"), files


STORED: dict[str, bytes] = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    "billion-laughs": b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>',
    "doctype-only": b"<!DOCTYPE html><html/>",
    "deep-json": b"[" * 100_000 + b"]" * 100_000,
    "nan": b'{"lines": [NaN]}',
    "infinity": b'{"lines": [], "x": -Infinity}',
    "duplicate-keys": b'{"lines": [], "lines": ["again"]}',
    "invalid-utf8": b'{"lines": ["\xc3\x28"]}',
    "truncated": b'{"lines": ["a", ',
}


@pytest.mark.parametrize("name", list(STORED), ids=list(STORED))
def test_hostile_stored_document_is_refused_untouched(repo: Path, name: str) -> None:
    target = "page.xml" if name.startswith(("xxe", "billion", "doctype")) else "note.json"
    (repo / target).write_bytes(STORED[name])
    before = snapshot(repo)
    with pytest.raises(DocumentParseError) as caught:
        mount(WorkTree, repo)
    assert caught.value.issues and caught.value.issues[0].artifact == target
    assert snapshot(repo) == before


UNSAFE_PATHS = ["../outside", "/etc/passwd", "a/../../b", ".git/config", "x/\x00y"]


@pytest.mark.parametrize("path", UNSAFE_PATHS, ids=repr)
def test_path_traversal_is_refused_everywhere(repo: Path, path: str) -> None:
    tree = mount(WorkTree, repo)
    before = snapshot(repo)
    attempts: list[Callable[[], object]] = [
        lambda: tree.restore("HEAD", paths=[path]),
        lambda: tree.repo.show("HEAD", path),
        lambda: tree.repo.log(path=path),
        lambda: tree.tasks.handle().touch(path),
    ]
    for attempt in attempts:
        with pytest.raises((UnsafePathError, UnknownRevisionError, GitWorktreeError)):
            attempt()
    assert snapshot(repo) == before


@pytest.mark.parametrize("key", ["x" * 256, "\u00e9" * 128], ids=["256-ascii", "256-bytes-utf8"])
def test_a_map_key_longer_than_a_file_name_is_refused_untouched(repo: Path, key: str) -> None:
    tree = mount(WorkTree, repo)
    before = snapshot(repo)
    with pytest.raises(UnsafePathError) as caught:
        tree.tasks[key] = Task(title="long")
        tree.commit("long key")
    assert key in caught.value.path
    assert snapshot(repo) == before


BAD_REFS = ["../../etc/passwd", "refs/heads/../x", "-delete", "a..b", "x@{0}", "bad\x7fref"]


@pytest.mark.parametrize("name", BAD_REFS, ids=repr)
def test_hostile_checkpoint_names_and_revisions(repo: Path, name: str) -> None:
    tree = mount(WorkTree, repo)
    before = snapshot(repo)
    with pytest.raises(InvalidNameError):
        tree.checkpoint(name)
    with pytest.raises((UnknownRevisionError, InvalidNameError, GitWorktreeError)):
        tree.restore(name)
    with pytest.raises((UnknownRevisionError, InvalidNameError)):
        tree.repo.resolve(name)
    assert snapshot(repo) == before


def test_symlink_out_of_the_tree_is_refused_for_read_and_write(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"title": "stolen"}')
    os.symlink(secret, repo / "tasks" / "evil.json")
    with pytest.raises(UnsafePathError):
        mount(WorkTree, repo)
    (repo / "tasks" / "evil.json").unlink()
    os.symlink(tmp_path, repo / "tasks" / "outdir", target_is_directory=True)
    tree = mount(WorkTree, repo)
    with pytest.raises(UnsafePathError):
        tree.tasks.handle().touch("outdir/planted.json")
    assert secret.read_text() == '{"title": "stolen"}'
    assert not (tmp_path / "planted.json").exists()


def test_truncated_index_is_a_clear_error(repo: Path) -> None:
    index = repo / ".git" / "index"
    index.write_bytes(index.read_bytes()[:30])
    with pytest.raises(RepositoryError, match="index"):
        mount(WorkTree, repo)


OPEN_DAMAGED = """
import sys
from gitworktree import RepositoryError, mount
from tests.reliability.models import WorkTree
try:
    mount(WorkTree, sys.argv[1])
except RepositoryError as error:
    print(error)
"""


def test_corrupted_object_is_a_clear_error_on_open(repo: Path) -> None:
    tree_sha = git(repo, "rev-parse", "HEAD^{tree}").strip()
    loose = repo / ".git" / "objects" / tree_sha[:2] / tree_sha[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")
    # A fresh process, as a user opening the repository would be (this one has the tree
    # cached from before the damage, and objects never change once written).
    out = subprocess.run(
        [sys.executable, "-c", OPEN_DAMAGED, str(repo)],
        capture_output=True, text=True, cwd=PROJECT, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "damaged" in out.stdout and "git fsck" in out.stdout


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match=r"(?i)not a git repository"):
        Repository.open(tmp_path)


def test_a_lock_held_by_a_live_process_times_out_clearly(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    monkeypatch.setenv("GITWORKTREE_LOCK_TIMEOUT", "1")  # never released: waits it out
    tree = mount(WorkTree, repo)
    with open(repo / ".git" / "gitworktree.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a live writer holds the repository
        tree.counter.number += 1
        with pytest.raises(RepositoryError, match="another gitworktree process"):
            tree.commit()
    assert tree.commit() is not None  # once it is released, the commit goes through


LARGE = textwrap.dedent(
    """
    import resource, sys
    from typing import Any, ClassVar
    from gitworktree import TextArtifact, Worktree, mount

    class Big(TextArtifact):
        default: ClassVar[Any] = ""

    class Tree(Worktree):
        big: Big

    tree = mount(Tree, sys.argv[1])
    tree.big.text = ("x" * 99 + "\\n") * 1_000_000  # 100 MB
    tree.commit("large")
    again = mount(Tree, sys.argv[1], max_artifact_bytes=200_000_000)  # over the default cap
    assert len(again.big.text) == 100_000_000
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def test_a_100_mb_artifact_commits_with_bounded_memory(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LARGE, str(tmp_path / "big")],
        capture_output=True, text=True, check=True, cwd=PROJECT, timeout=120,
    )  # fmt: skip
    peak_mb = int(out.stdout.strip()) / 1024
    # The process holds the 100 MB text itself; the commit may add about twice that.
    assert peak_mb < 450, f"peak RSS {peak_mb:.0f} MB"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
