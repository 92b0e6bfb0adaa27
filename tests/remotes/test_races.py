"""Races with other pushers are `ConflictError`s to retry, never raw errors or dangling refs.

The fetch race is made deterministic: the host moves (a real ``git push``) exactly
between the moment the fetch reads the host's refs and the moment it copies objects
(dulwich's own local fetch read the refs a second time there, and reported that).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dulwich.object_store import DiskObjectStore
from dulwich.pack import Pack, PackFileDisappeared

from gitworktree import ConflictError, Repository, pull, push
from gitworktree.history._remote import transfer
from gitworktree.mounting.remote_sync import clone_and_mount
from tests.oracle import git
from tests.remotes.conftest import make_hub, start_agents
from tests.remotes.daemon import git_daemon
from tests.remotes.models import AgentState


def _outsider(hub: Path, root: Path) -> Callable[[], str]:
    """A person's clone of ``hub`` (real git); calling the result commits and pushes once."""
    clone = root / "outsider"
    subprocess.run(["git", "clone", "-q", str(hub), str(clone)], check=True)
    git(clone, "config", "user.name", "Outsider")
    git(clone, "config", "user.email", "outsider@example.com")

    def push_one() -> str:
        (clone / "notes.txt").write_text("pushed during the fetch\n")
        git(clone, "commit", "-qam", "Outsider's note")
        git(clone, "push", "-q", "origin", "HEAD:main")
        return git(clone, "rev-parse", "HEAD").strip()

    return push_one


@pytest.fixture
def push_during_fetch(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], str]]]:
    """Run the registered push once, right after the host's refs were read for a fetch."""
    pending: list[Callable[[], str]] = []
    original = transfer.commits_to_fetch

    def racing(*args: Any, **kwargs: Any) -> Any:
        while pending:
            pending.pop()()
        return original(*args, **kwargs)

    monkeypatch.setattr(transfer, "commits_to_fetch", racing)
    yield pending


def test_a_push_landing_during_a_fetch_is_not_reported_as_fetched(
    hub: Path, tmp_path: Path, push_during_fetch: list[Callable[[], str]]
) -> None:
    planner, writer = start_agents(str(hub), tmp_path)
    push_during_fetch.append(_outsider(hub, tmp_path))
    fetched = writer.repo.fetch()

    assert not push_during_fetch  # the push did land during the fetch
    assert fetched.heads == {"main": planner.repo.head}
    assert git(writer.repo.path, "rev-parse", "origin/main").strip() == planner.repo.head
    assert git(writer.repo.path, "fsck", "--strict") == ""
    pull(writer)  # and the next pull brings the outsider's commit
    assert writer.notes.text == "pushed during the fetch\n"


def test_a_clone_racing_a_push_checks_out_what_it_copied(
    hub: Path, tmp_path: Path, push_during_fetch: list[Callable[[], str]]
) -> None:
    planner, _ = start_agents(str(hub), tmp_path)
    push_during_fetch.append(_outsider(hub, tmp_path))
    with Repository.clone(str(hub), tmp_path / "late") as late:
        assert late.head == planner.repo.head
    assert git(tmp_path / "late", "fsck", "--strict") == ""
    assert git(tmp_path / "late", "status", "--porcelain") == ""


def _lock_main(hub: Path) -> Path:
    lock = hub / "refs" / "heads" / "main.lock"
    lock.write_text("held by another pusher\n")
    return lock


def test_a_locked_branch_on_a_local_host_is_a_conflict_to_retry(hub: Path, tmp_path: Path) -> None:
    planner, _ = start_agents(str(hub), tmp_path)
    before = git(hub, "rev-parse", "main").strip()
    planner.plan.title = "while locked"
    planner.commit()
    lock = _lock_main(hub)

    with pytest.raises(ConflictError, match="Pull first") as caught:
        push(planner)
    assert caught.value.ref == "refs/heads/main"
    assert lock.exists() and git(hub, "rev-parse", "main").strip() == before
    lock.unlink()
    push(planner)  # the retry lands
    assert git(hub, "rev-parse", "main").strip() == planner.repo.head


def test_a_locked_branch_behind_git_daemon_is_a_conflict_to_retry(tmp_path: Path) -> None:
    (tmp_path / "served").mkdir()
    hub = make_hub(tmp_path / "served" / "hub.git")
    with git_daemon(tmp_path / "served") as root:
        url = root + "hub.git"
        planner = clone_and_mount(AgentState, tmp_path / "planner", url)
        push(planner)
        planner.plan.title = "while locked"
        planner.commit()
        _lock_main(hub)
        with pytest.raises(ConflictError, match="Pull first") as caught:
            push(planner)
        assert caught.value.ref == "refs/heads/main"


def test_a_push_whose_host_packs_were_rewritten_meanwhile_lands_on_retry(
    hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another pusher consolidating the host's packs removes one dulwich just listed:
    # dulwich raises PackFileDisappeared from inside its local push (seen in the K=8 runs).
    planner, _ = start_agents(str(hub), tmp_path)
    planner.plan.title = "while repacking"
    planner.commit()
    original = DiskObjectStore.add_pack_data
    vanished: list[str] = []

    def racing(self: DiskObjectStore, *args: Any, **kwargs: Any) -> Any:
        if self.path.startswith(str(hub)) and not vanished:
            vanished.append(self.path)
            gone = Pack(os.path.join(self.pack_dir, "pack-gone"), object_format=self.object_format)
            gone.close()
            raise PackFileDisappeared(gone)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DiskObjectStore, "add_pack_data", racing)
    push(planner)

    assert vanished and git(hub, "rev-parse", "main").strip() == planner.repo.head
    assert git(hub, "fsck", "--strict") == ""
