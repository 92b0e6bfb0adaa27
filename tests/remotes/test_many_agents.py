"""K agent processes share one host through `sync_with`: nothing lost, everyone lands.

Each agent writes only its own key of ``board.json`` and its own notes file, so a
correct merge never conflicts: every conflict, lost update or error outside the
documented ones is a bug. Bounded in rounds (each agent commits and syncs ``ROUNDS``
times), over a local-path host and over a real ``git daemon`` on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from tests.oracle import git
from tests.remotes.conftest import make_hub
from tests.remotes.daemon import git_daemon
from tests.remotes.swarm import host_state, run_swarm, seed_host

AGENTS = 4
ROUNDS = 2


@contextmanager
def _local(hub: Path) -> Iterator[str]:
    yield str(hub)


@contextmanager
def _daemon(hub: Path) -> Iterator[str]:
    with git_daemon(hub.parent) as root:
        yield root + hub.name


HOSTS: dict[str, Callable[[Path], AbstractContextManager[str]]] = {
    "local-path": _local,
    "git-daemon": _daemon,
}


@pytest.mark.parametrize("host", sorted(HOSTS), ids=sorted(HOSTS))
def test_every_agent_lands_every_round_and_nothing_is_lost(host: str, tmp_path: Path) -> None:
    (tmp_path / "served").mkdir()
    hub = make_hub(tmp_path / "served" / "hub.git")
    with HOSTS[host](hub) as url:
        seed_host(url, tmp_path)
        reports = run_swarm(url, tmp_path, AGENTS, ROUNDS)

    assert [error for report in reports for error in report.errors] == []
    assert [report.landed for report in reports] == [ROUNDS] * AGENTS
    state = host_state(hub, tmp_path)
    names = [report.name for report in reports]
    assert state["counts"] == {name: ROUNDS for name in names}  # no lost update
    assert state["notes"] == {
        name: [f"{name} round {r}" for r in range(1, ROUNDS + 1)] for name in names
    }
    assert git(hub, "fsck", "--strict") == ""
