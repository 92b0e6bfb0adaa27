"""Revision lookup order: an id printed by ``log`` always means that commit.

Refs named like ids (made by plain git, which allows them), and names that several refs
answer to, can never make ``resolve``/``restore`` land on another commit than the one the
user read: an id wins, and a name with two meanings is refused. New checkpoints that
would read as another revision are refused when created.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import (
    AmbiguousRevisionError,
    Checkpoint,
    CheckpointError,
    InvalidNameError,
    Repository,
)
from tests.oracle import git, git_lines


@pytest.fixture
def two(repo: Repository) -> tuple[Repository, str, str]:
    """A repository with two commits: ``old`` (notes "old") and ``new`` (HEAD)."""
    old = repo.commit_changes({"notes.txt": b"old\n"}, message="Old notes").sha
    new = repo.commit_changes({"notes.txt": b"new\n"}, message="New notes").sha
    return repo, old, new


def refs_of(repo: Repository) -> list[str]:
    return git_lines(repo, "for-each-ref", "--format=%(refname) %(objectname)")


SHADOWS = ["refs/checkpoints/{}", "refs/heads/{}", "refs/tags/{}", "refs/remotes/{}"]


@pytest.mark.parametrize("where", SHADOWS, ids=["checkpoint", "branch", "tag", "remote-tracking"])
def test_an_abbreviated_id_wins_over_a_ref_of_that_name(
    two: tuple[Repository, str, str], where: str
) -> None:
    repo, old, new = two
    short = git(repo, "rev-parse", "--short=7", old).strip()
    git(repo, "update-ref", where.format(short), new)  # plain git allows such a name
    assert repo.resolve(short) == old


@pytest.mark.parametrize("where", SHADOWS, ids=["checkpoint", "branch", "tag", "remote-tracking"])
def test_restore_of_an_id_printed_by_log_restores_that_commit(
    two: tuple[Repository, str, str], where: str
) -> None:
    repo, old, new = two
    printed = git_lines(repo, "log", "--format=%h", "--abbrev=7")[1]  # the old commit
    git(repo, "update-ref", where.format(printed), new)
    info = repo.restore(printed)
    assert info.trailers["Gitworktree-Restored-From"] == old
    assert (repo.path / "notes.txt").read_bytes() == b"old\n"


def test_a_full_id_wins_over_a_ref_of_that_name_as_in_git(two: tuple[Repository, str, str]) -> None:
    repo, old, new = two
    git(repo, "update-ref", f"refs/heads/{old}", new)
    assert repo.resolve(old) == old == git(repo, "rev-parse", old).strip()


def test_a_hex_name_that_begins_no_commit_is_looked_up_as_a_ref(
    two: tuple[Repository, str, str],
) -> None:
    repo, old, new = two
    name = next(
        candidate
        for candidate in ("cafe", "beef", "f00d", "dead")
        if not any(sha.startswith(candidate) for sha in (old, new))
        and not git(repo, "rev-parse", "--disambiguate=" + candidate, check=False).strip()
    )
    git(repo, "update-ref", f"refs/heads/{name}", old)
    assert repo.resolve(name) == old


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("refs/heads/{}", "refs/checkpoints/{}"),
        ("refs/tags/{}", "refs/heads/{}"),
        ("refs/remotes/{}", "refs/checkpoints/{}"),
    ],
    ids=["branch-and-checkpoint", "tag-and-branch", "remote-tracking-and-checkpoint"],
)
def test_a_name_two_refs_answer_to_is_refused_as_ambiguous(
    two: tuple[Repository, str, str], first: str, second: str
) -> None:
    repo, old, new = two
    git(repo, "update-ref", first.format("guard"), old)
    git(repo, "update-ref", second.format("guard"), new)
    with pytest.raises(AmbiguousRevisionError) as raised:
        repo.resolve("guard")
    assert set(raised.value.candidates) == {first.format("guard"), second.format("guard")}
    with pytest.raises(AmbiguousRevisionError):
        repo.restore("guard")
    assert repo.head == new
    assert repo.resolve(first.format("guard")) == old  # the full names still work


def test_refs_of_one_name_at_the_same_commit_are_not_ambiguous(
    two: tuple[Repository, str, str],
) -> None:
    repo, old, _ = two
    git(repo, "update-ref", "refs/heads/guard", old)
    git(repo, "update-ref", "refs/checkpoints/guard", old)
    assert repo.resolve("guard") == old


def test_checkpoints_are_still_found_by_bare_and_full_name(
    two: tuple[Repository, str, str],
) -> None:
    repo, old, _ = two
    repo.create_checkpoint("before", rev=old)
    assert repo.resolve("before") == repo.resolve("checkpoints/before") == old
    repo.restore("before")
    assert (repo.path / "notes.txt").read_bytes() == b"old\n"


SHADOWING_NAMES = [
    "HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "cafe", "DeadBeef12", "0" * 40,
    "heads/main", "tags/v1", "remotes/origin/main", "origin/main", "origin",
]  # fmt: skip


@pytest.mark.parametrize("name", SHADOWING_NAMES, ids=SHADOWING_NAMES)
def test_a_checkpoint_that_would_read_as_another_revision_is_refused(
    two: tuple[Repository, str, str], tmp_path: Path, name: str
) -> None:
    repo, _, _ = two
    repo.add_remote("origin", str(tmp_path / "elsewhere.git"))
    before = refs_of(repo)
    with pytest.raises(InvalidNameError, match="must not read as another revision") as raised:
        repo.create_checkpoint(name)
    assert raised.value.name == name
    assert refs_of(repo) == before


@pytest.mark.parametrize("ref", ["refs/heads/release", "refs/tags/release"], ids=["branch", "tag"])
def test_a_checkpoint_named_like_a_branch_or_tag_is_refused(
    two: tuple[Repository, str, str], ref: str
) -> None:
    repo, old, _ = two
    git(repo, "update-ref", ref, old)
    before = refs_of(repo)
    with pytest.raises(CheckpointError, match=f"{ref} has that name"):
        repo.create_checkpoint("release")
    assert refs_of(repo) == before


def test_a_checkpoint_object_with_a_forged_name_cannot_write_a_message(
    two: tuple[Repository, str, str],
) -> None:
    repo, old, new = two
    forged = Checkpoint(repo, "x\n\nGitworktree-Repaired: notes.txt", old)
    with pytest.raises(InvalidNameError):
        repo.restore(forged)
    assert repo.head == new
