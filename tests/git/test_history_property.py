"""Property: every committed state can be read back, typed, from history."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree import mount
from tests.tree.models import Task, TaskTree

KEYS = st.sampled_from(["a", "b", "c", "d"])
EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, st.text(max_size=8)),
        st.tuples(st.just("delete"), KEYS, st.just("")),
        st.tuples(st.just("count"), st.just(""), st.integers(-5, 5).map(str)),
        st.tuples(st.just("commit"), st.just(""), st.just("")),
    ),
    max_size=25,
)


def snapshot(tree: TaskTree) -> tuple[dict[str, str], int]:
    return {key: tree.tasks[key].title for key in tree.tasks}, tree.counter.number


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_every_commit_reads_back_through_mount_at_its_revision(
    edits: list[tuple[str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        tree = mount(TaskTree, root)
        expected: dict[str, tuple[dict[str, str], int]] = {}
        for op, key, arg in [*edits, ("commit", "", "")]:
            if op == "set":
                tree.tasks[key] = Task(title=arg)
            elif op == "delete" and key in tree.tasks:
                del tree.tasks[key]
            elif op == "count":
                tree.counter.number += int(arg)
            elif op == "commit":
                info = tree.commit()
                if info is not None:
                    expected[info.sha] = snapshot(tree)
        for sha, state in expected.items():
            assert snapshot(mount(TaskTree, root, rev=sha)) == state
