"""Interleaved, paired timing: every contender runs once per round, in rotating order.

Running the contenders of one comparison back to back, round after round, exposes them
to the same machine state (caches, other load), so the ratio of their times within a
round — a *paired* ratio — is far steadier than the ratio of two separate medians on a
busy machine. A first round is run untimed, as a warm-up. Before each timed run,
``os.sync()`` (untimed) writes out what the previous contender left dirty: otherwise
whoever runs after a commit pays for flushing that commit's index.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Contender", "median_ratio", "run_rounds"]


@dataclass(frozen=True)
class Contender:
    """One way of doing the scenario's work.

    Attributes:
        name: how the tables name it.
        run: the timed work for round ``i``.
        prepare: untimed set-up before each ``run`` (e.g. make the change to commit).
        cleanup: untimed tear-down after each ``run``.
    """

    name: str
    run: Callable[[int], object]
    prepare: Callable[[int], object] | None = None
    cleanup: Callable[[int], object] | None = None


def run_rounds(contenders: Sequence[Contender], rounds: int) -> dict[str, list[float]]:
    """Time each contender once per round (plus one warm-up round); seconds per round."""
    samples: dict[str, list[float]] = {contender.name: [] for contender in contenders}
    for round_ in range(-1, rounds):
        offset = max(round_, 0) % len(contenders)
        for contender in [*contenders[offset:], *contenders[:offset]]:
            step = round_ + 1  # distinct, non-negative per round, warm-up included
            if contender.prepare is not None:
                contender.prepare(step)
            # Untimed: write out what the previous contender left dirty, so that its
            # data is not flushed by the next one's first fsync (a commit renames a
            # whole index over the old one, which starts writing it back).
            os.sync()
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                contender.run(step)
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if contender.cleanup is not None:
                contender.cleanup(step)
            if round_ >= 0:
                samples[contender.name].append(elapsed)
    return samples


def median_ratio(ours: Sequence[float], other: Sequence[float]) -> float:
    """The median of the per-round ratios ``ours[i] / other[i]``."""
    return statistics.median(a / b for a, b in zip(ours, other, strict=True))
