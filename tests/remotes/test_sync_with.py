"""`sync_with`: pull, push, retry a lost race with jittered backoff, and step aside after landing.

The loop is driven with scripted pulls and pushes, a fake clock and a recorded sleep, so
each rule is checked exactly; one test runs it for real against a host.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gitworktree import ConflictError, MergeConflict, Repository, sync_with
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._remote.syncloop import SyncPolicy, SyncState, SyncSteps, run_sync
from gitworktree.history._remote.transfer import PushResult
from tests.oracle import git
from tests.remotes.conftest import Agents, start_agents

LANDED = PushResult("origin", "/hub", {"refs/heads/main": "1" * 40})
LOST = ConflictError("push to origin rejected: not a fast-forward", ref="refs/heads/main")
CONFLICT = ConflictError(
    "conflict", conflicts=[MergeConflict("plan.json", "/title", "a", "b", "c", "changed")]
)


class Script:
    """Pushes that fail or land in the given order; a clock that sleeping advances."""

    def __init__(
        self, pushes: list[PushResult | ConflictError], pull_error: Exception | None = None
    ) -> None:
        self.pushes = list(pushes)
        self.pull_error = pull_error
        self.now = 100.0
        self.slept: list[float] = []
        self.pulls = 0

    def pull(self) -> CommitInfo | None:
        self.pulls += 1
        self.now += 0.2  # a pull takes 0.2 s
        if self.pull_error is not None:
            raise self.pull_error
        return None

    def push(self) -> PushResult:
        self.now += 0.1
        outcome = self.pushes.pop(0)
        if isinstance(outcome, ConflictError):
            raise outcome
        return outcome

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def steps(self) -> SyncSteps:
        return SyncSteps(
            self.pull, self.push, lambda: "1" * 40, lambda: self.now, self.sleep, random.Random(7)
        )


def test_a_lost_race_is_retried_after_a_pull_and_a_backoff() -> None:
    script = Script([LOST, LOST, LANDED])
    result = run_sync(script.steps(), SyncPolicy(backoff=0.1), SyncState(), "origin")
    assert (result.attempts, script.pulls) == (3, 3)
    assert len(script.slept) == 2
    assert 0 <= script.slept[0] <= 0.1 and 0 <= script.slept[1] <= 0.2  # the window doubles
    assert result.waited == pytest.approx(sum(script.slept))
    assert result.pushed == LANDED.updated


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(("pull", CONFLICT), id="merge-conflict"),
        pytest.param(("pull", ConflictError("uncommitted", paths=["plan.json"])), id="dirty"),
    ],
)
def test_what_a_retry_cannot_fix_is_raised_at_once(failure: tuple[str, ConflictError]) -> None:
    script = Script([LANDED], pull_error=failure[1])
    with pytest.raises(ConflictError) as caught:
        run_sync(script.steps(), SyncPolicy(), SyncState(), "origin")
    assert caught.value is failure[1] and script.pulls == 1 and script.slept == []


def test_it_gives_up_after_the_attempts_with_a_conflict_naming_the_branch() -> None:
    script = Script([LOST] * 3)
    with pytest.raises(ConflictError, match="gave up after 3 pushes") as caught:
        run_sync(script.steps(), SyncPolicy(attempts=3), SyncState(), "origin")
    assert caught.value.ref == "refs/heads/main" and script.pulls == 3


def test_after_landing_the_next_sync_steps_aside_for_about_one_sync() -> None:
    script = Script([LANDED, LANDED])
    state = SyncState()
    run_sync(script.steps(), SyncPolicy(), state, "origin")
    assert script.slept == []
    second = run_sync(script.steps(), SyncPolicy(), state, "origin")
    # One sync took 0.3 s here; the pause is 1 to 3 times that.
    assert len(script.slept) == 1 and 0.3 <= script.slept[0] <= 0.9
    assert second.waited == script.slept[0]


def test_a_winner_that_had_to_fight_steps_aside_longer() -> None:
    script = Script([LOST, LOST, LANDED, LANDED])
    state = SyncState()
    run_sync(script.steps(), SyncPolicy(backoff=0.0), state, "origin")
    run_sync(script.steps(), SyncPolicy(), state, "origin")
    # Two lost races: three rivals' worth of 1 to 3 attempts of 0.3 s each.
    assert len(script.slept) == 3 and 0.9 <= script.slept[-1] <= 2.7


def test_work_longer_than_a_sync_between_syncs_means_no_pause() -> None:
    script = Script([LANDED, LANDED])
    state = SyncState()
    run_sync(script.steps(), SyncPolicy(), state, "origin")
    script.now += 5.0  # the agent worked for 5 s
    run_sync(script.steps(), SyncPolicy(), state, "origin")
    assert script.slept == []


@pytest.mark.parametrize(
    "policy", [{"attempts": 0}, {"backoff": -1.0}], ids=["no-attempts", "negative-backoff"]
)
def test_a_policy_that_cannot_work_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SyncPolicy(**policy)  # type: ignore[arg-type]


def test_sync_with_merges_what_others_pushed_and_lands_ours(agents: Agents, hub: Path) -> None:
    planner, writer = agents
    planner.plan.title = "planner's"
    planner.commit()
    sync_with(planner)
    writer.plan.owner = "writer"
    writer.commit()

    result = sync_with(writer)

    assert len(result.merged) == 1 and len(result.merged[0].parents) == 2
    assert result.attempts == 1 and result.pushed == {"refs/heads/main": writer.repo.head}
    assert (writer.plan.title, writer.plan.owner) == ("planner's", "writer")
    assert git(hub, "rev-parse", "main").strip() == writer.repo.head == result.head


def test_sync_with_creates_a_branch_the_host_does_not_have_yet(hub: Path, tmp_path: Path) -> None:
    planner, _ = start_agents(str(hub), tmp_path)
    with Repository.clone(str(hub), tmp_path / "writer-branch") as repo:
        git(repo, "switch", "-q", "-c", "writer")
        repo.commit_changes({"notes.txt": b"the writer's own branch\n"}, message="Start")

        result = repo.sync_with()

        assert result.pushed == {"refs/heads/writer": repo.head}
        assert git(hub, "rev-parse", "writer").strip() == repo.head
        assert git(hub, "rev-parse", "main").strip() == planner.repo.head
