"""Several processes and threads commit at once: every commit lands or conflicts, none is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gitworktree import ConflictError, mount
from gitworktree.storage.git import GitStorage
from tests.oracle import git
from tests.reliability.concurrency import WriterTally, write_rounds
from tests.reliability.models import Task, WorkTree

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def patient_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers queue for the lock here; a loaded CI machine must not time them out."""
    monkeypatch.setenv("GITWORKTREE_LOCK_TIMEOUT", "60")


ROUNDS = 8

CHILD = """
import json, sys
from gitworktree import mount
from tests.reliability.concurrency import write_rounds
from tests.reliability.models import WorkTree
root, name, rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
print(json.dumps(write_rounds(mount(WorkTree, root), name, rounds, seed).__dict__))
"""


def assert_nothing_lost(root: Path, names: list[str], total: WriterTally) -> None:
    final = mount(WorkTree, root)
    expected_tasks = {f"{name}-{step}" for name in names for step in range(ROUNDS)}
    assert set(final.tasks) == expected_tasks
    assert final.counter.number == total.increments  # lost increments would show here
    assert total.landed == len(names) * ROUNDS
    git(root, "fsck", "--strict")
    assert git(root, "status", "--porcelain") == ""


def test_four_processes(tmp_path: Path) -> None:
    mount(WorkTree, tmp_path)
    names = [f"p{index}" for index in range(4)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), name, str(ROUNDS), str(index)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, name in enumerate(names)
    ]
    total = WriterTally()
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err
        total.add(WriterTally(**json.loads(out)))
    assert_nothing_lost(tmp_path, names, total)


@pytest.mark.parametrize("shared", [False, True], ids=["tree-per-thread", "one-shared-tree"])
def test_four_threads(tmp_path: Path, shared: bool) -> None:
    first = mount(WorkTree, tmp_path)
    names = [f"t{index}" for index in range(4)]
    tallies: list[WriterTally] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            tree = first if shared else mount(WorkTree, tmp_path)
            tallies.append(write_rounds(tree, names[index], ROUNDS, index))
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    total = WriterTally()
    for tally in tallies:
        total.add(tally)
    assert_nothing_lost(tmp_path, names, total)


def test_retries_republish_when_only_the_branch_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = mount(WorkTree, tmp_path)
    real_publish = GitStorage.publish
    races = iter([True])

    def racy_publish(self: GitStorage, changes: object) -> object:
        if next(races, False):
            raise ConflictError("refs/heads/main moved", ref="refs/heads/main")
        return real_publish(self, changes)  # type: ignore[arg-type]

    monkeypatch.setattr(GitStorage, "publish", racy_publish)
    tree.tasks["a"] = Task(title="a")
    with pytest.raises(ConflictError):
        tree.commit()
    races = iter([True])
    assert tree.commit(retries=2) is not None
    assert "a" in mount(WorkTree, tmp_path).tasks


def test_retries_never_paper_over_an_artifact_conflict(tmp_path: Path) -> None:
    first, second = mount(WorkTree, tmp_path), mount(WorkTree, tmp_path)
    first.counter.number = 1
    second.counter.number = 2
    first.commit()
    with pytest.raises(ConflictError) as caught:
        second.commit(retries=5)
    assert caught.value.paths == ("counter.json",)
    assert mount(WorkTree, tmp_path).counter.number == 1
