"""Commits of one tree from several coroutines of one event loop take turns."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from gitworktree import CommitInfo, InsideRunningLoopError, ValidationIssue, mount
from tests.oracle import git, git_lines
from tests.tree.models import Outer


class SlowRepair:
    """An async repair that yields to the loop several times and counts who is inside."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0

    async def __call__(
        self, content: str, issues: Sequence[ValidationIssue], document_type: str
    ) -> str:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        for _ in range(5):
            await asyncio.sleep(0)
        self.inside -= 1
        data = json.loads(content)
        data["number"] = len(str(data["number"]))
        return json.dumps(data)


def test_concurrent_acommits_of_one_tree_run_one_after_the_other(tmp_path: Path) -> None:
    repair = SlowRepair()
    tree = mount(Outer, tmp_path, repair=repair)

    async def first() -> CommitInfo | None:
        tree.inner.counter.number = "ab"  # type: ignore[assignment]
        return await tree.inner.acommit("first")

    async def second() -> CommitInfo | None:
        await asyncio.sleep(0)  # the first commit is inside its repair now
        tree.counter.number = "abc"  # type: ignore[assignment]
        return await tree.acommit("second")

    async def both() -> list[CommitInfo | None]:
        return list(await asyncio.gather(first(), second()))

    one, two = asyncio.run(both())
    assert repair.most_inside == 1
    assert one is not None and one.paths == ("inner/counter.json",)
    assert two is not None and two.paths == ("counter.json",)
    assert git_lines(tmp_path, "log", "--format=%s")[:2] == ["second", "first"]
    assert json.loads(git(tmp_path, "show", "HEAD:counter.json")) == {"number": 3}
    assert json.loads(git(tmp_path, "show", "HEAD:inner/counter.json")) == {"number": 2}
    git(tmp_path, "fsck", "--strict")


def test_sync_commit_during_an_acommit_of_the_same_tree_is_refused(tmp_path: Path) -> None:
    tree = mount(Outer, tmp_path, repair=SlowRepair())

    async def cutting_in() -> None:
        await asyncio.sleep(0)  # the acommit is inside its repair now
        tree.inner.counter.number = 7  # valid: no repair needed
        tree.inner.commit("cut in")

    async def both() -> list[object]:
        tree.counter.number = "ab"  # type: ignore[assignment]
        return list(
            await asyncio.gather(tree.acommit("first"), cutting_in(), return_exceptions=True)
        )

    landed, refused = asyncio.run(both())
    assert isinstance(refused, InsideRunningLoopError)
    assert "await tree.acommit" in str(refused)
    assert isinstance(landed, CommitInfo) and landed.paths == ("counter.json",)
    assert "cut in" not in git_lines(tmp_path, "log", "--format=%s")
    assert json.loads(git(tmp_path, "show", "HEAD:inner/counter.json")) == {"number": 0}
