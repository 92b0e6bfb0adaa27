"""Lock files that are not ours: waited for, named in a clear error, never removed.

A person's ``git commit -a`` holds ``.git/index.lock`` while their editor is open. Our
writers must wait for it and then fail clearly — whatever the writer lock's record says
about an earlier gitworktree writer — and never delete it: deleting it made the person's
commit fail and swept their edit into the agent's commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree import ConflictError, RepositoryError
from gitworktree.history import Repository
from gitworktree.history._core.processes import holder_is_alive, process_record
from gitworktree.history._worktree.writelock import WRITER_LOCK_NAME
from tests.oracle import git, git_lines

EDITOR = """#!/bin/sh
# Holds `git commit` (and its index.lock, written by now) open until the test lets it go.
touch "$STARTED"
while [ ! -e "$RELEASE" ]; do sleep 0.02; done
echo "person: notes" > "$1"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"plan.json": b"{}\n", "notes.txt": b"0\n"}, message="start")
        yield repository


class PersonCommitting:
    """A real ``git commit -a`` of the person's edit, paused in its editor."""

    def __init__(self, repo: Repository, tmp_path: Path) -> None:
        editor = tmp_path / "editor.sh"
        editor.write_text(EDITOR)
        editor.chmod(0o755)
        self.release = tmp_path / "release"
        started = tmp_path / "started"
        (repo.path / "notes.txt").write_text("the person's edit\n")
        env = {
            **os.environ,
            "GIT_EDITOR": str(editor),
            "RELEASE": str(self.release),
            "STARTED": str(started),
            "GIT_AUTHOR_NAME": "Person",
            "GIT_AUTHOR_EMAIL": "person@example.com",
        }
        self.process = subprocess.Popen(
            ["git", "-C", str(repo.path), "commit", "-a"], env=env, stderr=subprocess.PIPE
        )
        self.lock = repo.path / ".git" / "index.lock"
        for _ in range(3000):  # bounded: up to a minute on a very loaded machine
            if started.exists() or self.process.poll() is not None:
                break
            time.sleep(0.02)
        assert self.lock.exists(), "git commit did not take index.lock"

    def finish(self) -> None:
        self.release.touch()
        _, err = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, err


@pytest.fixture
def person(repo: Repository, tmp_path: Path) -> Iterator[PersonCommitting]:
    committing = PersonCommitting(repo, tmp_path)
    yield committing
    if committing.process.returncode is None:  # the test failed before letting it go
        committing.release.touch()
        committing.process.communicate(timeout=60)


def record(repo: Repository, state: dict[str, object]) -> None:
    raw = json.dumps(state).encode().ljust(512)
    (repo.path / ".git" / WRITER_LOCK_NAME).write_bytes(raw)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # reaped: no process has this pid now (nor, almost surely, soon)


PREVIOUS_WRITER = {
    "idle": lambda: {"state": "idle", "pid": os.getpid()},
    "killed-mid-write": lambda: {"state": "writing", "pid": dead_pid(), "since": 0},
    "alive-still-writing": lambda: {"state": "writing", **process_record(), "since": 0},
}


@pytest.mark.usefixtures("short_lock_timeout")
@pytest.mark.parametrize("previous", PREVIOUS_WRITER.values(), ids=PREVIOUS_WRITER.keys())
def test_a_live_gits_index_lock_is_waited_for_named_and_kept(
    repo: Repository, previous: object, request: pytest.FixtureRequest
) -> None:
    record(repo, previous())  # type: ignore[operator]
    person: PersonCommitting = request.getfixturevalue("person")  # after the record
    held = person.lock.read_bytes()
    head = repo.head

    with pytest.raises(RepositoryError, match=r"index\.lock") as caught:
        repo.commit_changes({"plan.json": b'{"step": 1}\n'}, message="agent")

    assert "stale" in str(caught.value) and "delete it" in str(caught.value)
    assert person.lock.read_bytes() == held  # git's lock: still there, untouched
    assert repo.head == head
    person.finish()
    landed = repo.commit_changes({"plan.json": b'{"step": 1}\n'}, message="agent")
    assert git(repo, "show", "--format=", "--name-only", landed.sha).split() == ["plan.json"]
    persons = git_lines(repo, "log", "--format=%an %s", "--", "notes.txt")
    assert persons[0] == "Person person: notes"  # their edit, their commit
    git(repo, "fsck", "--strict")
    assert git(repo, "status", "--porcelain") == ""


FAILURES = {
    "conflict": (ConflictError, {"expected_head": "0" * 40}),
    "held-lock": (RepositoryError, {}),
}


@pytest.mark.usefixtures("short_lock_timeout")
@pytest.mark.parametrize(("error", "kwargs"), FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_write_leaves_the_writer_lock_idle(
    repo: Repository, error: type[Exception], kwargs: dict[str, str]
) -> None:
    if error is RepositoryError:
        (repo.path / ".git" / "index.lock").write_bytes(b"")  # someone else's
    with pytest.raises(error):
        repo.commit_changes({"plan.json": b"[]\n"}, message="m", **kwargs)  # type: ignore[arg-type]

    state = json.loads((repo.path / ".git" / WRITER_LOCK_NAME).read_bytes())
    assert state["state"] == "idle"


def test_our_index_lock_left_by_a_killed_writer_is_removed(repo: Repository) -> None:
    pid = dead_pid()
    lock = repo.path / ".git" / "index.lock"
    lock.write_bytes(b'gitworktree {"pid":%d}\n' % pid)
    record(repo, {"state": "writing", "pid": pid, "since": 0})

    landed = repo.commit_changes({"plan.json": b"[]\n"}, message="after the crash")

    assert repo.head == landed.sha
    assert not lock.exists()


def started_at(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_bytes()
    return int(stat[stat.rfind(b")") + 2 :].split()[19])


HOLDERS = {
    "this-process": (lambda: process_record(), True),
    "pid-reused": (lambda: {**process_record(), "start": started_at(os.getpid()) + 1}, False),
    "dead-pid": (lambda: {"pid": dead_pid()}, False),
    "earlier-boot": (lambda: {**process_record(), "boot": "not-this-boot"}, False),
    "another-host": (lambda: {"pid": dead_pid(), "host": "elsewhere.example"}, True),
    "no-pid": (lambda: {"state": "writing"}, True),
}


@pytest.mark.parametrize(("holder", "alive"), HOLDERS.values(), ids=HOLDERS.keys())
def test_a_lock_holder_is_judged_by_its_process_not_its_state(holder: object, alive: bool) -> None:
    assert holder_is_alive(holder()) is alive  # type: ignore[operator]
