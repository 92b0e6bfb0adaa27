"""`swap_ref`: a compare-and-swap of one ref by git's lock protocol, with no reflog entry
(what a LangGraph checkpoint does at every ``put``), checked against real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dulwich.file import FileLocked
from dulwich.objects import ObjectID
from dulwich.refs import Ref

from gitworktree.history._core.opening import GitRepo
from gitworktree.history._refs.refs import swap_ref

REF = Ref(b"refs/gitworktree/thread")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits, ``REF`` at the first."""
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    repo = tmp_path / "repo"
    for text in ("one", "two"):
        (repo / "notes.txt").write_text(text)
        _git(repo, "add", "notes.txt")
        _git(repo, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", text)
    _git(repo, "update-ref", REF.decode(), "HEAD~1")
    return repo


def _ids(repo: Path) -> tuple[ObjectID, ObjectID]:
    return ObjectID(_git(repo, "rev-parse", "HEAD~1").encode()), ObjectID(
        _git(repo, "rev-parse", "HEAD").encode()
    )


def test_moves_a_ref_that_points_where_expected(repo: Path) -> None:
    first, second = _ids(repo)
    assert swap_ref(GitRepo(repo), REF, first, second)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()
    assert not (repo / ".git" / "logs" / REF.decode()).exists()  # unlogged, as before
    assert not (repo / ".git" / (REF.decode() + ".lock")).exists()
    _git(repo, "fsck", "--strict")


def test_leaves_a_ref_that_moved_meanwhile(repo: Path) -> None:
    first, second = _ids(repo)
    _git(repo, "update-ref", REF.decode(), "HEAD")  # someone else moved it
    assert not swap_ref(GitRepo(repo), REF, first, first)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()
    assert not (repo / ".git" / (REF.decode() + ".lock")).exists()


def test_moves_a_ref_that_is_only_packed(repo: Path) -> None:
    first, second = _ids(repo)
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / REF.decode()).exists()
    assert swap_ref(GitRepo(repo), REF, first, second)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()


def test_follows_a_symbolic_ref_as_dulwich_does(repo: Path) -> None:
    first, second = _ids(repo)
    alias = Ref(b"refs/gitworktree/alias")
    _git(repo, "symbolic-ref", alias.decode(), REF.decode())
    assert swap_ref(GitRepo(repo), alias, first, second)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()
    assert _git(repo, "symbolic-ref", alias.decode()) == REF.decode()


def test_a_held_lock_is_file_locked_and_kept(repo: Path) -> None:
    first, second = _ids(repo)
    lock = repo / ".git" / (REF.decode() + ".lock")
    lock.write_text("git's\n")
    with pytest.raises(FileLocked):
        swap_ref(GitRepo(repo), REF, first, second)
    assert lock.read_text() == "git's\n"
    assert _git(repo, "rev-parse", REF.decode()) == first.decode()
