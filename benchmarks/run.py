"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only SCENARIO ...]``.

The full run (the default) times N = 100, 1,000 and 10,000 artifacts, writes
``benchmarks/results/latest.json``, draws ``docs/performance.png`` and rewrites the
results table in ``docs/performance.md``. ``--quick`` (N = 100 and 1,000, fewer rounds)
writes ``benchmarks/results/quick.json`` and ``quick.png`` and leaves the docs alone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scenarios
from benchmarks.data import split_sizes
from benchmarks.langgraph import beside_langgraph
from benchmarks.report import write_outputs
from benchmarks.scenarios import SCENARIOS, Bench, isolated_git_environment

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    parser.add_argument("--sizes", type=int, nargs="+", help="artifact counts to time")
    parser.add_argument("--rounds", type=int, help="timed rounds per comparison")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--workdir", type=Path, help="where to build data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument(
        "--output", type=Path, help="results JSON (default: benchmarks/results/latest.json)"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the data, run the scenarios, print the table and write the outputs."""
    args = _parse(argv)
    sizes = args.sizes or ([100, 1_000] if args.quick else [100, 1_000, 10_000])
    rounds = args.rounds or (3 if args.quick else 7)
    selected = args.only or list(SCENARIOS)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gitworktree-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(workdir, sizes, rounds, log_commits=500 if args.quick else 5_000)
    started = time.time()
    print(f"gitworktree benchmarks: N={sizes}, {rounds} rounds, data in {workdir}", flush=True)
    try:
        with isolated_git_environment(workdir / "home"):
            _run(bench, selected)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results = ROOT / "benchmarks" / "results"
    name = "quick" if args.quick else "latest"
    write_outputs(
        bench,
        json_path=args.output or results / f"{name}.json",
        chart_path=_chart_path(args, results),
        doc_path=None if args.quick or args.no_docs else ROOT / "docs" / "performance.md",
        meta={"quick": args.quick, "seconds": round(time.time() - started, 1)},
    )


def _chart_path(args: argparse.Namespace, results: Path) -> Path:
    if args.quick:
        return results / "quick.png"
    if args.no_docs or args.output:
        return (args.output or results / "latest.json").with_suffix(".png")
    return ROOT / "docs" / "performance.png"


def _run(bench: Bench, selected: list[str]) -> None:
    for name in selected:
        print(f"\n[{name}]", flush=True)
        if name == "commit":
            for n in bench.sizes:
                scenarios.commit_one(bench, n)
            _scaling_check(bench)
        elif name == "checkpoint":
            for n in bench.sizes:
                scenarios.checkpoint(bench, n)
        elif name == "restore":
            for n in bench.sizes:
                for k in (1, 100):
                    if k < split_sizes(n)[0]:
                        scenarios.restore(bench, n, k)
        elif name == "mount":
            for n in bench.sizes:
                scenarios.mount_tree(bench, n)
        elif name == "log":
            scenarios.log(bench)
        elif name == "gate":
            scenarios.gate(bench)
        elif name == "dircheckpoint":
            for n in bench.sizes:
                scenarios.directory_checkpoint(bench, n)
        elif name == "langgraph":
            for n in bench.sizes:
                beside_langgraph(bench, n)
        elif name == "gitsaver":
            from benchmarks.langgraph_scenarios import langgraph_savers

            for n in bench.sizes:
                langgraph_savers(bench, n)


def _scaling_check(bench: Bench) -> None:
    """Commit time at the largest N over the smallest: cost follows changes, not size."""
    small, large = min(bench.sizes), max(bench.sizes)
    if small == large:
        return
    ratio = bench.median_ms("commit", f"N={large:,}") / bench.median_ms("commit", f"N={small:,}")
    target = 1.5 if large >= 10_000 and small <= 100 else None
    bench.checks.append(
        {
            "name": f"tree.commit() at N={large:,} / at N={small:,}",
            "value": round(ratio, 3),
            "target": target,
            "met": None if target is None else ratio <= target,
        }
    )
    print(f"  scaling: commit at N={large:,} / N={small:,} = {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
