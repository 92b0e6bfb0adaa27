"""Packs that pushes and fetches add are consolidated as ``git gc --auto`` would.

Every push into a repository on this machine, and every fetch of ``fetch.unpackLimit``
objects or more, adds one pack (smaller fetches are stored loose, as git does); past
``gc.autoPackLimit`` packs they are rewritten into one, and git still finds everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import pull, push
from tests.oracle import git, git_lines
from tests.remotes.conftest import Agents, start_agents


def _packs(objects: Path) -> list[str]:
    return sorted(p.name for p in (objects / "pack").glob("*.pack"))


def _exchange(agents: Agents, rounds: int) -> None:
    """The planner pushes, the writer pulls (a fetch), ``rounds`` times."""
    planner, writer = agents
    for round_ in range(rounds):
        planner.plan.steps = [f"step {round_}"]
        planner.commit()
        push(planner)
        pull(writer)


@pytest.mark.parametrize(
    "where", ["host", "fetching clone"], ids=["pushed-into-host", "fetched-into-clone"]
)
def test_more_packs_than_the_limit_become_one(hub: Path, tmp_path: Path, where: str) -> None:
    agents = start_agents(str(hub), tmp_path)
    repository = hub if where == "host" else agents[1].repo.path
    git_dir = hub if where == "host" else repository / ".git"
    git(repository, "config", "gc.autoPackLimit", "2")
    git(agents[1].repo.path, "config", "fetch.unpackLimit", "1")  # a pack per fetch
    _exchange(agents, 4)

    assert 1 <= len(_packs(git_dir / "objects")) <= 2
    assert git(repository, "fsck", "--strict") == ""
    assert len(git_lines(repository, "rev-list", "--all")) >= 5


def test_a_small_fetch_is_stored_loose_not_as_one_more_pack(hub: Path, tmp_path: Path) -> None:
    agents = start_agents(str(hub), tmp_path)
    objects = agents[1].repo.path / ".git" / "objects"
    before = _packs(objects)
    _exchange(agents, 3)  # fewer objects each time than fetch.unpackLimit (100)
    assert _packs(objects) == before
    assert git(agents[1].repo.path, "fsck", "--strict") == ""


def test_no_consolidation_when_the_limit_is_zero(hub: Path, tmp_path: Path) -> None:
    agents = start_agents(str(hub), tmp_path)
    git(hub, "config", "gc.autoPackLimit", "0")
    before = len(_packs(hub / "objects"))
    _exchange(agents, 3)
    assert len(_packs(hub / "objects")) == before + 3


def test_a_kept_pack_is_left_alone(hub: Path, tmp_path: Path) -> None:
    agents = start_agents(str(hub), tmp_path)
    git(hub, "config", "gc.autoPackLimit", "2")
    kept = _packs(hub / "objects")[0]
    (hub / "objects" / "pack" / kept.replace(".pack", ".keep")).write_text("")
    _exchange(agents, 4)
    assert kept in _packs(hub / "objects")
    assert git(hub, "fsck", "--strict") == ""
