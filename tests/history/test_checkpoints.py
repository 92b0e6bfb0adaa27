"""Checkpoints are refs under refs/checkpoints/ that git sees, lists and logs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gitworktree.errors import CheckpointError, InvalidNameError, RepositoryError
from gitworktree.history import Checkpoint, Repository
from gitworktree.history._refs import refs as refs_module
from tests.history.test_refnames import BAD_NAMES
from tests.oracle import git, git_lines


@pytest.fixture
def committed(repo: Repository) -> Repository:
    repo.commit_changes({"state.json": b'{"step": 1}\n'}, message="step 1")
    return repo


def test_checkpoint_is_a_git_ref(committed: Repository) -> None:
    checkpoint = committed.create_checkpoint("before-import")

    assert checkpoint.name == "before-import"
    assert checkpoint.ref == "refs/checkpoints/before-import"
    assert checkpoint.sha == committed.head
    assert git(committed, "rev-parse", "refs/checkpoints/before-import").strip() == checkpoint.sha
    assert git_lines(committed, "log", "--format=%H", "checkpoints/before-import") == [
        checkpoint.sha
    ]


def test_checkpoint_creation_is_in_its_reflog(committed: Repository) -> None:
    committed.create_checkpoint("x")
    entries = git_lines(committed, "reflog", "show", "--format=%gs", "refs/checkpoints/x")
    assert entries == ["checkpoint: created at HEAD"]


def test_checkpoint_at_an_older_revision(committed: Repository) -> None:
    first = committed.head
    committed.commit_changes({"state.json": b'{"step": 2}\n'}, message="step 2")

    assert committed.create_checkpoint("old", rev="HEAD~1").sha == first


def test_generated_names(committed: Repository) -> None:
    checkpoint = committed.create_checkpoint()
    assert re.fullmatch(r"cp-\d{8}-\d{6}-[0-9a-f]{6}", checkpoint.name)


def test_checkpoints_are_listed_sorted_by_name(committed: Repository) -> None:
    for name in ("zeta", "alpha", "team/mid"):
        committed.create_checkpoint(name)

    assert [cp.name for cp in committed.checkpoints()] == ["alpha", "team/mid", "zeta"]
    assert committed.checkpoint("team/mid") == Checkpoint(
        committed, "team/mid", committed.head or ""
    )


def test_existing_names_are_refused(committed: Repository) -> None:
    committed.create_checkpoint("once")
    with pytest.raises(CheckpointError, match="already exists"):
        committed.create_checkpoint("once")


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_invalid_names_are_refused(committed: Repository, name: str) -> None:
    with pytest.raises(InvalidNameError):
        committed.create_checkpoint(name)
    assert committed.checkpoints() == []


def test_unknown_checkpoint_names_it_and_hints_list(committed: Repository) -> None:
    with pytest.raises(CheckpointError) as caught:
        committed.checkpoint("nope")
    assert caught.value.name == "nope"
    assert "'nope'" in str(caught.value)
    assert "list" in str(caught.value)


def test_checkpoint_without_commits_is_refused(repo: Repository) -> None:
    with pytest.raises(CheckpointError, match="HEAD"):
        repo.create_checkpoint("empty")


def test_discard_deletes_the_ref_and_its_reflog(committed: Repository) -> None:
    checkpoint = committed.create_checkpoint("temp")
    checkpoint.discard()

    assert committed.checkpoints() == []
    assert git(committed, "rev-parse", "--verify", "-q", "refs/checkpoints/temp", check=False) == ""
    assert not (committed.path / ".git/logs/refs/checkpoints").exists()
    committed.create_checkpoint("temp")  # the name is free again


def test_delete_unknown_checkpoint(committed: Repository) -> None:
    with pytest.raises(CheckpointError):
        committed.delete_checkpoint("never")


def test_names_printed_by_git_are_accepted(committed: Repository) -> None:
    committed.create_checkpoint("named")
    assert committed.checkpoint("checkpoints/named").name == "named"
    assert committed.checkpoint("refs/checkpoints/named").name == "named"


def test_context_manager_restores_on_exception(committed: Repository) -> None:
    with pytest.raises(RuntimeError), committed.create_checkpoint("guard"):
        committed.commit_changes({"state.json": b'{"step": 99}\n'}, message="bad step")
        raise RuntimeError("boom")

    assert (committed.path / "state.json").read_bytes() == b'{"step": 1}\n'
    assert committed.log(limit=1)[0].message == "Restore guard"
    assert git(committed, "status", "--porcelain") == ""


def test_context_manager_does_nothing_on_success(committed: Repository) -> None:
    with committed.create_checkpoint("guard"):
        committed.commit_changes({"state.json": b'{"step": 2}\n'}, message="good step")

    assert committed.log(limit=1)[0].message == "good step"
    assert [cp.name for cp in committed.checkpoints()] == ["guard"]


def test_a_packed_checkpoint_is_not_created_twice(committed: Repository) -> None:
    first = committed.create_checkpoint("once").sha
    git(committed, "pack-refs", "--all")  # the loose ref is gone; packed-refs holds it
    committed.commit_changes({"state.json": b'{"step": 2}\n'}, message="step 2")

    with pytest.raises(CheckpointError, match="already exists"):
        committed.create_checkpoint("once")
    assert git(committed, "rev-parse", "refs/checkpoints/once").strip() == first
    assert not list((committed.path / ".git" / "refs").rglob("*.lock"))


@pytest.mark.parametrize("pack", [False, True], ids=["loose", "packed"])
@pytest.mark.parametrize(("existing", "new"), [("a", "a/b"), ("a/b", "a")])
def test_a_name_cannot_be_a_checkpoint_and_a_folder(
    committed: Repository, existing: str, new: str, pack: bool
) -> None:
    committed.create_checkpoint(existing)
    if pack:
        git(committed, "pack-refs", "--all")

    with pytest.raises(CheckpointError, match=f"next to checkpoint '{existing}'"):
        committed.create_checkpoint(new)
    assert git_lines(committed, "for-each-ref", "--format=%(refname)", "refs/checkpoints") == [
        f"refs/checkpoints/{existing}"
    ]
    git(committed, "fsck", "--strict")


def test_a_discarded_folder_frees_its_name(committed: Repository) -> None:
    committed.create_checkpoint("team/step").discard()
    (committed.path / ".git" / "refs" / "checkpoints" / "team" / "empty").mkdir(parents=True)

    assert committed.create_checkpoint("team").sha == committed.head  # empty folders go
    assert git(committed, "rev-parse", "checkpoints/team").strip() == committed.head


def test_a_ref_git_makes_meanwhile_is_not_overwritten(
    committed: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = committed.head
    committed.commit_changes({"state.json": b'{"step": 2}\n'}, message="step 2")
    look = refs_module._ref_in_the_way

    def git_gets_there_first(repo: Any, ref: Any) -> Any:
        found = look(repo, ref)  # nothing yet; then git creates the ref before our lock
        monkeypatch.setattr(refs_module, "_ref_in_the_way", look)
        git(committed, "update-ref", "refs/checkpoints/raced", first or "")
        return found

    monkeypatch.setattr(refs_module, "_ref_in_the_way", git_gets_there_first)
    with pytest.raises(CheckpointError, match="already exists"):
        committed.create_checkpoint("raced")
    assert git(committed, "rev-parse", "refs/checkpoints/raced").strip() == first
    assert not list((committed.path / ".git" / "refs").rglob("*.lock"))


def test_a_failed_write_leaves_no_ref_and_no_lock(
    committed: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(refs_module.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        committed.create_checkpoint("full")
    monkeypatch.undo()
    assert git_lines(committed, "for-each-ref", "refs/checkpoints") == []
    assert not list((committed.path / ".git" / "refs").rglob("*.lock"))
    assert committed.create_checkpoint("full").sha == committed.head


@pytest.mark.usefixtures("short_lock_timeout")
def test_a_ref_being_written_in_the_folder_is_named(committed: Repository) -> None:
    lock = committed.path / ".git" / "refs" / "checkpoints" / "team" / "step.lock"
    lock.parent.mkdir(parents=True)
    lock.write_bytes(b"")

    with pytest.raises(RepositoryError, match=r"team/step\.lock"):
        committed.create_checkpoint("team")
    assert lock.exists()
    assert git_lines(committed, "for-each-ref", "refs/checkpoints") == []


@pytest.mark.usefixtures("short_lock_timeout")
def test_a_held_ref_lock_is_named_and_left_alone(committed: Repository) -> None:
    lock = committed.path / ".git" / "refs" / "checkpoints" / "busy.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_bytes(b"another writer\n")

    with pytest.raises(RepositoryError, match=r"busy\.lock"):
        committed.create_checkpoint("busy")
    assert lock.read_bytes() == b"another writer\n"  # someone else's: never deleted
    assert git_lines(committed, "for-each-ref", "refs/checkpoints") == []
