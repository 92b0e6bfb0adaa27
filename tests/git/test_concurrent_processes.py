"""Several processes committing to one repository: every commit lands or conflicts, none is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from gitworktree import mount
from tests.oracle import git, git_lines
from tests.tree.models import TaskTree

WORKER = textwrap.dedent(
    """
    import json, sys
    from gitworktree import ConflictError, RepositoryError, mount
    from tests.tree.models import Task, TaskTree

    root, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tree = mount(TaskTree, root)
    landed = conflicts = 0
    for step in range(rounds):
        while True:
            try:
                tree.tasks[f"{name}-{step}"] = Task(title=name)
                tree.counter.number += 1
                tree.commit(f"{name} step {step}")
                landed += 1
                break
            except ConflictError:
                conflicts += 1
                tree.sync()  # the documented retry: reload, re-apply, commit again
    print(json.dumps({"landed": landed, "conflicts": conflicts}))
    """
)


def test_four_processes_lose_no_commit(tmp_path: Path) -> None:
    mount(TaskTree, tmp_path)
    rounds, names = 5, ["p0", "p1", "p2", "p3"]
    project = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", WORKER, str(tmp_path)]
    workers = [
        subprocess.Popen(
            [*command, name, str(rounds)],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    assert sum(result["landed"] for result in results) == rounds * len(names)
    final = mount(TaskTree, tmp_path)
    assert sorted(final.tasks) == sorted(f"{n}-{s}" for n in names for s in range(rounds))
    assert final.counter.number == rounds * len(names)  # no increment overwritten
    assert len(git_lines(tmp_path, "log", "--format=%H")) == 1 + rounds * len(names)
    git(tmp_path, "fsck", "--strict")
    assert git(tmp_path, "status", "--porcelain") == ""
