"""Concurrent writers on one repository, counted: attempted, landed, conflicted, lost.

Each writer does rounds of "add my own task, maybe bump the shared counter, commit". A
``ConflictError`` is the documented signal to retry: ``sync()``, re-apply, commit again.
Lost means a landed increment or task that is not in the final state; it must be 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gitworktree import ConflictError
from tests.reliability.models import Task, WorkTree

__all__ = ["WriterTally", "write_rounds"]


@dataclass
class WriterTally:
    """What one writer did."""

    attempted: int = 0
    landed: int = 0
    conflicted: int = 0
    increments: int = 0

    def add(self, other: WriterTally) -> None:
        self.attempted += other.attempted
        self.landed += other.landed
        self.conflicted += other.conflicted
        self.increments += other.increments


def write_rounds(tree: WorkTree, name: str, rounds: int, seed: int) -> WriterTally:
    """Run ``rounds`` commits as writer ``name``, retrying each until it lands."""
    rng = random.Random(seed)
    tally = WriterTally()
    for step in range(rounds):
        bump = rng.random() < 0.5
        while True:
            tree.tasks[f"{name}-{step}"] = Task(title=name, rank=step)
            if bump:
                tree.counter.number += 1
            tally.attempted += 1
            try:
                tree.commit(f"{name} step {step}")
            except ConflictError:
                tally.conflicted += 1
                tree.sync()  # reload what the others committed, then re-apply
                continue
            tally.landed += 1
            tally.increments += bump
            break
    return tally
