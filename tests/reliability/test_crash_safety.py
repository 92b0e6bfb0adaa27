"""Crash safety: hundreds of SIGKILLs at random moments, and the repository stays sound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.crash import run_campaign

SEED = int(os.environ.get("GITWORKTREE_CRASH_SEED", "20261121"))
KILLS = int(os.environ.get("GITWORKTREE_CRASH_KILLS", "200"))


@pytest.mark.long
def test_sigkill_at_random_points_never_corrupts_or_loses_state(tmp_path: Path) -> None:
    report = run_campaign(tmp_path / "repo", seed=SEED, kills=KILLS)
    assert report.kills == KILLS
    assert report.failures == [], f"replay with GITWORKTREE_CRASH_SEED={SEED}: " + "\n".join(
        report.failures[:10]
    )
    assert report.commits_seen > KILLS // 4  # the writer made real progress between kills
    # The kills landed mid-write often enough to exercise both recovery paths.
    assert report.stale_locks_cleared > 0 and report.checkouts_finished > 0
    assert report.packs > 0  # loose objects were packed along the way, kills or not


@pytest.mark.long
def test_sigkill_with_a_split_index_never_corrupts_or_loses_state(tmp_path: Path) -> None:
    kills = max(KILLS // 4, 20)
    report = run_campaign(tmp_path / "repo", seed=SEED + 1, kills=kills, split_index=True)
    assert report.failures == [], f"replay with GITWORKTREE_CRASH_SEED={SEED}: " + "\n".join(
        report.failures[:10]
    )
    assert report.commits_seen > kills // 4
    assert list((tmp_path / "repo" / ".git").glob("sharedindex.*"))  # it was split
