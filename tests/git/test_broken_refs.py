"""Broken and unborn branches: refused before anything is touched, never read as 'no commit'.

A crash often leaves ``refs/heads/main`` or ``HEAD`` empty, and a person may point HEAD at
a branch that does not exist. Read as "no commit yet", such a repository made a mount
delete every tracked file (as a "finished interrupted checkout") and commit defaults on
a new history. Each state is built with real git, and the whole directory (work tree and
``.git``) is fingerprinted before and after: unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitworktree import RepositoryError, UnsupportedRepositoryError, mount
from gitworktree.cli.app import cli
from gitworktree.history import Repository
from tests.git.shapes import fingerprint
from tests.git.writers import leave_a_killed_writer
from tests.oracle import git
from tests.tree.models import CounterTree


@pytest.fixture
def worked_repo(tmp_path: Path) -> Path:
    """A repository with an agent's artifact and a person's file, both committed."""
    root = tmp_path / "repo"
    tree = mount(CounterTree, root)
    tree.counter.number = 5
    tree.commit("Count to five")
    (root / "notes.txt").write_text("a person's notes\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-m", "Notes")
    return root


def _empty_branch(root: Path) -> None:
    (root / ".git" / "refs" / "heads" / "main").write_bytes(b"")


def _empty_head(root: Path) -> None:
    (root / ".git" / "HEAD").write_bytes(b"")


def _garbage_head(root: Path) -> None:
    (root / ".git" / "HEAD").write_bytes(b"\x00\x00\x00\x00")


def _branch_at_missing_commit(root: Path) -> None:
    (root / ".git" / "refs" / "heads" / "main").write_text("1" * 40 + "\n")


def _head_at_missing_branch(root: Path) -> None:
    git(root, "symbolic-ref", "HEAD", "refs/heads/nope")


BROKEN: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "empty branch": (_empty_branch, "broken-branch", "refs/heads/main"),
    "empty HEAD": (_empty_head, "broken-head", "HEAD"),
    "garbage HEAD": (_garbage_head, "broken-head", "HEAD"),
    "branch at a missing commit": (_branch_at_missing_commit, "broken-branch", "main"),
    "HEAD at a missing branch": (_head_at_missing_branch, "unborn-branch", "refs/heads/nope"),
}


@pytest.mark.parametrize("state", sorted(BROKEN), ids=sorted(BROKEN))
def test_a_mount_refuses_a_broken_or_unborn_branch_and_touches_nothing(
    worked_repo: Path, state: str
) -> None:
    damage, reason, named = BROKEN[state]
    damage(worked_repo)
    before = fingerprint(worked_repo)

    with pytest.raises(UnsupportedRepositoryError, match="Nothing was changed") as raised:
        mount(CounterTree, worked_repo)

    assert raised.value.reason == reason
    assert named in str(raised.value)
    assert fingerprint(worked_repo) == before


# A killed writer is a process start each: the two states a crash and a person make most.
KILLED_STATES = ["HEAD at a missing branch", "empty branch"]


@pytest.mark.parametrize("state", KILLED_STATES, ids=KILLED_STATES)
def test_a_killed_writer_does_not_make_a_broken_branch_recoverable(
    worked_repo: Path, state: str
) -> None:
    """Even when the lock's record says a writer died mid-write, "no commit" wipes nothing."""
    damage, reason, _named = BROKEN[state]
    damage(worked_repo)
    leave_a_killed_writer(worked_repo / ".git")
    before = fingerprint(worked_repo)

    with Repository.open(worked_repo) as repository, pytest.raises(UnsupportedRepositoryError):
        repository.recover_worktree()

    assert fingerprint(worked_repo) == before
    with pytest.raises(UnsupportedRepositoryError) as raised:
        mount(CounterTree, worked_repo)
    assert raised.value.reason == reason
    assert fingerprint(worked_repo) == before


def test_the_empty_branch_error_names_the_commit_to_point_it_back_at(worked_repo: Path) -> None:
    last = git(worked_repo, "rev-parse", "HEAD").strip()
    _empty_branch(worked_repo)

    with pytest.raises(UnsupportedRepositoryError) as raised:
        mount(CounterTree, worked_repo)

    assert f"git update-ref refs/heads/main <commit>` (its reflog's last entry: {last})" in str(
        raised.value
    )


def test_a_fresh_repository_with_files_and_no_index_is_mounted(tmp_path: Path) -> None:
    """No commit at all and an empty index: the first commit is made there, as intended."""
    root = tmp_path / "fresh"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "counter.json").write_text('{"number": 3}\n')

    tree = mount(CounterTree, root)
    assert tree.counter.number == 3
    assert tree.foreign_edits() == ["counter.json"]  # a person's file, not yet committed
    tree.adopt()
    tree.counter.number = 4
    tree.commit("First count")

    assert json.loads(git(root, "show", "HEAD:counter.json")) == {"number": 4}
    assert git(root, "status", "--porcelain") == ""


def test_an_orphan_branch_beside_other_branches_is_refused(worked_repo: Path) -> None:
    """`git checkout --orphan` keeps the index: the files belong to someone's work."""
    git(worked_repo, "checkout", "-q", "--orphan", "fresh-start")
    before = fingerprint(worked_repo)

    with pytest.raises(UnsupportedRepositoryError, match="git switch main") as raised:
        mount(CounterTree, worked_repo)

    assert raised.value.reason == "unborn-branch"
    assert fingerprint(worked_repo) == before


def test_a_branch_moved_by_someone_else_is_not_checked_out_by_a_mount(worked_repo: Path) -> None:
    """Only a writer lock record of a killed writer proves a checkout was interrupted."""
    first = git(worked_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    git(worked_repo, "update-ref", "refs/heads/main", first)  # like `git reset --soft`
    before = fingerprint(worked_repo)

    tree = mount(CounterTree, worked_repo)

    assert tree.counter.number == 5  # the file on disk, as git status shows it
    assert (worked_repo / "notes.txt").read_text() == "a person's notes\n"
    after = fingerprint(worked_repo)
    for found in (before, after):  # a mount takes the writer lock, which keeps a record
        found.pop(".git/gitworktree.lock", None)
    assert after == before


def test_restore_refuses_a_head_naming_an_invalid_ref_and_writes_nothing(
    worked_repo: Path,
) -> None:
    with Repository.open(worked_repo) as repository:
        repository.create_checkpoint("cp1")
    (worked_repo / ".git" / "HEAD").write_text("ref: refs/heads/../../x\n")
    before = fingerprint(worked_repo)

    with Repository.open(worked_repo) as repository, pytest.raises(UnsupportedRepositoryError):
        repository.restore("cp1")

    assert fingerprint(worked_repo) == before


def test_a_git_file_naming_a_missing_directory_is_a_damaged_repository(tmp_path: Path) -> None:
    root = tmp_path / "linked"
    root.mkdir()
    (root / ".git").write_text(f"gitdir: {tmp_path / 'removed-worktree'}\n")

    with pytest.raises(RepositoryError, match="points at") as raised:
        Repository.open(root)

    assert raised.value.reason == "damaged"
    result = CliRunner().invoke(cli, ["-C", str(root), "status"], catch_exceptions=False)
    assert result.exit_code == 1 and "does not exist" in result.output
