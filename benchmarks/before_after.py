"""Before → after: this checkout's code against an earlier commit's, in alternating processes.

``python -m benchmarks.before_after [--rev REV] [--sizes N ...] [--rounds R]``

A change to the library cannot be switched off inside one process, so each round runs
one process with the earlier code (a ``git worktree`` of ``--rev``, by default the last
commit before issue 17's changes) and one with this checkout's, back to back, on copies
of the same repository: a commit of one changed artifact (the median of ``--commits``
commits after a warm-up), a mount, and each history command (``log``, ``show``,
``diff``, ``status``, ``checkpoint list``, ``restore``) as a whole process; ``--sizes``
with no size times only the commands. The ratio is paired per round (now / before),
then the median is taken, as in the main suite. Needs the project's git history (a
clone, not an sdist).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.data import build_repository, clone_repository
from benchmarks.scenarios import isolated_git_environment

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent

#: The last commit on main before issue 17's first change (the lazy package front).
BEFORE_ISSUE_17 = "34f14ad"

_CHILD = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks.data import BenchTree, changed_task, task_key
from gitworktree import mount
kind, root, commits = sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
if kind == "commit":
    tree = mount(BenchTree, root)
    keys = list(tree.work.tasks.keys())
    for step in range(commits + 5):
        tree.work.tasks[keys[step % len(keys)]] = changed_task(step)
        start = time.perf_counter()
        tree.commit()
        times.append(time.perf_counter() - start)
    times = times[5:]
else:
    mount(BenchTree, root)
    for _ in range(5):
        start = time.perf_counter()
        mount(BenchTree, root)
        times.append(time.perf_counter() - start)
print(json.dumps(statistics.median(times)))
"""

_CLI = (
    "import sys; sys.path.insert(0, sys.argv[1]); sys.argv = ['gitworktree', *sys.argv[2:]]; "
    "from gitworktree.cli import main; main()"
)


def main(argv: list[str] | None = None) -> None:
    """Time the earlier and the current code in alternating processes; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.before_after")
    parser.add_argument("--rev", default=BEFORE_ISSUE_17, help="the earlier commit")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 10_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--commits", type=int, default=30, help="timed commits per process")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gitworktree-before-after-"))
    before = workdir / "before"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(before), args.rev],
        check=True,
    )
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        with isolated_git_environment(workdir / "home"):
            rows = _run(workdir, {"before": before, "now": ROOT}, args, env)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False
        )
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nbefore = {args.rev}, now = this checkout; {args.rounds} alternating rounds\n")
    print("| scenario | before ms | now ms | now / before (paired) |")
    print("|---|--:|--:|--:|")
    for name, samples in rows.items():
        ratio = statistics.median(
            n / b for b, n in zip(samples["before"], samples["now"], strict=True)
        )
        print(
            f"| {name} | {statistics.median(samples['before']) * 1000:.1f} | "
            f"{statistics.median(samples['now']) * 1000:.1f} | {ratio:.2f} |"
        )


def _run(
    workdir: Path, code: dict[str, Path], args: argparse.Namespace, env: dict[str, str]
) -> dict[str, dict[str, list[float]]]:
    rows: dict[str, dict[str, list[float]]] = {}
    bases = {n: build_repository(workdir / f"base-{n}", n) for n in args.sizes}
    log_root = build_repository(workdir / "base-log", 100, commits=500)
    for round_ in range(args.rounds):
        for label, root in code.items():
            for n, base in bases.items():
                for kind in ("commit", "mount"):
                    copy = clone_repository(base, workdir / f"{kind}-{label}-{n}-{round_}")
                    child = [sys.executable, "-c", _CHILD, str(root), kind, str(copy)]
                    out = subprocess.run(
                        [*child, str(args.commits)],
                        capture_output=True,
                        text=True,
                        check=True,
                        env=env,
                    )
                    name = f"{kind}, N = {n:,}"
                    rows.setdefault(name, {"before": [], "now": []})[label].append(
                        float(json.loads(out.stdout))
                    )
                    shutil.rmtree(copy, ignore_errors=True)
            for command, name in _COMMANDS:
                argv = [sys.executable, "-c", _CLI, str(root), "-C", str(log_root), *command]
                subprocess.run(argv, capture_output=True, check=True, env=env)  # warm the cache
                times = []
                for _ in range(5):
                    start = _now()
                    subprocess.run(argv, capture_output=True, check=True, env=env)
                    times.append(_now() - start)
                rows.setdefault(name, {"before": [], "now": []})[label].append(
                    statistics.median(times)
                )
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    return rows


#: The history commands, each timed as a whole process on a history of 500 commits.
_COMMANDS = [
    (["log", "-n", "20"], "`gitworktree log -n 20` as a process (500 commits)"),
    (["show", "HEAD"], "`gitworktree show HEAD` as a process"),
    (["diff", "HEAD~1"], "`gitworktree diff HEAD~1` as a process"),
    (["status"], "`gitworktree status` as a process"),
    (["checkpoint", "list"], "`gitworktree checkpoint list` as a process"),
    # Last: each run commits, bringing back the files of the commit before.
    (["restore", "HEAD~1"], "`gitworktree restore HEAD~1` as a process (a new commit)"),
]


def _now() -> float:
    import time

    return time.perf_counter()


if __name__ == "__main__":
    main()
