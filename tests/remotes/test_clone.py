"""Clone: a working copy of a Git host, set up as git would set it up."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import RemoteError, Repository, RepositoryError
from tests.oracle import git, git_lines


@pytest.fixture
def populated_hub(tmp_path: Path, hub: Path) -> Path:
    """The hub with one commit on ``main`` (two files) and a checkpoint."""
    with Repository.clone(str(hub), tmp_path / "seed") as seed:
        seed.commit_changes(
            {"plan.json": b'{"title": "x"}\n', "tasks/t1.json": b'{"title": "one"}\n'},
            message="Seed",
        )
        seed.create_checkpoint("seeded")
        seed.push(checkpoints=True)
    return hub


def test_a_clone_checks_out_the_branch_with_a_clean_status(
    populated_hub: Path, tmp_path: Path
) -> None:
    with Repository.clone(str(populated_hub), tmp_path / "clone") as repo:
        assert (repo.path / "tasks" / "t1.json").read_bytes() == b'{"title": "one"}\n'
        assert repo.branch == "main"
        assert git(repo, "status", "--porcelain") == ""
        assert git(repo, "fsck") == ""


def test_a_clone_tracks_the_remote_branch_as_git_would(populated_hub: Path, tmp_path: Path) -> None:
    with Repository.clone(str(populated_hub), tmp_path / "clone") as repo:
        assert repo.remotes() == {"origin": str(populated_hub)}
        assert git(repo, "rev-parse", "--abbrev-ref", "main@{upstream}").strip() == "origin/main"
        assert git_lines(repo, "reflog", "--format=%gs") == [f"clone: from {populated_hub}"]


def test_a_clone_brings_the_checkpoints_as_the_remotes(populated_hub: Path, tmp_path: Path) -> None:
    with Repository.clone(str(populated_hub), tmp_path / "clone") as repo:
        assert repo.checkpoints() == []
        found = repo.remote_checkpoints()
        assert [(c.remote, c.name, c.ref) for c in found] == [
            ("origin", "seeded", "refs/remotes/origin/checkpoints/seeded")
        ]


def test_a_relative_path_is_stored_absolute(
    populated_hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(populated_hub.parent)
    with Repository.clone(populated_hub.name, tmp_path / "clone") as repo:
        assert repo.remotes() == {"origin": str(populated_hub)}


def test_cloning_an_empty_hub_gives_an_unborn_branch(hub: Path, tmp_path: Path) -> None:
    with Repository.clone(str(hub), tmp_path / "clone") as repo:
        assert repo.head is None
        assert repo.branch == "main"
        repo.commit_changes({"a.json": b"{}\n"}, message="First")
        assert repo.push().updated == {"refs/heads/main": repo.head}


def test_the_remote_default_branch_is_checked_out(tmp_path: Path) -> None:
    source = tmp_path / "source"
    git(tmp_path, "init", "-q", "-b", "trunk", str(source))
    (source / "a.txt").write_text("a\n")
    git(source, "add", "a.txt")
    git(source, "commit", "-q", "-m", "A")
    git(source, "branch", "other")
    with Repository.clone(str(source), tmp_path / "clone") as repo:
        assert repo.branch == "trunk"
    with Repository.clone(str(source), tmp_path / "other", branch="other") as repo:
        assert repo.branch == "other"
        assert (repo.path / "a.txt").read_text() == "a\n"


def test_a_missing_branch_is_a_remote_error_and_leaves_nothing(
    populated_hub: Path, tmp_path: Path
) -> None:
    with pytest.raises(RemoteError, match="no branch 'nope'"):
        Repository.clone(str(populated_hub), tmp_path / "clone", branch="nope")
    assert not (tmp_path / "clone").exists()


def test_a_failed_clone_into_an_empty_directory_leaves_it_empty(tmp_path: Path) -> None:
    target = tmp_path / "clone"
    target.mkdir()
    with pytest.raises(RemoteError):
        Repository.clone(str(tmp_path / "no-such-hub"), target)
    assert list(target.iterdir()) == []


def test_cloning_into_a_non_empty_directory_is_refused(hub: Path, tmp_path: Path) -> None:
    target = tmp_path / "clone"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    with pytest.raises(RepositoryError, match="not an empty directory"):
        Repository.clone(str(hub), target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
