"""Real git racing our writers in one repository: no commit reported as landed is undone.

A person commits with plain ``git`` (``git commit -am``, or ``git add`` + ``git commit``)
and runs ``git gc`` / ``git repack -adf`` while the agent commits through the library.
Each side runs a bounded loop in its own thread; whatever the interleaving (the machine
may be loaded), every agent commit reported as landed must be in the final history with
its change intact, no person's commit may carry or revert an agent file, and the
repository must pass ``git fsck --strict``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gitworktree import ConflictError, GitWorktreeError
from gitworktree.history import Repository
from tests.oracle import git, git_lines

PERSON = {
    "GIT_AUTHOR_NAME": "Person",
    "GIT_AUTHOR_EMAIL": "person@example.com",
    "GIT_COMMITTER_NAME": "Person",
    "GIT_COMMITTER_EMAIL": "person@example.com",
}


@dataclass
class AgentRun:
    """What the agent's loop saw: each landed commit and the value it wrote where."""

    landed: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    refused: list[GitWorktreeError] = field(default_factory=list)
    raw: list[BaseException] = field(default_factory=list)


def agent_loop(repo: Repository, rounds: int, run: AgentRun) -> None:
    """Commit ``rounds`` times, six files each, pausing briefly between commits as an
    agent does (so the person's git finds the index unlocked now and then)."""
    for step in range(rounds):
        change = {f"agent/{step % 4}.json": f'{{"step": {step}}}\n', "agent/log.txt": f"{step}\n"}
        change.update({f"agent/notes/{k}.txt": f"{step}\n" for k in range(4)})
        try:
            info = repo.commit_changes(
                {path: data.encode() for path, data in change.items()}, message=f"agent {step}"
            )
        except (ConflictError, GitWorktreeError) as error:
            run.refused.append(error)  # refused, nothing landed: allowed, and counted
        except Exception as error:  # a raw error escaping is what the test looks for
            run.raw.append(error)
        else:
            run.landed.append((info.sha, change))
        time.sleep(0.003)


def run_git(root: Path, *args: str) -> bool:
    env = {**os.environ, **PERSON}
    done = subprocess.run(["git", "-C", str(root), *args], env=env, capture_output=True)
    return done.returncode == 0


def person_commit_all(root: Path, step: int) -> None:
    (root / "person.txt").write_text(f"person {step}\n")
    run_git(root, "commit", "-qam", f"person {step}")  # refused while we hold the index


def person_add_then_commit(root: Path, step: int) -> None:
    (root / "person.txt").write_text(f"person {step}\n")
    if run_git(root, "add", "person.txt"):
        run_git(root, "commit", "-qm", f"person {step}")


def person_gc(root: Path, step: int) -> None:
    # Plain `git gc` (it prunes only objects older than two weeks: `--prune=now` is unsafe
    # beside any writer, git's own included), and a repack that replaces every pack and
    # deletes the loose objects it packed.
    run_git(root, "gc", "-q") if step % 2 else run_git(root, "repack", "-qadf")


def race(
    repo: Repository, person: Callable[[Path, int], None], person_rounds: int, agent_rounds: int
) -> AgentRun:
    """Run the person's loop in a thread against the agent's loop; both bounded."""
    run = AgentRun()
    start = threading.Barrier(2)

    def persons_side() -> None:
        start.wait()
        for step in range(person_rounds):
            person(repo.path, step)

    thread = threading.Thread(target=persons_side)
    thread.start()
    start.wait()
    try:
        agent_loop(repo, agent_rounds, run)
    finally:
        thread.join()
    return run


def undone(repo: Repository, run: AgentRun) -> list[str]:
    """Landed agent commits missing from HEAD's history, or whose change HEAD lost."""
    head = git(repo, "rev-parse", "HEAD").strip()
    missing = [
        sha
        for sha, _ in run.landed
        if not run_git(repo.path, "merge-base", "--is-ancestor", sha, head)
    ]
    latest: dict[str, tuple[str, str]] = {}
    for sha, change in run.landed:
        latest.update({path: (sha, data) for path, data in change.items()})
    lost = [
        sha for path, (sha, data) in latest.items() if git(repo, "show", f"HEAD:{path}") != data
    ]
    return sorted({*missing, *lost})


def person_commits_touching_agent_files(repo: Repository) -> list[str]:
    lines = git_lines(repo, "log", "--format=>%H", "--name-only", "--author=Person", "HEAD")
    touching, current = [], ""
    for line in lines:
        if line.startswith(">"):
            current = line[1:]
        elif line.startswith("agent/") and current not in touching:
            touching.append(current)
    return touching


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"agent/log.txt": b"start\n"}, message="agent start")
        (repository.path / "person.txt").write_text("person start\n")
        assert run_git(repository.path, "add", "person.txt")
        assert run_git(repository.path, "commit", "-qm", "person start")
        yield repository


PEOPLE = {
    "commit-am": (person_commit_all, 100),
    "add-then-commit": (person_add_then_commit, 60),
}


@pytest.mark.parametrize("person", PEOPLE.values(), ids=PEOPLE.keys())
def test_a_persons_git_commits_never_undo_a_landed_agent_commit(
    repo: Repository, person: tuple[Callable[[Path, int], None], int]
) -> None:
    loop, rounds = person
    run = race(repo, loop, person_rounds=rounds, agent_rounds=60)

    assert run.raw == []
    assert run.landed, run.refused  # the agent's commits do land beside the person's
    assert undone(repo, run) == []
    assert person_commits_touching_agent_files(repo) == []
    git(repo, "fsck", "--strict")
    assert git_lines(repo, "status", "--porcelain", "--", "agent") == []


def test_git_gc_and_repack_never_break_or_undo_agent_commits(repo: Repository) -> None:
    run = race(repo, person_gc, person_rounds=8, agent_rounds=40)

    assert run.raw == []
    assert len(run.landed) == 40, run.refused  # a vanished file is retried, not refused
    assert undone(repo, run) == []
    git(repo, "fsck", "--strict")
    assert git_lines(repo, "status", "--porcelain") == []
