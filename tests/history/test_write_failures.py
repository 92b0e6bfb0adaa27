"""A write that fails either changed nothing (and says so) or landed (and returns it).

Faults are injected at each step of a commit or restore: a full disk while the files or
the index are written (before the branch moves: refused, everything as it was), an error
once the branch has moved (landed: the commit is returned, a warning logged), and a file
vanishing under a concurrent ``git gc`` (retried). Real ``git`` is the oracle.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitworktree import GitWorktreeError, RepositoryError
from gitworktree.history import CommitInfo, Repository
from gitworktree.history._refs import refs as refs_module
from gitworktree.history._worktree import index as index_module
from gitworktree.history._worktree import materialize
from tests.oracle import git, git_lines

Operation = Callable[[Repository], CommitInfo]


def full_disk(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def commit(repo: Repository) -> CommitInfo:
    return repo.commit_changes({"plan.json": b'{"step": 2}\n', "new.txt": b"new\n"}, message="two")


def restore_soft(repo: Repository) -> CommitInfo:
    return repo.restore("first")


def restore_hard(repo: Repository) -> CommitInfo:
    return repo.restore("first", hard=True)


OPERATIONS = {"commit": commit, "restore": restore_soft, "restore-hard": restore_hard}


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"plan.json": b'{"step": 0}\n'}, message="zero")
        repository.create_checkpoint("first")
        repository.commit_changes({"plan.json": b'{"step": 1}\n', "old.txt": b"o\n"}, message="one")
        yield repository


def fingerprint(repo: Repository) -> dict[str, str]:
    """Every file of the work tree and ``.git`` except logs, by content hash."""
    files = {}
    for path in sorted(repo.path.rglob("*")):
        relative = path.relative_to(repo.path).as_posix()
        if path.is_file() and not relative.startswith(".git/logs"):
            files[relative] = hashlib.sha1(path.read_bytes()).hexdigest()
    return files


FULL_DISK_BEFORE_THE_MOVE = {
    "writing-files": (materialize, "atomic_write_many"),
    "placing-the-index": (index_module, "_replace_file"),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
@pytest.mark.parametrize(
    "target", FULL_DISK_BEFORE_THE_MOVE.values(), ids=FULL_DISK_BEFORE_THE_MOVE.keys()
)
def test_a_full_disk_before_the_branch_moves_changes_nothing(
    repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
    operation: Operation,
    target: tuple[object, str],
) -> None:
    head = repo.head
    before = {k: v for k, v in fingerprint(repo).items() if not k.startswith(".git/objects")}
    with monkeypatch.context() as patch:
        patch.setattr(*target, full_disk)
        with pytest.raises(RepositoryError, match="nothing was changed") as caught:
            operation(repo)

    assert isinstance(caught.value.__cause__, OSError)
    assert repo.head == head
    after = {k: v for k, v in fingerprint(repo).items() if not k.startswith(".git/objects")}
    assert after == before
    assert git(repo, "status", "--porcelain") == ""
    landed = operation(repo)  # space freed: the same call lands
    assert repo.head == landed.sha
    git(repo, "fsck", "--strict")


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_an_error_once_the_branch_moved_returns_the_landed_commit(
    repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    operation: Operation,
) -> None:
    original = refs_module._swap_loose_ref

    def moves_then_fails(*args: Any, **kwargs: Any) -> bool | None:
        original(*args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(refs_module, "_swap_loose_ref", moves_then_fails)
    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        landed = operation(repo)

    assert repo.head == landed.sha == git(repo, "rev-parse", "HEAD").strip()
    assert any("moved to" in record.getMessage() for record in caplog.records)
    assert git(repo, "status", "--porcelain") == ""  # files and index are the commit's
    assert not (repo.path / ".git" / "index.lock").exists()
    git(repo, "fsck", "--strict")


def test_heads_reflog_failing_after_the_move_is_a_warning(
    repo: Repository, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from gitworktree.history._refs import refs

    original = refs.append_reflog

    def heads_fails(repository: Any, ref: bytes, *args: Any, **kwargs: Any) -> None:
        if ref == refs.HEAD:
            full_disk()
        original(repository, ref, *args, **kwargs)

    monkeypatch.setattr(refs, "append_reflog", heads_fails)
    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        landed = commit(repo)

    assert repo.head == landed.sha
    assert any("reflog" in record.getMessage() for record in caplog.records)
    assert git_lines(repo, "reflog", "-1", "--format=%H", "refs/heads/main") == [landed.sha]
    assert git(repo, "status", "--porcelain") == ""


def test_the_branchs_own_reflog_failing_leaves_the_branch_where_it_was(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in git, the branch's reflog entry is written under its lock, before the move:
    # if it cannot be written the branch does not move, and nothing else is kept.
    from gitworktree.history._refs import refs

    original = refs.append_reflog

    def branch_fails(repository: Any, ref: bytes, *args: Any, **kwargs: Any) -> None:
        if ref != refs.HEAD:
            full_disk()
        original(repository, ref, *args, **kwargs)

    head = repo.head
    before = {k: v for k, v in fingerprint(repo).items() if not k.startswith(".git/objects")}
    monkeypatch.setattr(refs, "append_reflog", branch_fails)
    with pytest.raises(RepositoryError, match="nothing was changed"):
        commit(repo)

    assert repo.head == head
    after = {k: v for k, v in fingerprint(repo).items() if not k.startswith(".git/objects")}
    assert after == before  # no refs/heads/main.lock, files and index put back
    assert git(repo, "status", "--porcelain") == ""


def test_a_directory_pruned_by_git_gc_mid_commit_is_retried(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitworktree.history._worktree import commit as commit_module

    original = commit_module._store_objects
    calls = []

    def pruned_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", "objects/ab")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(commit_module, "_store_objects", pruned_once)
    landed = commit(repo)

    assert len(calls) == 2
    assert repo.head == landed.sha
    assert git(repo, "status", "--porcelain") == ""


def test_a_file_that_keeps_vanishing_is_a_repository_error(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitworktree.history._worktree import commit as commit_module

    def always_pruned(*_args: object, **_kwargs: object) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "objects/ab")

    head = repo.head
    monkeypatch.setattr(commit_module, "_store_objects", always_pruned)
    with pytest.raises(GitWorktreeError, match="vanished") as caught:
        commit(repo)

    assert isinstance(caught.value, RepositoryError)
    assert repo.head == head
    assert git(repo, "status", "--porcelain") == ""
