"""Loose objects are packed when git's gc --auto would pack them, and nothing is lost."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time

import pytest
from dulwich.object_store import DiskObjectStore

from gitworktree.history import Repository
from tests.oracle import git, git_lines


def count_objects(repo: Repository) -> dict[str, int]:
    lines = git_lines(repo, "count-objects", "-v")
    return {key: int(value) for key, _, value in (line.partition(": ") for line in lines)}


def add_loose_objects_under_17(repo: Repository, how_many: int) -> list[str]:
    """Loose blobs, written by git, whose ids start with 17: git's sample of the count."""
    ids: list[str] = []
    for number in range(100_000):
        data = f"sample {number}\n".encode()
        if hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest().startswith("17"):
            written = subprocess.run(
                ["git", "-C", str(repo.path), "hash-object", "-w", "--stdin"],
                input=data, capture_output=True, check=True,
            ).stdout.decode().strip()  # fmt: skip
            assert written.startswith("17")
            ids.append(written)
            if len(ids) == how_many:
                break
    return ids


def two_commits_with_loose_objects_under_17(repo: Repository) -> list[str]:
    repo.commit_changes({"plan.json": b'{"step": 1}\n', "notes.txt": b"one\n"}, message="one")
    sampled = add_loose_objects_under_17(repo, 2)
    repo.commit_changes({"plan.json": b'{"step": 2}\n'}, message="two")
    return sampled


def test_loose_objects_are_packed_when_gc_auto_says_so(repo: Repository) -> None:
    git(repo, "config", "gc.auto", "256")  # more than 256 / 256 = 1 object in 17/: pack
    sampled = two_commits_with_loose_objects_under_17(repo)

    counts = count_objects(repo)
    assert counts["count"] == 0  # no loose object left
    assert counts["packs"] >= 1 and counts["in-pack"] >= 7  # 2 sampled, 2 commits' objects
    git(repo, "fsck", "--strict")
    for sha in sampled:
        git(repo, "cat-file", "-e", sha)
    assert git_lines(repo, "log", "--format=%s") == ["two", "one"]
    assert git(repo, "show", "HEAD~1:notes.txt") == "one\n"
    assert git(repo, "status", "--porcelain") == ""
    # The library reads and writes on as before.
    assert repo.show("HEAD~1", "plan.json") == b'{"step": 1}\n'
    repo.commit_changes({"plan.json": b'{"step": 3}\n'}, message="three")
    git(repo, "fsck", "--strict")


@pytest.mark.parametrize("setting", [None, "0"], ids=["default-6700", "off"])
def test_loose_objects_stay_below_the_threshold_or_when_off(
    repo: Repository, setting: str | None
) -> None:
    if setting is not None:
        git(repo, "config", "gc.auto", setting)
    two_commits_with_loose_objects_under_17(repo)

    counts = count_objects(repo)
    assert counts["packs"] == 0
    assert counts["count"] >= 8


def test_a_failed_packing_leaves_the_commit_landed_and_says_so(
    repo: Repository, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    git(repo, "config", "gc.auto", "256")

    calls: list[object] = []

    def disk_full(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DiskObjectStore, "add_objects", disk_full)
    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        two_commits_with_loose_objects_under_17(repo)
        repo.commit_changes({"plan.json": b'{"step": 3}\n'}, message="three")

    assert len(calls) == 1  # not tried again with every commit of this process
    assert git_lines(repo, "log", "--format=%s") == ["three", "two", "one"]
    assert count_objects(repo)["packs"] == 0  # nothing half-done: every object still loose
    git(repo, "fsck", "--strict")
    assert any("could not pack" in record.getMessage() for record in caplog.records)


def test_damaged_large_and_unfinished_files_are_left_and_the_rest_packed(
    repo: Repository,
) -> None:
    git(repo, "config", "gc.auto", "256")
    repo.commit_changes({"plan.json": b'{"step": 1}\n'}, message="one")
    objects = repo.path / ".git" / "objects"
    empty, garbage = objects / "aa" / ("0" * 38), objects / "bb" / ("1" * 38)
    for path, data in ((empty, b""), (garbage, b"not zlib at all")):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    large = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-w", "--stdin"],
        input=os.urandom(5 * 2**20), capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip
    pack_dir = objects / "pack"
    pack_dir.mkdir(exist_ok=True)
    abandoned, growing = pack_dir / "tmpaaaaaaaa.pack", pack_dir / "tmpbbbbbbbb.pack"
    abandoned.write_bytes(b"PACK")
    growing.write_bytes(b"PACK")
    two_hours_ago = time.time() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    add_loose_objects_under_17(repo, 2)
    repo.commit_changes({"plan.json": b'{"step": 2}\n'}, message="two")  # lands, packs

    assert count_objects(repo)["packs"] == 1
    assert git_lines(repo, "log", "--format=%s") == ["two", "one"]
    assert empty.exists() and garbage.exists()  # for git fsck to report, untouched
    assert (objects / large[:2] / large[2:]).exists()  # big: stays loose, still readable
    git(repo, "cat-file", "-e", large)
    assert not abandoned.exists() and growing.exists()


def test_gc_auto_turned_off_between_commits_applies_at_the_next_commit(repo: Repository) -> None:
    git(repo, "config", "gc.auto", "256")
    repo.commit_changes({"plan.json": b'{"step": 1}\n'}, message="one")
    git(repo, "config", "gc.auto", "0")  # a person turns automatic packing off
    add_loose_objects_under_17(repo, 2)
    repo.commit_changes({"plan.json": b'{"step": 2}\n'}, message="two")

    counts = count_objects(repo)
    assert counts["packs"] == 0
    assert counts["count"] >= 8
