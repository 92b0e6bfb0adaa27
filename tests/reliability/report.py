"""The figures of docs/reliability.md, measured on this machine.

python -m tests.reliability.report            # CI-sized: 200 kills
python -m tests.reliability.report --kills 5000 --rounds 50   # a longer soak
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from gitworktree import mount
from tests.reliability.concurrency import WriterTally, write_rounds
from tests.reliability.crash import run_campaign
from tests.reliability.models import WorkTree
from tests.reliability.test_concurrent_writers import CHILD
from tests.reliability.test_hostile_input import LARGE

PROJECT = Path(__file__).resolve().parents[2]


def concurrency(root: Path, rounds: int) -> dict[str, object]:
    """Four processes, then four threads (a tree each), all retrying on conflict."""
    mount(WorkTree, root)
    processes = WriterTally()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), f"p{i}", str(rounds), str(i)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for child in children:
        processes.add(WriterTally(**json.loads(child.communicate()[0])))
    threads = WriterTally()
    tallies: list[WriterTally] = []
    workers = [
        threading.Thread(
            target=lambda i=i: tallies.append(
                write_rounds(mount(WorkTree, root), f"t{i}", rounds, 100 + i)
            )
        )
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for tally in tallies:
        threads.add(tally)
    final = mount(WorkTree, root)
    lost_tasks = 8 * rounds - len(final.tasks)
    lost_increments = processes.increments + threads.increments - final.counter.number
    return {
        "processes": processes.__dict__,
        "threads": threads.__dict__,
        "lost": lost_tasks + lost_increments,
    }


def peak_rss_mb(root: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", LARGE, str(root)], cwd=PROJECT, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    os.environ.setdefault("GITWORKTREE_LOCK_TIMEOUT", "60")
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        crash = run_campaign(base / "crash", seed=args.seed, kills=args.kills)
        figures = {
            "crash": {k: v for k, v in crash.__dict__.items() if k != "failures"}
            | {"failures": len(crash.failures)},
            "concurrency": concurrency(base / "shared", args.rounds),
            "large_artifact_peak_rss_mb": round(peak_rss_mb(base / "large")),
            "max_rss_of_this_run_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
