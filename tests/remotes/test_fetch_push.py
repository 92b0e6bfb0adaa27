"""Fetch and push: branches and checkpoints as remote-tracking refs, never a force."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.refs import Ref

from gitworktree import ConflictError, RemoteError, Repository, RepositoryError
from gitworktree.history._remote.remotes import RemoteTarget
from gitworktree.history._remote.transfer import _check_statuses
from tests.oracle import git, git_lines
from tests.remotes.conftest import make_hub


def ref_of(repo: Repository | Path, ref: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "--quiet", ref, check=False).strip()
    return out or None


@pytest.fixture
def first(tmp_path: Path, hub: Path) -> Iterator[Repository]:
    """A clone of the hub with one commit, pushed."""
    with Repository.clone(str(hub), tmp_path / "first") as repo:
        repo.commit_changes({"plan.json": b'{"title": "x"}\n'}, message="Start")
        repo.push()
        yield repo


@pytest.fixture
def second(tmp_path: Path, hub: Path, first: Repository) -> Iterator[Repository]:
    """Another clone of the hub, made after ``first`` pushed."""
    with Repository.clone(str(hub), tmp_path / "second") as repo:
        yield repo


def test_push_moves_the_hub_branch_and_the_tracking_ref(first: Repository, hub: Path) -> None:
    first.commit_changes({"a.json": b"{}\n"}, message="More")
    result = first.push()
    assert result.updated == {"refs/heads/main": first.head}
    assert ref_of(hub, "refs/heads/main") == first.head
    assert ref_of(first, "refs/remotes/origin/main") == first.head


def test_pushing_what_the_hub_has_changes_nothing(first: Repository) -> None:
    assert first.push().updated == {}


def test_fetch_updates_tracking_refs_only(first: Repository, second: Repository) -> None:
    before = second.head
    first.commit_changes({"a.json": b"{}\n"}, message="More")
    first.push()
    result = second.fetch()
    assert result.heads == {"main": first.head}
    assert result.updated == {"refs/remotes/origin/main": first.head}
    assert second.head == before
    assert not (second.path / "a.json").exists()
    assert "fetch: from" in git(second, "reflog", "refs/remotes/origin/main")


def test_a_non_fast_forward_push_is_refused_and_suggests_pull(
    first: Repository, second: Repository, hub: Path
) -> None:
    first.commit_changes({"a.json": b"{}\n"}, message="First's")
    first.push()
    second.commit_changes({"b.json": b"{}\n"}, message="Second's")
    with pytest.raises(ConflictError, match=r"not a fast-forward.*[Pp]ull") as caught:
        second.push()
    assert caught.value.ref == "refs/heads/main"
    assert ref_of(hub, "refs/heads/main") == first.head


def test_force_overwrites_only_when_asked(first: Repository, second: Repository, hub: Path) -> None:
    first.commit_changes({"a.json": b"{}\n"}, message="First's")
    first.push()
    second.commit_changes({"b.json": b"{}\n"}, message="Second's")
    second.push(force=True)
    assert ref_of(hub, "refs/heads/main") == second.head


def test_checkpoints_are_pushed_only_when_asked(first: Repository, hub: Path) -> None:
    first.create_checkpoint("before-refactor")
    first.push()
    assert ref_of(hub, "refs/checkpoints/before-refactor") is None
    result = first.push(checkpoints=True)
    assert result.updated == {"refs/checkpoints/before-refactor": first.head}
    assert ref_of(hub, "refs/checkpoints/before-refactor") == first.head


def test_fetched_checkpoints_can_be_restored(first: Repository, second: Repository) -> None:
    first.create_checkpoint("known-good")
    first.commit_changes({"plan.json": b'{"title": "broken"}\n'}, message="Oops")
    first.push(checkpoints=True)
    result = second.fetch()
    assert result.updated["refs/remotes/origin/checkpoints/known-good"] == first.resolve(
        "known-good"
    )
    assert second.checkpoints() == []  # the host's checkpoints are never local ones
    assert [c.label for c in second.remote_checkpoints()] == ["origin/checkpoints/known-good"]
    second.pull()
    second.restore("origin/checkpoints/known-good")
    assert (second.path / "plan.json").read_bytes() == b'{"title": "x"}\n'


def test_a_local_checkpoint_is_never_overwritten_by_fetch(
    first: Repository, second: Repository
) -> None:
    first.commit_changes({"a.json": b"{}\n"}, message="More")
    first.create_checkpoint("mine")
    first.push(checkpoints=True)
    local = second.create_checkpoint("mine").sha
    result = second.fetch()
    assert result.kept == ("mine",)
    assert second.checkpoint("mine").sha == local
    assert second.resolve("origin/checkpoints/mine") == first.head


def test_a_checkpoint_taken_elsewhere_is_not_overwritten_by_push(
    first: Repository, second: Repository, hub: Path
) -> None:
    first.create_checkpoint("shared-name")
    first.push(checkpoints=True)
    second.commit_changes({"b.json": b"{}\n"}, message="Second's")
    second.create_checkpoint("shared-name")
    with pytest.raises(ConflictError, match="shared-name exist there at other commits"):
        second.push(checkpoints=True)
    assert ref_of(hub, "refs/heads/main") == first.head  # nothing at all was pushed


def test_pushing_an_unborn_branch_says_there_is_nothing(tmp_path: Path, hub: Path) -> None:
    with (
        Repository.clone(str(hub), tmp_path / "empty") as repo,
        pytest.raises(RepositoryError, match="nothing to push"),
    ):
        repo.push()


def test_pushing_into_a_checked_out_branch_is_refused(first: Repository, tmp_path: Path) -> None:
    with Repository.init(tmp_path / "workspace") as other:
        other.commit_changes({"x.json": b"{}\n"}, message="Theirs")
        first.add_remote("workspace", str(other.path))
        with pytest.raises(RemoteError, match="checked out"):
            first.push("workspace", force=True)
        assert other.head is not None and other.head != first.head


def test_a_url_can_be_used_without_configuring_a_remote(first: Repository, tmp_path: Path) -> None:
    other = make_hub(tmp_path / "other.git")
    result = first.push(str(other))
    assert result.remote == str(other)
    assert ref_of(other, "refs/heads/main") == first.head
    assert git_lines(first, "for-each-ref", "refs/remotes") == [
        f"{first.head} commit\trefs/remotes/origin/main"
    ]


def test_an_unreachable_remote_is_a_remote_error(first: Repository) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before use: nothing listens there
    first.add_remote("gone", f"git://127.0.0.1:{port}/x.git")
    with pytest.raises(RemoteError, match="cannot reach") as caught:
        first.fetch("gone")
    assert caught.value.remote == "gone"


def test_a_path_that_is_not_a_repository_is_a_remote_error(
    first: Repository, tmp_path: Path
) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(RemoteError, match="not a Git repository"):
        first.fetch(str(tmp_path / "plain"))


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        ("non-fast-forward", ConflictError),
        ("unable to set 'refs/heads/main'", ConflictError),
        ("pre-receive hook declined", RemoteError),
    ],
    ids=["raced", "compare-and-swap-lost", "hook"],
)
def test_a_ref_the_remote_refused_is_reported(error: str, raised: type[Exception]) -> None:
    target = RemoteTarget("origin", "https://bot:pw@host/x.git")
    with pytest.raises(raised, match=re.escape(error)) as caught:
        _check_statuses(target, Ref(b"refs/heads/main"), {b"refs/heads/main": error})
    assert "pw" not in str(caught.value)
