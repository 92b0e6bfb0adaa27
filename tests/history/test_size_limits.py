"""Size limits: diffs of large files and of large JSON documents stay bounded.

A diff reads what others committed, so neither a huge file nor a huge JSON document may
make it build an unbounded patch or change list: a side over the patch limit gets a
``Large files ... differ`` line with the sizes, and a pointer diff lists the first
changes and counts the rest, saying so in JSON and in text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitworktree.cli.app import cli
from gitworktree.history import Repository
from gitworktree.history import diff as diff_module
from gitworktree.history.pointers import LISTED_POINTERS, bounded_pointer_changes
from tests.oracle import git


def _array(size: int, offset: int = 0) -> bytes:
    return json.dumps([index + offset for index in range(size)]).encode()


@pytest.fixture
def array_history(repo: Repository) -> Repository:
    """Two commits of ``doc.json``: 3,000 numbers, then each one plus one."""
    repo.commit_changes({"doc.json": _array(3000)}, message="numbers")
    repo.commit_changes({"doc.json": _array(3000, 1)}, message="each plus one")
    return repo


def test_a_pointer_diff_lists_the_first_changes_and_counts_the_rest(
    array_history: Repository,
) -> None:
    (change,) = array_history.diff("HEAD~1", "HEAD")
    assert len(change.pointers) == LISTED_POINTERS
    assert change.pointers[0].pointer == "/0"
    assert change.pointers_omitted == 3000 - LISTED_POINTERS
    assert change.pointers_complete


def test_a_pointer_diff_stops_at_its_bound_on_compared_values() -> None:
    found = bounded_pointer_changes(_array(5000), _array(5000, 1), listed=10, compared=1000)
    assert found is not None
    assert len(found.listed) == 10
    assert not found.complete  # the 5,000 elements were never all compared


@pytest.mark.parametrize(
    ("old", "new", "listed", "omitted"),
    [
        ({"a": 1, "b": 2, "c": 3}, {}, 2, 1),
        ([], [1, 2, 3, 4], 2, 2),
        ({"x": [1, 2]}, {"x": [3, 4], "y": 5}, 2, 1),
    ],
    ids=["removed-keys", "added-elements", "nested-and-added"],
)
def test_every_kind_of_change_counts_toward_the_listing_bound(
    old: object, new: object, listed: int, omitted: int
) -> None:
    found = bounded_pointer_changes(json.dumps(old).encode(), json.dumps(new).encode(), listed=2)
    assert found is not None
    assert (len(found.listed), found.omitted, found.complete) == (listed, omitted, True)


def test_the_cli_says_when_pointers_were_left_out(array_history: Repository) -> None:
    runner = CliRunner()
    args = ["-C", str(array_history.path), "diff", "HEAD~1", "HEAD"]
    document = json.loads(runner.invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    (file,) = document["files"]
    assert len(file["pointers"]) == LISTED_POINTERS
    assert file["pointers_omitted"] == 3000 - LISTED_POINTERS
    assert file["pointers_complete"] is True
    text = runner.invoke(cli, args, catch_exceptions=False).output
    assert f"... and {3000 - LISTED_POINTERS:,} more changed values, not listed" in text


@pytest.fixture
def small_patch_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(diff_module, "PATCH_LIMIT", 1024)
    return 1024


def test_a_file_past_the_patch_limit_is_summarized_not_diffed(
    repo: Repository, small_patch_limit: int
) -> None:
    repo.commit_changes({"big.json": b"[" + b"1," * 600 + b"1]"}, message="big")
    repo.commit_changes({"big.json": b"[" + b"2," * 600 + b"2]"}, message="bigger")
    (change,) = repo.diff("HEAD~1", "HEAD")
    assert "Large files a/big.json and b/big.json differ (1203 bytes and 1203 bytes" in (
        change.patch
    )
    assert "@@" not in change.patch and change.pointers == ()
    assert change.new_sha == git(repo, "rev-parse", "HEAD:big.json").strip()


def test_a_large_work_tree_file_is_summarized_without_being_read(
    repo: Repository, small_patch_limit: int
) -> None:
    repo.commit_changes({"notes.txt": b"short\n"}, message="short")
    (repo.path / "notes.txt").write_bytes(b"line\n" * 1000)
    (change,) = repo.diff("HEAD", None)
    assert "Large files a/notes.txt and b/notes.txt differ (6 bytes and 5000 bytes" in (
        change.patch
    )
    assert change.new_sha == git(repo, "hash-object", "notes.txt").strip()


def test_diff_stat_counts_a_large_file_as_binary(repo: Repository, small_patch_limit: int) -> None:
    repo.commit_changes({"a.txt": b"x\n" * 1000}, message="large")
    result = CliRunner().invoke(
        cli, ["-C", str(Path(repo.path)), "diff", "--stat", "HEAD~0"], catch_exceptions=False
    )
    (repo.path / "a.txt").write_bytes(b"y\n" * 1000)
    result = CliRunner().invoke(
        cli, ["-C", str(Path(repo.path)), "diff", "--stat"], catch_exceptions=False
    )
    assert "a.txt" in result.output and "Bin" in result.output
