"""Repository's checkpoint and remote operations share its writer lock, and its documented API."""

from __future__ import annotations

import inspect
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gitworktree.history import Checkpoint, Repository
from gitworktree.history._repository_checkpoints import CheckpointOperations
from gitworktree.history._repository_remotes import RemoteOperations
from gitworktree.history._worktree.writelock import exclusive


@exclusive
def _create_checkpoint_while_locked(repo: Repository, name: str) -> Checkpoint:
    return repo.create_checkpoint(name)


@exclusive
def _add_remote_while_locked(repo: Repository, url: str) -> dict[str, str]:
    repo.add_remote("origin", url)
    return repo.remotes()


# With a lock of its own, the collaborator would wait on the flock this thread holds until
# the (shortened) timeout; sharing the repository's guard, it re-enters.
def test_checkpoint_is_created_under_a_lock_the_same_thread_holds(
    repo: Repository, short_lock_timeout: float
) -> None:
    repo.commit_changes({"f": b"1"}, message="one")
    checkpoint = _create_checkpoint_while_locked(repo, "inside")
    assert checkpoint.sha == repo.head


def test_remote_is_added_under_a_lock_the_same_thread_holds(
    repo: Repository, short_lock_timeout: float, tmp_path: Path
) -> None:
    assert _add_remote_while_locked(repo, str(tmp_path / "elsewhere")) == {
        "origin": str(tmp_path / "elsewhere")
    }


def test_checkpoint_restores_through_the_repository(repo: Repository) -> None:
    repo.commit_changes({"f": b"1"}, message="one")
    with pytest.raises(RuntimeError), repo.create_checkpoint("before"):
        repo.commit_changes({"f": b"2"}, message="two")
        raise RuntimeError("undo")
    assert repo.show("HEAD", "f") == b"1"


CHECKPOINT_METHODS = [
    "checkpoints", "remote_checkpoints", "checkpoint", "create_checkpoint", "delete_checkpoint",
]  # fmt: skip
REMOTE_METHODS = ["remotes", "add_remote", "remove_remote", "fetch", "push", "pull", "merge"]
DELEGATED = [(CheckpointOperations, name) for name in CHECKPOINT_METHODS] + [
    (RemoteOperations, name) for name in [*REMOTE_METHODS, "sync_with"]
]


@pytest.mark.parametrize(
    ("collaborator", "name"),
    DELEGATED,
    ids=[f"{collaborator.__name__}.{name}" for collaborator, name in DELEGATED],
)
def test_repository_method_has_the_collaborators_signature(
    collaborator: type[object], name: str
) -> None:
    ours = inspect.signature(getattr(Repository, name))
    theirs = inspect.signature(inspect.unwrap(getattr(collaborator, name)))
    assert str(ours) == str(theirs)
    assert getattr(Repository, name).__doc__, "the public method carries the documentation"


def test_remote_operations_are_made_once_when_threads_race_to_the_first_use(
    repo: Repository,
) -> None:
    # Made by the first use (a history command never imports remotes), and only once: it
    # keeps the sync loop's state (how long recent syncs took) from one call to the next.
    # Threads switch as often as the interpreter allows, all released at once, on several
    # fresh repositories: without the lock some of them make their own.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            with Repository.open(repo.path) as fresh, ThreadPoolExecutor(8) as pool:
                start = threading.Barrier(8)

                def first_use(
                    _: int, fresh: Repository = fresh, start: threading.Barrier = start
                ) -> object:
                    start.wait()
                    return fresh._remotes

                made = list(pool.map(first_use, range(8)))
            assert all(operations is made[0] for operations in made)
    finally:
        sys.setswitchinterval(interval)
