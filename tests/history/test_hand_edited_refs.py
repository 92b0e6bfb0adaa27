"""A branch file edited by hand still names its commit wherever git reads it so.

git reads a loose ref as 40 hex digits (in either case) followed by the end of the file or any
whitespace (what comes after is ignored: refs/files-backend.c
``parse_loose_ref_contents``). A file saved by an editor with CRLF, a trailing blank
or a comment after a space is a sound ref to git; a commit moves the branch from it
and leaves it as git writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitworktree.errors import RepositoryError
from gitworktree.history import Repository
from tests.oracle import git

TAILS = {
    "crlf": b"\r\n",
    "no_newline": b"",
    "a_blank_line_after": b"\n\n",
    "a_trailing_space": b" \n",
    "a_trailing_tab": b"\t\n",
    "a_comment_after_a_space": b" made by hand\n",
}


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "made by git")
    yield root


@pytest.mark.parametrize("tail", TAILS.values(), ids=TAILS.keys())
def test_a_commit_moves_a_branch_whose_file_git_reads(root: Path, tail: bytes) -> None:
    ref = root / ".git/refs/heads/main"
    parent = ref.read_bytes().strip()
    ref.write_bytes(parent + tail)
    assert git(root, "rev-parse", "main").strip().encode() == parent  # sound to git

    with Repository.open(root) as repository:
        landed = repository.commit_changes({"a.txt": b"ours\n"}, message="ours")

    assert ref.read_bytes() == landed.sha.encode() + b"\n"
    assert git(root, "rev-parse", "HEAD^").strip().encode() == parent
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--strict", "--no-dangling")


def test_a_commit_moves_a_branch_whose_id_is_in_upper_case(root: Path) -> None:
    ref = root / ".git/refs/heads/main"
    parent = ref.read_bytes().strip()
    ref.write_bytes(parent.upper() + b"\n")  # git reads hex digits in either case
    assert git(root, "rev-parse", "main").strip().encode() == parent

    with Repository.open(root) as repository:
        assert repository.head == parent.decode()
        landed = repository.commit_changes({"a.txt": b"ours\n"}, message="ours")

    assert ref.read_bytes() == landed.sha.encode() + b"\n"
    assert git(root, "rev-parse", "HEAD^").strip().encode() == parent
    git(root, "fsck", "--strict", "--no-dangling")


BROKEN = {
    "letters_right_after_the_id": b"garbage\n",
    "a_41st_hex_digit": b"0\n",
}


@pytest.mark.parametrize("tail", BROKEN.values(), ids=BROKEN.keys())
def test_a_branch_file_git_calls_broken_is_refused_as_damaged(root: Path, tail: bytes) -> None:
    ref = root / ".git/refs/heads/main"
    content = ref.read_bytes().strip() + tail
    ref.write_bytes(content)
    assert git(root, "rev-parse", "--verify", "-q", "main", check=False) == ""  # broken to git

    with Repository.open(root) as repository, pytest.raises(RepositoryError) as caught:
        repository.commit_changes({"a.txt": b"ours\n"}, message="ours")

    assert caught.value.reason == "damaged"  # not a ConflictError saying to retry
    assert ref.read_bytes() == content
    assert (root / "a.txt").read_text() == "a\n"


def _packed_branch(root: Path) -> None:
    git(root, "pack-refs", "--all")


def _unborn_branch(root: Path) -> None:
    git(root, "branch", "-q", "-m", "main", "other")
    git(root, "symbolic-ref", "HEAD", "refs/heads/main")


@pytest.mark.parametrize("setup", [_packed_branch, _unborn_branch], ids=["packed", "unborn"])
def test_an_empty_directory_where_the_branch_file_goes_is_replaced_as_git_does(
    root: Path, setup: Callable[[Path], None]
) -> None:
    setup(root)
    parent = git(root, "rev-parse", "-q", "--verify", "main", check=False).strip()
    (root / ".git/refs/heads/main").mkdir()  # left by a deleted branch main/x, say

    with Repository.open(root) as repository:
        landed = repository.commit_changes({"b.txt": b"ours\n"}, message="ours")

    assert git(root, "rev-parse", "main").strip() == landed.sha
    assert git(root, "rev-list", "--parents", "-1", "main").split()[1:] == parent.split()
    assert git(root, "show", "main:b.txt") == "ours\n"
    git(root, "fsck", "--strict", "--no-dangling")


HEADS = {
    "crlf": b"ref: refs/heads/main\r\n",
    "trailing_blanks": b"ref: refs/heads/main  \n",
    "no_blank_after_ref": b"ref:refs/heads/main\n",
    "a_tab_after_ref": b"ref:\trefs/heads/main\n",
}


@pytest.mark.parametrize("head", HEADS.values(), ids=HEADS.keys())
def test_a_head_file_git_reads_names_its_branch(root: Path, head: bytes) -> None:
    (root / ".git/HEAD").write_bytes(head)
    tip = git(root, "rev-parse", "HEAD").strip()  # git reads it as HEAD on main

    with Repository.open(root) as repository:
        assert repository.head == tip  # not an unborn branch, not a damaged HEAD
        repository.check_work_tree()  # what mount checks: not a broken HEAD either
        assert [entry.sha for entry in repository.log()] == [tip]
        landed = repository.commit_changes({"b.txt": b"ours\n"}, message="ours")

    assert git(root, "rev-parse", "main").strip() == landed.sha
    assert git(root, "rev-parse", "main^").strip() == tip
    assert (root / ".git/HEAD").read_bytes() == head
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--strict", "--no-dangling")


def test_a_branch_that_is_a_symbolic_ref_moves_the_branch_it_names(root: Path) -> None:
    git(root, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    git(root, "symbolic-ref", "HEAD", "refs/heads/alias")
    tip = git(root, "rev-parse", "HEAD").strip()

    with Repository.open(root) as repository:
        assert repository.head == tip
        landed = repository.commit_changes({"b.txt": b"ours\n"}, message="ours")

    assert git(root, "rev-parse", "main").strip() == landed.sha
    assert (root / ".git/refs/heads/alias").read_text() == "ref: refs/heads/main\n"
    assert (root / ".git/HEAD").read_text() == "ref: refs/heads/alias\n"
    assert git(root, "log", "-g", "-1", "--format=%H", "main").strip() == landed.sha
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--strict", "--no-dangling")


def test_a_branch_git_commits_and_packs_between_our_commits_is_read_from_packed_refs(
    root: Path,
) -> None:
    git(root, "pack-refs", "--all")
    with Repository.open(root) as repository:
        ours = repository.commit_changes({"b.txt": b"ours 1\n"}, message="ours 1")
        (root / "c.txt").write_text("theirs\n")
        git(root, "add", "c.txt")
        git(root, "commit", "-q", "-m", "theirs")
        git(root, "pack-refs", "--all")  # the loose file goes: only packed-refs has it
        theirs = git(root, "rev-parse", "main").strip()
        assert not (root / ".git/refs/heads/main").exists()

        landed = repository.commit_changes({"b.txt": b"ours 2\n"}, message="ours 2")

    assert git(root, "rev-parse", "main^").strip() == theirs
    assert git(root, "rev-parse", "main^^").strip() == ours.sha
    assert git(root, "rev-parse", "main").strip() == landed.sha
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--strict", "--no-dangling")


def test_an_unborn_branch_whose_name_another_branch_holds_as_a_folder_is_refused_plainly(
    root: Path,
) -> None:
    git(root, "branch", "-q", "-m", "main", "main/x")
    git(root, "symbolic-ref", "HEAD", "refs/heads/main")  # git cannot commit here either
    (root / ".git/index").unlink()

    with Repository.open(root) as repository, pytest.raises(RepositoryError) as caught:
        repository.commit_changes({"b.txt": b"ours\n"}, message="ours")

    assert "refs/heads/main/x exists" in str(caught.value)  # not a conflict to retry
    assert not (root / "b.txt").exists()
    assert git(root, "for-each-ref", "--format=%(refname)") == "refs/heads/main/x\n"
