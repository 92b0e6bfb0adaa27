"""Every example of worktree's README, run against gitworktree.compat.worktree.

The examples are the README's code with ``worktree`` imports changed to
``gitworktree.compat.worktree`` and ``/data`` replaced by a fresh directory. Each "run
of the program" mounts anew, as a second process would. The Git variant mounts the
same code through ``impl.accessibility.git`` and checks the history with real git.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitworktree.compat.worktree.contract import LayoutAnchor, Worktree
from gitworktree.compat.worktree.impl.accessibility.filesystem import FilesystemMountDriver
from gitworktree.compat.worktree.impl.accessibility.git import GitMountDriver
from gitworktree.compat.worktree.impl.items.pydantic_model import PydanticArtifact
from gitworktree.compat.worktree.mounting.base import BaseMounter
from tests.oracle import git, git_lines

DRIVERS = {"filesystem": FilesystemMountDriver, "git": GitMountDriver}


# --- the counter --------------------------------------------------------------------------


class Counter(PydanticArtifact):
    number: int = 0


class CounterWorktree(Worktree):
    counter: Counter


def run_counter_program(data: Path, driver_cls: Any = FilesystemMountDriver) -> None:
    driver = driver_cls()
    root = driver.mount(data)
    mounter = BaseMounter(root)
    worktree = mounter.mount(CounterWorktree)
    print(worktree.counter.number)
    worktree.counter.number += 1
    worktree.commit()


@pytest.mark.parametrize("runs", [1, 3], ids=["first-run", "third-run"])
@pytest.mark.parametrize("driver", sorted(DRIVERS), ids=sorted(DRIVERS))
def test_counter_prints_consecutive_integers_across_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runs: int, driver: str
) -> None:
    for _ in range(runs):
        run_counter_program(tmp_path / "data", DRIVERS[driver])
    assert capsys.readouterr().out.split() == [str(n) for n in range(runs)]
    assert json.loads((tmp_path / "data" / "counter.json").read_text()) == {"number": runs}


def test_counter_on_git_is_one_commit_per_sync_and_commit(tmp_path: Path) -> None:
    for _ in range(2):
        run_counter_program(tmp_path / "data", GitMountDriver)
    data = tmp_path / "data"
    # Run 1: sync creates counter.json, commit writes 1; run 2: commit writes 2.
    assert len(git_lines(data, "log", "--format=%H")) == 3
    assert git(data, "show", "HEAD:counter.json").strip().endswith("}")
    assert git_lines(data, "status", "--porcelain") == []
    git(data, "fsck", "--strict")


# --- layout anchors -----------------------------------------------------------------------


class DatabaseConfig(PydanticArtifact):
    host: str = "localhost"
    port: int = 5432


class ServerConfig(PydanticArtifact):
    debug: bool = False


class AppLayout(LayoutAnchor):
    class Storage(LayoutAnchor):
        db: DatabaseConfig

    storage: Storage
    config: ServerConfig
    logs: LayoutAnchor  # Bare directory/collection stub


class ProjectWorktree(Worktree):
    app: AppLayout


def run_layout_program(data: Path, driver_cls: Any = FilesystemMountDriver) -> None:
    driver = driver_cls()
    root = driver.mount(data)
    mounter = BaseMounter(root)
    tree = mounter.mount(ProjectWorktree)
    print(tree.app.storage.db.host)
    print(tree.app.config.debug)
    tree.app.storage.db.host = "postgres.prod"
    tree.commit()


@pytest.mark.parametrize("driver", sorted(DRIVERS), ids=sorted(DRIVERS))
def test_layout_prints_localhost_then_the_committed_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], driver: str
) -> None:
    run_layout_program(tmp_path / "data", DRIVERS[driver])
    run_layout_program(tmp_path / "data", DRIVERS[driver])
    assert capsys.readouterr().out.split() == ["localhost", "False", "postgres.prod", "False"]


def test_layout_creates_the_declared_directories_and_files(tmp_path: Path) -> None:
    run_layout_program(tmp_path / "data")
    found = sorted(
        str(path.relative_to(tmp_path / "data")) for path in (tmp_path / "data").rglob("*")
    )
    assert found == ["app", "app/config.json", "app/logs", "app/storage", "app/storage/db.json"]
