"""Criss-cross histories (several merge bases) merge against a virtual base, as git's
recursive strategy does; when the bases themselves conflict, the merge is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitworktree import ConflictError, Repository
from gitworktree.cli.app import cli
from tests.oracle import git

Pair = tuple[Repository, Repository]


def board(**counts: int) -> dict[str, bytes]:
    return {"board.json": (json.dumps(counts, indent=2) + "\n").encode()}


def read_board(repo: Repository) -> dict[str, int]:
    data: dict[str, int] = json.loads((repo.path / "board.json").read_bytes())
    return data


@pytest.fixture
def pair(tmp_path: Path, hub: Path) -> Iterator[Pair]:
    """Two clones of a hub holding ``board.json``, each the other's remote."""
    with Repository.clone(str(hub), tmp_path / "a") as a:
        a.commit_changes(board(a=0, b=0, c=0), message="Seed")
        a.push()
        with Repository.clone(str(hub), tmp_path / "b") as b:
            a.add_remote("b", str(b.path))
            b.add_remote("a", str(a.path))
            yield a, b


def criss_cross(a: Repository, b: Repository, mine: dict[str, int], theirs: dict[str, int]) -> None:
    """a and b each commit, then each merges the other's commit (not its merge)."""
    a.commit_changes(board(**mine), message="a's change")
    b.commit_changes(board(**theirs), message="b's change")
    a.fetch("b")
    b.fetch("a")
    a.merge("b/main", prefer="ours")
    b.merge("a/main", prefer="ours")
    assert len(git(a, "merge-base", "--all", "HEAD", "b/main").split()) == 1  # b/main: b's
    b_head = b.head
    a.fetch("b")
    assert len(git(a, "merge-base", "--all", "HEAD", b_head or "").split()) == 2


@pytest.mark.parametrize("prefer", [None, "ours"], ids=["no-prefer", "prefer-ours"])
def test_a_change_made_after_a_criss_cross_merges_without_conflict(
    pair: Pair, prefer: str | None
) -> None:
    a, b = pair
    criss_cross(a, b, {"a": 1, "b": 0, "c": 0}, {"a": 0, "b": 1, "c": 0})
    b.commit_changes(board(a=1, b=2, c=0), message="b again")
    a.fetch("b")

    a.merge("b/main", prefer=prefer)  # type: ignore[arg-type]

    assert read_board(a) == {"a": 1, "b": 2, "c": 0}  # b's change alone is kept
    assert git(a, "fsck", "--strict") == ""


def test_merge_bases_that_conflict_are_refused_and_nothing_changes(pair: Pair) -> None:
    a, b = pair
    criss_cross(a, b, {"a": 0, "b": 0, "c": 1}, {"a": 0, "b": 0, "c": 2})
    before = (a.head, git(a, "status", "--porcelain"), read_board(a))

    with pytest.raises(ConflictError, match="criss-cross") as caught:
        a.merge("b/main", prefer="ours")

    assert [conflict.pointer for conflict in caught.value.conflicts] == ["/c"]
    assert caught.value.reason == "criss-cross"
    assert (a.head, git(a, "status", "--porcelain"), read_board(a)) == before


def test_the_cli_does_not_suggest_prefer_for_a_criss_cross(pair: Pair) -> None:
    a, b = pair
    criss_cross(a, b, {"a": 0, "b": 0, "c": 1}, {"a": 0, "b": 0, "c": 2})

    result = CliRunner().invoke(
        cli, ["-C", str(a.path), "pull", "b", "--branch", "main"], catch_exceptions=False
    )

    assert result.exit_code == 1
    assert "criss-cross" in result.output and "--prefer cannot choose" in result.output
