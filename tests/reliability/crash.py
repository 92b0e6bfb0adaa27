"""Crash-safety campaign: a forked writer is killed with SIGKILL at random moments.

The writer commits, checkpoints and restores in a loop; the parent kills it after a
random delay, then checks the repository as a user would find it:

- ``git fsck --strict`` is clean and HEAD names a complete commit;
- every artifact file on disk holds bytes that Git stores as a blob (an old or a new
  version, never torn or empty by accident);
- a fresh ``mount()`` succeeds (finishing any interrupted checkout, clearing the dead
  writer's locks) and shows exactly HEAD's state, with ``git status`` clean.

Run longer on demand:  python -m tests.reliability.crash --kills 2000 --seed 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from gitworktree import Checkpoint, ConflictError, mount
from gitworktree.atomic import is_temporary
from tests.reliability.models import Task, WorkTree

__all__ = ["CampaignReport", "run_campaign"]

#: Seconds to wait for a writer to mount before killing it anyway (a hung mount is found
#: by the checks after the kill, not by this wait).
_READY_TIMEOUT = 60.0


@dataclass
class CampaignReport:
    """What a campaign did and found."""

    seed: int
    kills: int = 0
    commits_seen: int = 0
    stale_locks_cleared: int = 0
    checkouts_finished: int = 0
    packs: int = 0
    failures: list[str] = field(default_factory=list)


def _writer(root: Path, seed: int, progress: int) -> None:
    """The child: mutate, commit, checkpoint and restore until killed.

    One byte on ``progress`` says the mount is done, and one more after each action.
    """
    rng = random.Random(seed)
    tree = mount(WorkTree, root)
    _tick(progress)
    checkpoints: list[Checkpoint] = list(tree.repo.checkpoints())
    while True:
        _act(tree, rng, checkpoints)
        _tick(progress)


def _tick(progress: int) -> None:
    with contextlib.suppress(OSError):  # a parent that stopped listening is no reason to stop
        os.write(progress, b".")


def _act(tree: WorkTree, rng: random.Random, checkpoints: list[Checkpoint]) -> None:
    """One random action: a commit of a few edits, a checkpoint, or a restore."""
    action = rng.random()
    if action < 0.7:
        for _ in range(rng.randint(1, 4)):
            key = f"t{rng.randint(0, 30)}"
            if rng.random() < 0.2 and key in tree.tasks:
                del tree.tasks[key]
            else:
                tree.tasks[key] = Task(title="x" * rng.randint(1, 400), rank=rng.randint(0, 9))
        tree.counter.number += 1
        tree.note.data["lines"].append(str(rng.random()))
        tree.doc.text = f"step {tree.counter.number}\n" * rng.randint(1, 50)
        tree.commit()
    elif action < 0.8 and len(checkpoints) < 20:
        checkpoints.append(tree.checkpoint())
    elif checkpoints:
        target = rng.choice(checkpoints)
        try:
            tree.restore(target, hard=rng.random() < 0.3)
        except ConflictError:
            tree.sync()


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def _git_input(root: Path, text: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], input=text + "\n", capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip


def _work_tree_files(root: Path) -> list[Path]:
    """Every file of the work tree (not ``.git``), but a killed atomic write's temporary
    files: those are never read, and mount removes them."""
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != ".git")
        for name in sorted(names):
            path = Path(directory, name)
            if not is_temporary(name) and path.is_file():
                found.append(path)
    return found


def _check_after_kill(root: Path, report: CampaignReport) -> None:
    where = f"kill {report.kills}"
    fsck = _git(root, "fsck", "--strict", "--no-dangling")
    if fsck.returncode != 0:
        report.failures.append(f"{where}: git fsck: {fsck.stderr.strip()[:300]}")
    if _git(root, "cat-file", "-e", "HEAD^{tree}").returncode != 0:
        report.failures.append(f"{where}: HEAD does not name a complete commit")
    files = _work_tree_files(root)
    # One git for every file's id, one for whether each is stored (two per file made
    # this check most of a kill's cost).
    ids = _git_input(root, "\n".join(map(str, files)), "hash-object", "--stdin-paths").split()
    stored = _git_input(root, "\n".join(ids), "cat-file", "--batch-check").splitlines()
    for path, line in zip(files, stored, strict=True):
        if line.endswith(" missing"):
            relative = path.relative_to(root)
            report.failures.append(f"{where}: {relative} holds bytes Git never stored (torn?)")
    recorder = _Recorder()
    logging.getLogger("gitworktree").addHandler(recorder)
    try:
        tree = mount(WorkTree, root)
        at_head = mount(WorkTree, root, rev="HEAD")
    except Exception as error:  # a campaign reports every failure rather than stopping
        report.failures.append(f"{where}: mount failed: {type(error).__name__}: {error}")
        return
    finally:
        logging.getLogger("gitworktree").removeHandler(recorder)
    report.stale_locks_cleared += any("stale lock" in m for m in recorder.messages)
    report.checkouts_finished += any("interrupted checkout" in m for m in recorder.messages)
    if _state(tree) != _state(at_head):
        report.failures.append(f"{where}: the mounted tree differs from HEAD")
    leftovers = [p.name for p in root.rglob("*") if is_temporary(p.name)]
    if leftovers:
        report.failures.append(f"{where}: temporary files left after mount: {leftovers}")
    status = _git(root, "status", "--porcelain")
    if status.returncode != 0:  # an index git cannot read (or a crash of git on it)
        report.failures.append(f"{where}: git status failed: {status.stderr.strip()[:200]}")
    elif status.stdout:
        report.failures.append(f"{where}: git status not clean after mount: {status.stdout[:200]}")


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _state(tree: WorkTree) -> object:
    return (
        {key: tree.tasks[key].model_dump() for key in tree.tasks},
        tree.counter.number,
        tree.note.data,
        tree.doc.text,
    )


def run_campaign(
    root: Path, *, seed: int, kills: int, max_delay: float = 0.05, split_index: bool = False
) -> CampaignReport:
    """Kill a forked writer ``kills`` times at random moments; check after each kill.

    A quarter of the kills are timed from the fork, so they also land in the mount and
    its recovery of the last kill. The others are timed from the writer's own progress:
    after it has mounted and finished 0 to 2 actions, a random delay, then the kill. On a
    loaded machine one commit can take longer than ``max_delay``; timed only by the
    clock, the campaign would kill every writer before its first commit lands.

    With ``split_index`` the repository has ``core.splitIndex`` on, so kills also land
    while a shared index and a split index are written.
    """
    rng = random.Random(seed)
    report = CampaignReport(seed=seed)
    mount(WorkTree, root)
    # Pack the loose objects every few dozen commits (git's default waits for ~6,700), so
    # that kills also land while objects are packed and their loose copies removed.
    _git(root, "config", "gc.auto", "256")
    if split_index:
        _git(root, "config", "core.splitIndex", "true")
    for round_ in range(kills):
        progress_read, progress_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                os.close(progress_read)
                _writer(root, seed * 100_003 + round_, progress_write)
            finally:
                os._exit(0)
        os.close(progress_write)
        if rng.random() >= 0.25:
            _wait_for_ticks(progress_read, 1 + rng.choice([0, 1, 1, 2]))
        time.sleep(rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(progress_read)
        report.kills += 1
        _check_after_kill(root, report)
    # The next write clears whatever the last kill left half-written.
    survivor = mount(WorkTree, root)
    survivor.counter.number += 1
    survivor.commit("After the last kill")
    objects = root / ".git" / "objects"
    partial = list(objects.glob("*/tmp_obj_*"))  # (abandoned packs go after an hour)
    if partial:
        report.failures.append(f"half-written objects left: {sorted(map(str, partial))[:5]}")
    # Every commit ever made (restores move HEAD back, so count through the reflog).
    count = _git(root, "rev-list", "--count", "--all", "--reflog").stdout.strip()
    report.commits_seen = int(count or 0)
    report.packs = len(list((root / ".git" / "objects" / "pack").glob("pack-*.idx")))
    return report


def _wait_for_ticks(progress: int, ticks: int) -> None:
    """Wait for ``ticks`` bytes from the writer, or for its end (which closes the pipe)."""
    while ticks > 0:
        readable, _, _ = select.select([progress], [], [], _READY_TIMEOUT)
        chunk = os.read(progress, ticks) if readable else b""
        if not chunk:
            return  # the writer ended (a failed mount), or hung: the checks will say
        ticks -= len(chunk)


def main() -> None:
    """Command line for a long soak: prints the report as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        report = run_campaign(args.dir or Path(directory), seed=args.seed, kills=args.kills)
    print(json.dumps(report.__dict__, indent=2))
    raise SystemExit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
