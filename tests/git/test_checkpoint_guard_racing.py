"""A checkpoint's guard (``with checkpoint:``) never undoes someone else's commit.

When the guarded block raises, the guard restores the whole tree to the checkpoint. A
person's ``git commit`` or another writer's commit that landed on the branch during the
block would be silently reverted by that restore (kept in history, gone from HEAD). The
guard restores only when every commit since the checkpoint is this writer's own;
otherwise it refuses with ``ConflictError`` (the block's exception as its context),
writing nothing. Real git is the second actor and the oracle.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitworktree import ConflictError, mount
from gitworktree.history import Repository
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree


class StepFailed(Exception):
    """The agent's step failing inside the guarded block."""


def person_commits(root: Path) -> None:
    (root / "person.txt").write_text("the person's work\n")
    for args in (["add", "person.txt"], ["commit", "-qm", "Person's work"]):
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def another_writer_commits(root: Path) -> None:
    with Repository.open(root) as other:
        other.commit_changes({"other.json": b'{"by": "agent B"}\n'}, message="Agent B's work")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"state.json": b'{"step": 1}\n'}, message="step 1")
        yield repository


OTHERS: dict[str, Callable[[Path], None]] = {
    "a person's git commit": person_commits,
    "another writer's commit": another_writer_commits,
}


@pytest.mark.parametrize("other", OTHERS.values(), ids=OTHERS.keys())
def test_a_guard_refuses_to_undo_a_commit_someone_else_made_during_the_block(
    repo: Repository, other: Callable[[Path], None]
) -> None:
    with pytest.raises(ConflictError) as raised, repo.create_checkpoint("guard"):
        repo.commit_changes({"state.json": b'{"step": 99}\n'}, message="bad step")
        other(repo.path)
        head = git(repo, "rev-parse", "HEAD")
        raise StepFailed

    assert raised.value.reason == "foreign-commits"
    assert isinstance(raised.value.__context__, StepFailed)
    assert git(repo, "rev-parse", "HEAD") == head  # nothing restored, nothing undone
    assert git(repo, "status", "--porcelain") == ""
    assert "guard" in str(raised.value)


def test_a_guard_still_undoes_this_writers_own_commits_and_restores(repo: Repository) -> None:
    with pytest.raises(StepFailed), repo.create_checkpoint("guard"):
        repo.commit_changes({"state.json": b'{"step": 2}\n'}, message="step 2")
        repo.restore("HEAD~1", hard=True)  # its own moves, back and forth
        repo.commit_changes({"state.json": b'{"step": 99}\n'}, message="bad step")
        raise StepFailed

    assert git_lines(repo, "log", "--format=%s", "-1") == ["Restore guard"]
    assert git(repo, "show", "HEAD:state.json") == '{"step": 1}\n'


def test_a_mounted_trees_guard_keeps_a_persons_commit(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    tree = mount(CounterTree, root)

    with pytest.raises(ConflictError, match="Person's work"), tree.checkpoint("guard"):
        tree.counter.number = 99
        tree.commit("bad step")
        person_commits(root)
        raise StepFailed

    assert git(root, "show", "HEAD:person.txt") == "the person's work\n"
    assert git_lines(root, "log", "--format=%s", "-1") == ["Person's work"]


def test_a_commit_landing_as_the_guard_starts_its_restore_is_not_undone(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked on the very HEAD the restore moves from, not a moment before it."""
    real_restore = Repository._restore_locked

    def person_commits_first(self: Repository, *args: Any, **kwargs: Any) -> Any:
        person_commits(self.path)
        return real_restore(self, *args, **kwargs)

    with pytest.raises(ConflictError) as raised, repo.create_checkpoint("guard"):
        repo.commit_changes({"state.json": b'{"step": 99}\n'}, message="bad step")
        monkeypatch.setattr(Repository, "_restore_locked", person_commits_first)
        raise StepFailed

    assert raised.value.reason == "foreign-commits"
    assert git_lines(repo, "log", "--format=%s", "-1") == ["Person's work"]


def _person_pushes_to_a_hub(tmp_path: Path, repo: Repository) -> None:
    """``repo`` pushes to a hub, ``origin``; a person clones it and pushes a commit of theirs."""
    hub = tmp_path / "hub.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(hub))
    git(repo.path, "remote", "add", "origin", str(hub))
    git(repo.path, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(hub), "b")
    person_commits(tmp_path / "b")
    git(tmp_path / "b", "push", "-q", "origin", "main")


def test_a_guard_refuses_to_undo_another_writers_commit_pulled_during_the_block(
    tmp_path: Path, repo: Repository
) -> None:
    """A pull's move of the branch is this writer's, but the commit it brings is not:
    restoring past it would revert B's work, and the next push would spread that."""
    _person_pushes_to_a_hub(tmp_path, repo)

    with (
        pytest.raises(ConflictError, match="Person's work") as raised,
        repo.create_checkpoint("guard"),
    ):
        repo.pull("origin")
        raise StepFailed

    assert raised.value.reason == "foreign-commits"
    assert git(repo.path, "show", "HEAD:person.txt") == "the person's work\n"
    assert (repo.path / "person.txt").read_text() == "the person's work\n"


def test_a_guard_around_a_merging_pull_names_the_merged_in_commit_not_the_merge(
    tmp_path: Path, repo: Repository
) -> None:
    """The merge commit is this writer's; what it would undo is the other side's work,
    and the refusal names that commit and its author."""
    _person_pushes_to_a_hub(tmp_path, repo)

    with (
        pytest.raises(ConflictError, match="Person's work") as raised,
        repo.create_checkpoint("guard"),
    ):
        repo.commit_changes({"state.json": b'{"step": 2}\n'}, message="step 2")
        repo.pull("origin")
        raise StepFailed

    assert "Merge" not in str(raised.value).split("committed since")[0]
    assert git(repo.path, "show", "HEAD:person.txt") == "the person's work\n"
