"""Many agents through one Git host: fairness of `sync_with`, and cost as history grows.

``python -m benchmarks.agents [--quick]`` runs three measurements and writes
``benchmarks/results/agents.json``:

1. **fairness**: K = 2, 4, 8 agent processes (``tests/remotes/swarm.py``), each
   committing its own key of one JSON artifact and its own notes, ``sync_with`` after
   every commit, a fixed number of rounds. Reported: rounds landed, push attempts per
   sync (mean, p90, max), time waited, errors; and, for K = 8, the same agents with the
   naive loop (push; on refusal pull and push again, no backoff) for comparison.
2. **history**: pull (a merge) and push of one agent while another pushes, on a host
   that already holds 100, 1,000 and 10,000 commits (written with ``git fast-import``):
   medians, in ms.
3. **run**: the same two agents for many rounds on a local-path host: pull and push
   medians over the first and the last tenth of the run, and the host's pack count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitworktree import ConflictError, mount, pull, push
from tests.remotes.swarm import Note, SwarmTree, run_swarm, seed_host

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


def _bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def _summary(attempts: list[int]) -> dict[str, float]:
    ordered = sorted(attempts) or [0]
    return {
        "mean": round(statistics.mean(ordered), 2),
        "p90": ordered[int(len(ordered) * 0.9)],
        "max": ordered[-1],
    }


def fairness(work: Path, agents: int, rounds: int) -> dict[str, Any]:
    """K processes, ``rounds`` syncs each."""
    root = work / f"fair-{agents}"
    root.mkdir()
    hub = _bare(root / "hub.git")
    seed_host(str(hub), root)
    started = time.perf_counter()
    reports = run_swarm(str(hub), root, agents, rounds)
    wall = time.perf_counter() - started
    attempts = [a for report in reports for a in report.attempts]
    result = {
        "agents": agents,
        "rounds": rounds,
        "wall_s": round(wall, 1),
        "landed": [report.landed for report in reports],
        "attempts": _summary(attempts),
        "waited_s": [round(report.waited, 1) for report in reports],
        "errors": [error.splitlines()[0] for report in reports for error in report.errors],
        "packs": len(list((hub / "objects" / "pack").glob("*.pack"))),
    }
    print(f"fairness K={agents}: {json.dumps(result)}", flush=True)
    return result


def _naive_agent(url: str, workdir: str, name: str, rounds: int, out: str) -> None:
    tree = mount(SwarmTree, workdir, clone_from=url)
    attempts = []
    for round_ in range(1, rounds + 1):
        tree.board.counts[name] = round_
        if name not in tree.notes:
            tree.notes[name] = Note()
        tree.notes[name].lines.append(f"{name} round {round_}")
        tree.commit(f"{name}: round {round_}")
        for attempt in range(1, 201):
            try:
                push(tree)
            except ConflictError:
                pull(tree)
                continue
            attempts.append(attempt)
            break
    Path(out).write_text(json.dumps(attempts))


def naive(work: Path, agents: int, rounds: int) -> dict[str, Any]:
    """The loop the docs used to show: push; on refusal pull and push again at once."""
    root = work / f"naive-{agents}"
    root.mkdir()
    hub = _bare(root / "hub.git")
    seed_host(str(hub), root)
    context = multiprocessing.get_context("fork")
    outs = [root / f"a{index}.json" for index in range(agents)]
    processes = [
        context.Process(
            target=_naive_agent,
            args=(str(hub), str(root / f"a{index}"), f"a{index}", rounds, str(out)),
        )
        for index, out in enumerate(outs)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    wall = time.perf_counter() - started
    per_agent = [json.loads(out.read_text()) if out.exists() else [] for out in outs]
    result = {
        "agents": agents,
        "rounds": rounds,
        "wall_s": round(wall, 1),
        "landed": [len(attempts) for attempts in per_agent],
        "attempts": _summary([a for attempts in per_agent for a in attempts]),
    }
    print(f"naive K={agents}: {json.dumps(result)}", flush=True)
    return result


def _history(hub: Path, commits: int) -> None:
    """``commits`` commits of board.json and a note, written by ``git fast-import``."""
    script = []
    for index in range(commits):
        board = json.dumps({"counts": {"h": index}}, indent=2) + "\n"
        note = json.dumps({"lines": [f"history {index}"]}, indent=2) + "\n"
        script.append(
            f"commit refs/heads/main\ncommitter H <h@example.com> {1_700_000_000 + index} +0000\n"
            f"data 7\nhistory\n"
        )
        script.append(f"M 644 inline board.json\ndata {len(board.encode())}\n{board}\n")
        script.append(f"M 644 inline notes/h.json\ndata {len(note.encode())}\n{note}\n\n")
    subprocess.run(
        ["git", "-C", str(hub), "fast-import", "--quiet"],
        input="".join(script).encode(),
        check=True,
    )


def _pair_rounds(hub: Path, root: Path, rounds: int) -> dict[str, list[float]]:
    """Agent ``a`` merges what ``b`` pushed and pushes, ``rounds`` times: timings in ms."""
    a = mount(SwarmTree, root / "a", clone_from=str(hub))
    b = mount(SwarmTree, root / "b", clone_from=str(hub))
    timings: dict[str, list[float]] = {"pull": [], "push": [], "fast_forward": []}
    for round_ in range(rounds):
        b.board.counts["b"] = round_
        b.commit(f"b: round {round_}")
        push(b)
        a.board.counts["a"] = round_
        a.commit(f"a: round {round_}")
        started = time.perf_counter()
        pull(a)
        timings["pull"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        push(a)
        timings["push"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        pull(b)
        timings["fast_forward"].append((time.perf_counter() - started) * 1000)
    a.repo.close()
    b.repo.close()
    return timings


def history(work: Path, commits: int, rounds: int) -> dict[str, Any]:
    """Pull and push medians on a host that already holds ``commits`` commits."""
    root = work / f"history-{commits}"
    root.mkdir()
    hub = _bare(root / "hub.git")
    _history(hub, commits)
    timings = _pair_rounds(hub, root, rounds)
    result = {
        "commits": commits,
        "rounds": rounds,
        **{f"{name}_ms": round(statistics.median(values), 1) for name, values in timings.items()},
    }
    print(f"history {commits}: {json.dumps(result)}", flush=True)
    return result


def long_run(work: Path, rounds: int) -> dict[str, Any]:
    """First tenth against last tenth of a long run of the same two agents."""
    root = work / "run"
    root.mkdir()
    hub = _bare(root / "hub.git")
    seed_host(str(hub), root)
    timings = _pair_rounds(hub, root, rounds)
    tenth = max(1, rounds // 10)
    result: dict[str, Any] = {"rounds": rounds}
    for name, values in timings.items():
        result[f"{name}_first_ms"] = round(statistics.median(values[:tenth]), 1)
        result[f"{name}_last_ms"] = round(statistics.median(values[-tenth:]), 1)
    result["host_packs"] = len(list((hub / "objects" / "pack").glob("*.pack")))
    print(f"run: {json.dumps(result)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the three measurements; print them and write the results JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agents", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no 10,000")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/agents.json")
    args = parser.parse_args(argv)
    quick = args.quick
    work = Path(tempfile.mkdtemp(prefix="gwt-agents-"))
    swarm_rounds = 4 if quick else 8
    try:
        results: dict[str, Any] = {
            "fairness": [fairness(work, k, swarm_rounds) for k in (2, 4, 8)],
            "naive": naive(work, 8, swarm_rounds),
            "history": [
                history(work, n, 5 if quick else 10)
                for n in ((100, 1_000) if quick else (100, 1_000, 10_000))
            ],
            "run": long_run(work, 60 if quick else 200),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
