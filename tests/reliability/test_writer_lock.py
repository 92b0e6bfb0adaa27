"""After a writer is killed mid-write, the next one removes what it left, and only that."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree.history import Repository
from gitworktree.history._worktree.writelock import WRITER_LOCK_NAME
from tests.oracle import git


def killed_mid_write(repo: Repository, pid: int, **moving: str) -> None:
    """The state record a writer leaves when it dies between taking the lock and idle."""
    state = {"state": "writing", "pid": pid, "since": time.time_ns() - 1_000_000_000, **moving}
    (repo.path / ".git" / WRITER_LOCK_NAME).write_bytes(json.dumps(state).encode().ljust(512))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


def test_a_killed_writers_locks_and_half_written_objects_are_removed(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    repo.commit_changes({"plan.json": b"{}\n"}, message="one")
    objects = repo.path / ".git" / "objects"
    (objects / "ab").mkdir(exist_ok=True)
    dead, alive = 4_000_001, os.getpid()
    moving_to = "c0ffee" * 6 + "c0de"
    left = [
        repo.path / ".git" / "refs" / "heads" / "main.lock",
        objects / "ab" / f"tmp_obj_{dead}_0badc0de",
        repo.path / ".git" / f"sharedindex.gitworktree-{dead}",  # a split index's, half-written
    ]
    kept = [
        objects / "ab" / f"tmp_obj_{alive}_00c0ffee",  # a live writer's
        objects / "ab" / "tmp_obj_Xq3zYw",  # git's naming
        objects / "pack" / "tmpk2j4h1x9.pack",  # maybe a fetch writing now: see housekeeping
        repo.path / ".git" / f"sharedindex.gitworktree-{alive}",
    ]
    (objects / "pack").mkdir(exist_ok=True)
    for path in [*left, *kept]:
        path.write_bytes(b"partial")
    left[0].write_bytes(f"{moving_to}\n".encode())  # what it was writing into the ref
    killed_mid_write(repo, dead, ref="refs/heads/main", to=moving_to)

    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        repo.commit_changes({"plan.json": b'{"step": 2}\n'}, message="two")

    assert [path for path in left if path.exists()] == []
    assert all(path.exists() for path in kept)  # another live writer's, and git's naming
    (message,) = [r.getMessage() for r in caplog.records if "killed mid-write" in r.getMessage()]
    assert f"pid {dead}" in message and f"tmp_obj_{dead}_0badc0de" in message
    git(repo, "fsck", "--strict")


def parking_folders(repo: Repository) -> list[str]:
    return sorted(path.name for path in (repo.path / ".git").glob("gitworktree-parked-*"))


def test_a_writer_keeps_its_empty_parking_folder_between_its_commits(repo: Repository) -> None:
    repo.commit_changes({"plan.json": b"{}\n"}, message="one")
    repo.commit_changes({"plan.json": b"{}\n{}\n"}, message="two")

    folder = repo.path / ".git" / f"gitworktree-parked-{os.getpid()}"
    assert parking_folders(repo) == [folder.name]
    assert list(folder.iterdir()) == []  # the replaced files are not kept once landed


def test_the_empty_parking_folder_of_a_writer_that_is_gone_is_removed(
    repo: Repository,
) -> None:
    # A writer that exited without its exit hook (killed while idle) leaves its
    # empty folder and an idle record: the next writer of another process removes it.
    gone = 4_000_003
    (repo.path / ".git" / f"gitworktree-parked-{gone}").mkdir()
    idle = {"state": "idle", "pid": gone}
    (repo.path / ".git" / WRITER_LOCK_NAME).write_bytes(json.dumps(idle).encode().ljust(512))

    repo.commit_changes({"plan.json": b"{}\n"}, message="one")

    assert parking_folders(repo) == [f"gitworktree-parked-{os.getpid()}"]


def test_a_process_removes_what_it_kept_between_writes_when_it_exits(repo: Repository) -> None:
    script = (
        "import sys\n"
        "from gitworktree.history import Repository\n"
        "with Repository.open(sys.argv[1]) as repository:\n"
        "    repository.commit_changes({'plan.json': b'{}\\n'}, message='from a process')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(repo.path)], check=True)

    assert parking_folders(repo) == []
    assert lock_markers(repo) == []
    assert git(repo, "log", "-1", "--format=%s") == "from a process\n"


def lock_markers(repo: Repository) -> list[str]:
    return sorted(path.name for path in (repo.path / ".git").glob("index.lock.gitworktree-*"))


def test_a_writer_writes_its_index_lock_marker_once_and_links_it_each_commit(
    repo: Repository,
) -> None:
    repo.commit_changes({"plan.json": b"{}\n"}, message="one")
    (marker,) = (repo.path / ".git").glob(f"index.lock.gitworktree-{os.getpid()}.*")
    first = marker.stat()
    repo.commit_changes({"plan.json": b"{}\n{}\n"}, message="two")

    assert marker.stat().st_ino == first.st_ino  # the same file: not written again
    assert marker.read_bytes().startswith(b"gitworktree {")  # what the lock holds
    assert not (repo.path / ".git" / "index.lock").exists()
    git(repo, "fsck", "--strict")


def test_a_marker_someone_removed_is_written_again(repo: Repository) -> None:
    repo.commit_changes({"plan.json": b"{}\n"}, message="one")
    (marker,) = (repo.path / ".git").glob(f"index.lock.gitworktree-{os.getpid()}.*")
    marker.unlink()

    repo.commit_changes({"plan.json": b"{}\n{}\n"}, message="two")

    assert git(repo, "log", "-1", "--format=%s") == "two\n"
    assert lock_markers(repo) == [marker.name]


def test_the_marker_of_a_writer_that_is_gone_is_removed(repo: Repository) -> None:
    gone = 4_000_005
    for name in (f"index.lock.gitworktree-{gone}.0badc0de", f"index.lock.gitworktree-{gone}"):
        (repo.path / ".git" / name).write_bytes(b"gitworktree {}\n")
    idle = {"state": "idle", "pid": gone}
    (repo.path / ".git" / WRITER_LOCK_NAME).write_bytes(json.dumps(idle).encode().ljust(512))

    repo.commit_changes({"plan.json": b"{}\n"}, message="one")

    (ours,) = lock_markers(repo)
    assert ours.startswith(f"index.lock.gitworktree-{os.getpid()}.")


def test_two_processes_that_share_a_pid_keep_markers_of_their_own(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two containers with one .git: both agents can be pid 1. Each writes its own
    # marker, so neither's index.lock ever names the other.
    import gitworktree.atomic as atomic

    repo.commit_changes({"plan.json": b"{}\n"}, message="one")
    monkeypatch.setattr(atomic, "_this_process", (os.getpid(), "0othe4"))
    repo.commit_changes({"plan.json": b"{}\n{}\n"}, message="two")

    assert len(lock_markers(repo)) == 2
    assert git(repo, "log", "-1", "--format=%s") == "two\n"
