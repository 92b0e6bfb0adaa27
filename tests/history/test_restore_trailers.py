"""restore(trailers=): a soft restore can name who asked for it; reserved keys are refused."""

from __future__ import annotations

import pytest

from gitworktree.errors import InvalidNameError
from gitworktree.history import Repository
from tests.oracle import git


@pytest.fixture
def edited(repo: Repository) -> Repository:
    repo.commit_changes({"a.json": b'{"v": 1}\n'}, message="start")
    repo.create_checkpoint("before")
    repo.commit_changes({"a.json": b'{"v": 2}\n'}, message="edit")
    return repo


def test_a_soft_restore_carries_the_given_trailers_after_its_own(edited: Repository) -> None:
    info = edited.restore("before", trailers={"MCP-Client": "planner/1", "MCP-Tool": "restore"})

    target = edited.checkpoint("before").sha
    assert list(info.trailers.items()) == [
        ("Gitworktree-Restored-From", target),
        ("MCP-Client", "planner/1"),
        ("MCP-Tool", "restore"),
    ]
    fmt = "--format=%(trailers:key=MCP-Tool,valueonly)"
    assert git(edited, "log", "-1", fmt).strip() == "restore"


@pytest.mark.parametrize(
    "key", ["Gitworktree-Restored-From", "gitworktree-repaired"], ids=["restored", "lowercase"]
)
def test_a_reserved_trailer_key_is_refused_and_nothing_moves(edited: Repository, key: str) -> None:
    head = edited.head
    with pytest.raises(InvalidNameError):
        edited.restore("before", trailers={key: "forged"})
    assert edited.head == head
    assert (edited.path / "a.json").read_bytes() == b'{"v": 2}\n'
    assert git(edited, "status", "--porcelain") == ""
