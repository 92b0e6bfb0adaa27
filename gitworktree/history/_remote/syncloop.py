"""`sync_with`'s loop: pull, push, and on a lost race back off and try again, fairly.

Many agents pushing to one branch race: only one push can move the branch at a time, and
the others must pull (fetch and merge) before they can try again. A naive loop starves
them: the agent that just landed is already up to date, so its next push needs no merge
and beats everyone else's pull-and-push, round after round (one agent landed 96-99% of
the pushes with eight agents in a tight loop). Two rules make progress fair:

1. **A lost race backs off** before trying again, for a random time drawn from an
   exponentially growing window ("full jitter"), so the losers do not all retry at once.
2. **A winner steps aside**: the next sync of a repository that just landed waits until
   one to three times (at random) the longest of its last eight pull-and-push attempts
   has passed since — times one plus the races it lost before landing, a measure of
   how many rivals are waiting — giving the agents that lost a window to land theirs.
   An agent that does real work between syncs (longer than that) never waits.

The loop holds no lock and does no I/O itself: it drives the ``pull`` and ``push`` it is
given, with a clock and a sleep that tests replace.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gitworktree.errors import ConflictError
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._remote.transfer import PushResult

__all__ = ["SyncPolicy", "SyncResult", "SyncState", "SyncSteps", "run_sync"]


@dataclass(frozen=True)
class SyncPolicy:
    """How hard `sync_with` tries.

    Attributes:
        attempts: pushes tried at most before giving up.
        backoff: the first backoff window, in seconds; it doubles after each lost race.
        max_backoff: the largest backoff window, and the longest a winner steps aside.
    """

    attempts: int = 16
    backoff: float = 0.05
    max_backoff: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff cannot be negative")


@dataclass(frozen=True)
class SyncResult:
    """What `sync_with` did; the host's branch then holds every commit of ours.

    Attributes:
        pushed: the host refs the push moved (empty: the host already had our commits).
        merged: what each pull brought in, in order (a merge commit, or the commit
            fast-forwarded to); empty when the host had nothing new.
        attempts: how many times we pushed (1 when the first push landed).
        waited: seconds spent backing off and stepping aside.
        head: the commit our branch, and the host's, now point at.
    """

    pushed: dict[str, str]
    merged: tuple[CommitInfo, ...]
    attempts: int
    waited: float
    head: str


@dataclass
class SyncState:
    """What one repository remembers between syncs.

    Attributes:
        landed_at: when its last push landed (clock seconds); ``None`` once used.
        rivals: how many races that sync lost before landing.
        slowest: the longest of its recent pull-and-push attempts: the window a rival needs.
        history: the durations of its last eight attempts.
    """

    landed_at: float | None = None
    rivals: int = 0
    slowest: float = 0.0
    history: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class SyncSteps:
    """The operations the loop drives."""

    pull: Callable[[], CommitInfo | None]
    push: Callable[[], PushResult]
    head: Callable[[], str | None]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)


def run_sync(steps: SyncSteps, policy: SyncPolicy, state: SyncState, label: str) -> SyncResult:
    """Pull, push; on a lost race back off and repeat, up to ``policy.attempts`` pushes.

    Raises:
        ConflictError: a merge conflict (``conflicts`` lists them), uncommitted changes,
            or the host kept moving for ``policy.attempts`` pushes in a row (``ref`` is
            set; nothing is lost: our commits stay here, call again later).
        CommitRejectedError: the merged content is invalid; nothing changed.
        RemoteError: the host is unreachable or refused the push for another reason.
    """
    waited = _step_aside(steps, policy, state)
    merged: list[CommitInfo] = []
    last: ConflictError | None = None
    for attempt in range(1, policy.attempts + 1):
        started = steps.clock()
        info = steps.pull()
        if info is not None:
            merged.append(info)
        try:
            pushed = steps.push()
        except ConflictError as lost:
            if lost.conflicts or lost.ref is None:
                raise
            last = lost
            _remember(state, steps.clock() - started)
            window = min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1))
            pause = steps.rng.uniform(0, window)
            steps.sleep(pause)
            waited += pause
            continue
        _remember(state, steps.clock() - started)
        if pushed.updated:
            state.landed_at = steps.clock()
            state.rivals = attempt - 1
        return SyncResult(dict(pushed.updated), tuple(merged), attempt, waited, steps.head() or "")
    raise ConflictError(
        f"sync with {label} gave up after {policy.attempts} pushes: the host's branch moved "
        f"before each of ours could land. Nothing is lost: our commits are here; call "
        f"sync_with again later (or with more attempts). Last refusal: {last}",
        ref=None if last is None else last.ref,
    )


def _step_aside(steps: SyncSteps, policy: SyncPolicy, state: SyncState) -> float:
    """After landing, let one to three rival syncs' time pass before the next sync starts."""
    if state.landed_at is None:
        return 0.0
    scale = steps.rng.uniform(1.0, 3.0) * (1 + state.rivals)
    window = min(2 * policy.max_backoff, scale * state.slowest)
    pause = state.landed_at + window - steps.clock()
    state.landed_at = None
    if pause <= 0:
        return 0.0
    steps.sleep(pause)
    return pause


def _remember(state: SyncState, duration: float) -> None:
    """Keep the slowest of the last few attempts: what a rival's pull-and-push takes."""
    state.history = [*state.history[-7:], duration]
    state.slowest = max(state.history)
