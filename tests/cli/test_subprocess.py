"""The installed ``gitworktree`` command, run as a real process: demo, log and restore."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import SCRIPT, History
from tests.oracle import git, git_lines


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_demo_then_log_as_a_user_would(tmp_path: Path) -> None:
    demo = run("demo", tmp_path / "demo")
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""
    assert "repaired" in demo.stdout
    result = run("log", "--json", cwd=tmp_path / "demo")
    assert result.returncode == 0
    entries = json.loads(result.stdout)
    assert [entry["sha"] for entry in entries] == git_lines(tmp_path / "demo", "log", "--format=%H")
    assert (
        entries[0]["trailers"]["Gitworktree-Restored-From"]
        == git(tmp_path / "demo", "rev-parse", "checkpoints/before-cleanup").strip()
    )


def test_restore_as_a_user_would(history: History) -> None:
    result = run("restore", "planned", cwd=history.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Restored planned ({history.planned[:7]}) as a new commit ")
    assert git(history.root, "diff", "checkpoints/planned", "HEAD") == ""
    assert git(history.root, "status", "--porcelain") == ""


def test_errors_are_one_message_and_an_exit_status(tmp_path: Path) -> None:
    result = run("log", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: not a gitworktree repository: ")
    assert result.stderr.count("\n") == 1
    restore = run("restore", "nowhere", cwd=tmp_path)
    assert restore.returncode == 1
    assert "Traceback" not in restore.stderr


def test_a_history_command_starts_without_a_garbage_collection(history: History) -> None:
    # Start-up allocates tens of thousands of objects that live as long as the process:
    # collecting among them finds almost nothing and cost ~3 ms of `log` (issue 17).
    code = (
        "import gc, sys\n"
        "runs = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and runs.append(info))\n"
        "sys.argv = ['gitworktree', 'log', '-n', '20']\n"
        "from gitworktree.cli import main\n"
        "before = len(runs)\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('collections:', len(runs) - before, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=history.root, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "collections: 0"
