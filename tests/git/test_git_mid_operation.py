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
from typing import Any

import pytest

import gitworktree.history._worktree.commit as commit_module
import gitworktree.mounting.pipeline as pipeline_module
from gitworktree import ConflictError, RepositoryError, UnsupportedRepositoryError, mount
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


def without_writer_record(found: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """The fingerprint but the writer lock's record, which says "idle" again after a write."""
    return {path: digest for path, digest in found.items() if path != ".git/gitworktree.lock"}


def test_an_edit_made_while_the_gate_runs_is_refused_not_overwritten(
    root: Path, tree: CounterTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline looks at the file before its gate, whose repairs may take minutes."""
    real_gate = pipeline_module.run_gate
    seen = []

    def gate_while_a_person_edits(*args: Any, **kwargs: Any) -> Any:
        (root / "counter.json").write_text('{\n  "number": 7\n}\n')  # the person's edit
        seen.append(fingerprint(root))
        return real_gate(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "run_gate", gate_while_a_person_edits)

    with pytest.raises(ConflictError, match=r"counter\.json") as raised:
        tree.commit("Count to two")

    assert raised.value.paths == ("counter.json",)
    assert json.loads((root / "counter.json").read_text()) == {"number": 7}
    assert without_writer_record(fingerprint(root)) == without_writer_record(seen[0])
    assert git_lines(root, "status", "--porcelain") == [" M counter.json"]


@pytest.mark.parametrize("hard", [False, True], ids=["restore", "hard restore"])
def test_an_edit_made_before_a_restore_takes_the_index_lock_is_refused_not_overwritten(
    root: Path, monkeypatch: pytest.MonkeyPatch, hard: bool
) -> None:
    """A restore looks at the files, stores its objects, then may wait for the lock."""
    with Repository.open(root) as repository:
        repository.create_checkpoint("counted", "HEAD~1")  # before the notes existed
        seen = run_just_before_the_index_lock(
            monkeypatch, lambda: (root / "notes.txt").write_text("the person's notes\n")
        )

        with pytest.raises(ConflictError, match=r"notes\.txt") as raised:
            repository.restore("counted", hard=hard)

    assert raised.value.paths == ("notes.txt",)
    assert (root / "notes.txt").read_text() == "the person's notes\n"
    assert without_writer_record(fingerprint(root)) == without_writer_record(seen[0])
    assert branch_log(root, "main")[0] == "Notes"


def test_a_commit_after_the_only_branch_was_deleted_is_refused_touching_nothing(
    root: Path,
) -> None:
    """It made a new root commit of the agent's files alone: the history the work tree
    came from was left on no branch, only in HEAD's reflog."""
    person(root, "branch", "-q", "-D", "other")
    person(root, "update-ref", "-d", "refs/heads/main")
    before = fingerprint(root)

    with Repository.open(root) as repository, pytest.raises(UnsupportedRepositoryError) as raised:
        repository.commit_changes({"agent.txt": b"the agent's\n"}, message="Agent")

    assert raised.value.reason == "unborn-branch"
    assert without_writer_record(fingerprint(root)) == without_writer_record(before)
