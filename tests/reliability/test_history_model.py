"""Property: random edits, commits, checkpoints and restores agree with a simple model.

The model is a dict of what each commit holds and which commit each checkpoint names.
After every step the mounted tree, a fresh mount, and the tree at HEAD all equal what
the model says, and git accepts the repository.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from gitworktree import mount
from tests.oracle import git
from tests.reliability.models import Task, WorkTree

KEYS = st.sampled_from(["a", "b", "c"])
State = tuple[tuple[tuple[str, str], ...], int]


def state_of(tree: WorkTree) -> State:
    tasks = tuple(sorted((key, tree.tasks[key].title) for key in tree.tasks))
    return tasks, tree.counter.number


class HistoryMachine(RuleBasedStateMachine):
    checkpoints = Bundle("checkpoints")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.tree = mount(WorkTree, self.directory)
        self.committed: State = state_of(self.tree)  # what HEAD holds
        self.edited: State = self.committed  # what memory holds
        self.named: dict[str, State] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(key=KEYS, title=st.text(alphabet="xyz", max_size=3))
    def set_task(self, key: str, title: str) -> None:
        self.tree.tasks[key] = Task(title=title)
        self.edited = state_of(self.tree)

    @rule(key=KEYS)
    def delete_task(self, key: str) -> None:
        if key in self.tree.tasks:
            del self.tree.tasks[key]
        self.edited = state_of(self.tree)

    @rule(delta=st.integers(-3, 3))
    def bump(self, delta: int) -> None:
        self.tree.counter.number += delta
        self.edited = state_of(self.tree)

    @rule()
    def commit(self) -> None:
        info = self.tree.commit()
        assert (info is None) == (self.edited == self.committed)
        self.committed = self.edited

    @rule(target=checkpoints)
    def checkpoint(self) -> str:
        name = self.tree.checkpoint().name
        self.named[name] = self.committed
        return name

    @rule(name=checkpoints, hard=st.booleans())
    def restore(self, name: str, hard: bool) -> None:
        self.tree.restore(name, hard=hard)
        self.committed = self.edited = self.named[name]

    @rule()
    def sync(self) -> None:
        self.tree.sync()
        self.edited = self.committed

    @invariant()
    def memory_matches_the_model(self) -> None:
        assert state_of(self.tree) == self.edited

    @invariant()
    def storage_matches_the_model(self) -> None:
        assert state_of(mount(WorkTree, self.directory, rev="HEAD")) == self.committed

    @invariant()
    def git_accepts_it(self) -> None:
        git(self.directory, "fsck", "--strict")


HistoryMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestHistoryModel = pytest.mark.long(HistoryMachine.TestCase)
