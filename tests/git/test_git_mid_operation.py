"""Real git run at the worst moment inside our commit, restore and checkpoint.

Each test wraps one internal step of ours so that a person's plain ``git`` command runs
exactly there (the moment a thread race would hit only now and then), then looks from
the outside with real git: ``git status``, ``git log``, ``git fsck --strict``. Whatever
the person did, nothing of theirs is undone or staged under their name, and a commit of
ours either lands whole on the branch that is checked out or is refused touching nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

import gitworktree.history._worktree.commit as commit_module
from gitworktree import RepositoryError, mount
from gitworktree.history import Repository
from tests.git.shapes import fingerprint
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree


def person(root: Path, *args: str) -> None:
    """The person's git command; it must succeed for the test to mean anything."""
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An agent's counter at 1 and a person's notes on ``main``; ``other`` has other notes."""
    root = tmp_path / "repo"
    tree = mount(CounterTree, root)
    tree.counter.number = 1
    tree.commit("Count to one")
    (root / "notes.txt").write_text("main notes\n")
    person(root, "add", "notes.txt")
    person(root, "commit", "-qm", "Notes")
    person(root, "switch", "-qc", "other")
    (root / "notes.txt").write_text("other notes\n")
    person(root, "commit", "-qam", "Other notes")
    person(root, "switch", "-q", "main")
    return root


def run_just_before_the_index_lock(
    monkeypatch: pytest.MonkeyPatch, step: Callable[[], None]
) -> list[dict[str, tuple[int, str]]]:
    """Run ``step`` once, right before our writer takes ``index.lock`` (where a writer
    waiting for a person's ``git switch`` to let go of it resumes); return the
    repository's fingerprint as ``step`` left it."""
    real = commit_module.locked_index
    seen: list[dict[str, tuple[int, str]]] = []

    def late(repo: object) -> AbstractContextManager[object]:
        if not seen:
            step()
            seen.append(fingerprint(Path(repo.path)))  # type: ignore[attr-defined]
        return real(repo)  # type: ignore[arg-type]

    monkeypatch.setattr(commit_module, "locked_index", late)
    return seen


def branch_log(root: Path, branch: str) -> list[str]:
    return git_lines(root, "log", "--format=%s", branch)


@pytest.fixture
def tree(root: Path) -> Iterator[CounterTree]:
    tree = mount(CounterTree, root)
    tree.counter.number = 2
    yield tree


SWITCHES = {  # the person's command, and the branch it leaves checked out
    "to another branch": (("switch", "-q", "other"), "other"),
    "to a new branch": (("switch", "-qc", "fresh"), "fresh"),
    "by renaming the branch": (("branch", "-m", "main", "renamed"), "renamed"),
}


@pytest.mark.parametrize(("switch", "branch"), SWITCHES.values(), ids=SWITCHES.keys())
def test_a_commit_lands_on_the_branch_checked_out_when_it_takes_the_index_lock(
    root: Path,
    tree: CounterTree,
    monkeypatch: pytest.MonkeyPatch,
    switch: tuple[str, ...],
    branch: str,
) -> None:
    """A branch read before the lock was moved while the files went into the other
    checkout, staged there: the person's next `git commit` carried the agent's change."""
    run_just_before_the_index_lock(monkeypatch, lambda: person(root, *switch))
    main_before = git(root, "rev-parse", "main")

    info = tree.commit("Count to two")

    assert info is not None
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == branch
    assert git(root, "rev-parse", branch).strip() == info.sha
    assert git(root, "status", "--porcelain") == ""
    assert json.loads(git(root, "show", "HEAD:counter.json")) == {"number": 2}
    if branch != "renamed":
        assert git(root, "rev-parse", "main") == main_before  # not the branch left behind
    git(root, "fsck", "--strict")


def test_a_commit_after_a_detach_just_before_the_index_lock_is_refused_touching_nothing(
    root: Path, tree: CounterTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = run_just_before_the_index_lock(
        monkeypatch, lambda: person(root, "checkout", "-q", "--detach")
    )

    with pytest.raises(RepositoryError, match="detached"):
        tree.commit("Count to two")

    after = fingerprint(root)
    for found in (seen[0], after):  # the writer lock's record says "idle" again
        found.pop(".git/gitworktree.lock", None)
    assert after == seen[0]
    assert branch_log(root, "main")[0] == "Notes"


def test_a_hard_restore_moves_the_branch_checked_out_when_it_takes_the_index_lock(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Repository.open(root) as repository:
        repository.create_checkpoint("one", "HEAD~1")
        person(root, "branch", "-f", "copy", "main")
        run_just_before_the_index_lock(monkeypatch, lambda: person(root, "switch", "-q", "copy"))

        repository.restore("one", hard=True)

    assert branch_log(root, "copy")[0] == "Count to one"
    assert branch_log(root, "main")[0] == "Notes"  # not the branch the person left
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--strict")
