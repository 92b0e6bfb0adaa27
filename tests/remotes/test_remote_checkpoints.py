"""A host's checkpoints live in a namespace of their own and never shadow a revision.

The host here is hostile: it names its checkpoints ``HEAD``, ``main``, the abbreviated id
of one of our commits, ``origin/main``. Fetch, pull and clone keep them as
``refs/remotes/<remote>/checkpoints/*``; every local name and id still means what it did.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree import CheckpointError, Repository
from tests.cli.conftest import invoke
from tests.oracle import git, git_lines

HOSTILE_NAMES = ["HEAD", "main", "origin/main", "checkpoints/x", "before"]


def git_input(repo: Path, data: bytes, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def refs_under(repo: Repository | Path, prefix: str) -> dict[str, str]:
    lines = git_lines(repo, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
    return dict(line.split(" ") for line in lines)


@pytest.fixture
def local(tmp_path: Path, hub: Path) -> Iterator[Repository]:
    """A clone with two commits of its own (``old`` is checkpointed as ``before``)."""
    with Repository.clone(str(hub), tmp_path / "local") as repo:
        repo.commit_changes({"notes.txt": b"old\n"}, message="Old")
        repo.create_checkpoint("before")
        repo.commit_changes({"notes.txt": b"new\n"}, message="New")
        repo.push()
        yield repo


@pytest.fixture
def hostile_hub(hub: Path, local: Repository) -> tuple[Path, str]:
    """The hub, given checkpoints named like our revisions, at a commit of its own."""
    blob = git_input(hub, b"theirs\n", "hash-object", "-w", "--stdin")
    tree = git_input(hub, f"100644 blob {blob}\tnotes.txt\n".encode(), "mktree")
    theirs = git(hub, "commit-tree", "-p", "main", "-m", "Theirs", tree).strip()
    short = local.resolve("HEAD~1")[:7]  # an id `log` prints for one of our commits
    for name in [*HOSTILE_NAMES, short]:
        git(hub, "update-ref", f"refs/checkpoints/{name}", theirs)
    return hub, theirs


def test_fetch_keeps_the_hosts_checkpoints_apart(
    local: Repository, hostile_hub: tuple[Path, str]
) -> None:
    _, theirs = hostile_hub
    ours = refs_under(local, "refs/checkpoints/")
    meaning = {rev: local.resolve(rev) for rev in ("HEAD", "main", "before", "HEAD~1")}
    short = meaning["HEAD~1"][:7]

    result = local.fetch()

    assert refs_under(local, "refs/checkpoints/") == ours
    assert {rev: local.resolve(rev) for rev in meaning} == meaning
    assert local.resolve(short) == meaning["HEAD~1"]
    expected = {f"refs/remotes/origin/checkpoints/{name}" for name in [*HOSTILE_NAMES, short]}
    assert set(refs_under(local, "refs/remotes/origin/checkpoints/")) == expected
    assert expected <= set(result.updated)
    assert result.kept == ("before",)  # ours differs from theirs; ours is untouched
    assert local.resolve("origin/checkpoints/before") == theirs


def test_the_hosts_checkpoints_are_listed_as_theirs(
    local: Repository, hostile_hub: tuple[Path, str]
) -> None:
    local.fetch()
    assert [c.name for c in local.checkpoints()] == ["before"]
    found = local.remote_checkpoints("origin")
    assert {c.remote for c in found} == {"origin"}
    assert "origin/checkpoints/HEAD" in [c.label for c in found]
    with pytest.raises(CheckpointError, match="delete it there"):
        found[0].discard()
    assert len(local.remote_checkpoints()) == len(found)


def test_a_hosts_checkpoint_restores_by_its_remote_name(
    local: Repository, hostile_hub: tuple[Path, str]
) -> None:
    _, theirs = hostile_hub
    local.fetch()
    info = local.restore("origin/checkpoints/main")
    assert info.trailers["Gitworktree-Restored-From"] == theirs
    assert info.message == "Restore origin/checkpoints/main"
    assert (local.path / "notes.txt").read_bytes() == b"theirs\n"


def test_a_clone_takes_no_local_checkpoint_from_the_host(
    hostile_hub: tuple[Path, str], tmp_path: Path
) -> None:
    hub, _ = hostile_hub
    with Repository.clone(str(hub), tmp_path / "clone") as clone:
        assert refs_under(clone, "refs/checkpoints/") == {}
        assert clone.resolve("main") == git(hub, "rev-parse", "main").strip()
        assert "origin/checkpoints/HEAD" in [c.label for c in clone.remote_checkpoints()]


def test_pushed_checkpoints_land_in_the_hosts_checkpoints(local: Repository, hub: Path) -> None:
    result = local.push(checkpoints=True)
    sha = local.resolve("before")
    assert result.updated == {"refs/checkpoints/before": sha}
    assert refs_under(hub, "refs/checkpoints/") == {"refs/checkpoints/before": sha}
    assert local.resolve("origin/checkpoints/before") == sha  # the tracking copy moved too


def test_a_host_branch_in_the_checkpoints_folder_gets_no_tracking_ref(
    local: Repository, hub: Path
) -> None:
    git(hub, "update-ref", "refs/heads/checkpoints/fake", "main")
    git(hub, "update-ref", "refs/heads/HEAD", "main")
    result = local.fetch()
    assert "checkpoints/fake" in result.heads and "HEAD" in result.heads
    assert refs_under(local, "refs/remotes/origin/checkpoints/") == {}
    assert git(local, "symbolic-ref", "-q", "refs/remotes/origin/HEAD", check=False) == ""
    assert "refs/remotes/origin/HEAD" not in refs_under(local, "refs/remotes/")


def test_removing_the_remote_removes_its_checkpoints(
    local: Repository, hostile_hub: tuple[Path, str]
) -> None:
    local.fetch()
    local.remove_remote("origin")
    assert refs_under(local, "refs/remotes/") == {}
    assert [c.name for c in local.checkpoints()] == ["before"]


def test_cli_lists_the_hosts_checkpoints_under_their_remote_name(
    local: Repository, hostile_hub: tuple[Path, str]
) -> None:
    local.fetch()
    plain = invoke("-C", local.path, "checkpoint", "list")
    assert plain.exit_code == 0
    assert [line.split()[0] for line in plain.output.splitlines()] == ["before"]
    listed = invoke("-C", local.path, "checkpoint", "list", "--remotes")
    names = [line.split()[0] for line in listed.output.splitlines()]
    assert "origin/checkpoints/HEAD" in names and "HEAD" not in names
    document = json.loads(
        invoke("-C", local.path, "checkpoint", "list", "--remotes", "--json").output
    )
    head = next(entry for entry in document if entry["name"] == "HEAD")
    assert head["remote"] == "origin"
    assert head["ref"] == "refs/remotes/origin/checkpoints/HEAD"
