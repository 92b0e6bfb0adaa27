"""`swap_ref`: a compare-and-swap of one ref by git's lock protocol, with no reflog entry
(what a LangGraph checkpoint does at every ``put``), checked against real git."""

from __future__ import annotations

import os
import subprocess
from functools import partial
from pathlib import Path

import pytest
from dulwich.file import FileLocked
from dulwich.objects import ObjectID
from dulwich.refs import Ref

from gitworktree.history._core.locks import wait_for_lock
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


# -- what git's own update-ref does with the same ref file is what swap_ref does --------

#: A hand-edited or foreign loose ref file, with ``{id}`` the id it is expected to hold.
REF_FILES = {
    "CRLF": "{id}\r\n",
    "no newline": "{id}",
    "trailing space": "{id} \n",
    "tab and text after the id": "{id}\tleft by a tool\n",
    "upper-case id": "{ID}\n",
    "empty": "",
    "garbage": "garbage\n",
    "zero id": "0000000000000000000000000000000000000000\n",
    "symbolic ref to nothing": "ref: refs/gitworktree/nothing\n",
}


def _git_moves(repo: Path, old: ObjectID, new: ObjectID) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "update-ref", REF.decode(), new.decode(), old.decode()],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.parametrize("content", REF_FILES.values(), ids=REF_FILES.keys())
def test_a_ref_file_moves_exactly_when_git_update_ref_would_move_it(
    repo: Path, content: str
) -> None:
    first, second = _ids(repo)
    ref_file = repo / ".git" / REF.decode()
    text = content.format(id=first.decode(), ID=first.decode().upper())
    ref_file.write_text(text)
    git_moved = _git_moves(repo, first, second)
    git_result = ref_file.read_bytes()
    ref_file.write_text(text)

    assert swap_ref(GitRepo(repo), REF, first, second) == git_moved
    assert ref_file.read_bytes() == (git_result if git_moved else text.encode())
    assert not (repo / ".git" / (REF.decode() + ".lock")).exists()


def test_an_empty_folder_where_the_ref_goes_is_replaced_as_git_does(repo: Path) -> None:
    first, second = _ids(repo)
    _git(repo, "pack-refs", "--all")
    (repo / ".git" / REF.decode()).mkdir()  # left by a deleted refs/gitworktree/thread/x
    assert swap_ref(GitRepo(repo), REF, first, second)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()
    _git(repo, "fsck", "--strict")


@pytest.mark.parametrize("kind", ["folder", "FIFO", "dangling symlink"])
def test_a_lock_of_any_kind_is_file_locked_and_kept(repo: Path, kind: str) -> None:
    first, second = _ids(repo)
    lock = repo / ".git" / (REF.decode() + ".lock")
    {"folder": lock.mkdir, "FIFO": lambda: os.mkfifo(lock)}.get(
        kind, lambda: lock.symlink_to(repo / "gone")
    )()
    with pytest.raises(FileLocked):
        swap_ref(GitRepo(repo), REF, first, second)
    assert os.path.lexists(lock)
    assert _git(repo, "rev-parse", REF.decode()) == first.decode()


def test_a_lock_held_by_git_update_ref_then_its_move_wins(repo: Path) -> None:
    first, second = _ids(repo)
    git = subprocess.Popen(
        ["git", "-C", str(repo), "update-ref", "--stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert git.stdin is not None and git.stdout is not None
    git.stdin.write(f"start\nupdate {REF.decode()} {second.decode()} {first.decode()}\nprepare\n")
    git.stdin.flush()
    assert [git.stdout.readline(), git.stdout.readline()] == ["start: ok\n", "prepare: ok\n"]
    ours = GitRepo(repo)
    with pytest.raises(FileLocked):  # git holds the ref's lock
        swap_ref(ours, REF, first, first)
    git.communicate("commit\n")
    assert git.returncode == 0
    assert not swap_ref(ours, REF, first, first)  # it moved meanwhile: nothing written
    assert swap_ref(ours, REF, second, first)
    assert _git(repo, "rev-parse", REF.decode()) == first.decode()


def test_every_swap_lands_while_git_packs_refs(repo: Path) -> None:
    first, second = _ids(repo)
    packer = subprocess.Popen(
        ["sh", "-c", "for i in $(seq 6); do git pack-refs --all --prune; done"], cwd=repo
    )
    ours = GitRepo(repo)
    ids = [first, second]
    swaps = 0
    try:
        # Swapping for as long as git packs (bounded): the ref is read loose, or packed
        # when git has just pruned its loose file, and git takes the ref's lock to prune
        # it (waited for, as GitSaver does).
        while (packer.poll() is None or swaps < 2) and swaps < 5000:
            old, new = ids[swaps % 2], ids[(swaps + 1) % 2]
            assert wait_for_lock(partial(swap_ref, ours, REF, old, new)), swaps
            swaps += 1
    finally:
        packer.wait()
    assert _git(repo, "rev-parse", REF.decode()) == ids[swaps % 2].decode()
    _git(repo, "fsck", "--strict")


def test_a_packed_ref_with_an_upper_case_id_moves_as_git_moves_it(repo: Path) -> None:
    first, second = _ids(repo)
    _git(repo, "pack-refs", "--all")
    packed = repo / ".git" / "packed-refs"
    text = packed.read_text().replace(first.decode(), first.decode().upper())
    packed.write_text(text)
    assert _git_moves(repo, first, second)  # git reads it in either case
    _git(repo, "update-ref", "-d", REF.decode())
    packed.write_text(text)

    assert swap_ref(GitRepo(repo), REF, first, second)
    assert _git(repo, "rev-parse", REF.decode()) == second.decode()
