"""`InvalidNameError.reason` says which rule a name broke, so callers never read the text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gitworktree.errors import InvalidNameError
from gitworktree.history import Repository
from gitworktree.history._core.identity import parse_git_date
from gitworktree.history._core.trailers import check_caller_text


def commit(repo: Repository, **options: object) -> object:
    return repo.commit_changes({"f": b"x"}, **{"message": "m", **options})  # type: ignore[arg-type]


# Each refusal, reached through the API a caller uses, and the reason it must carry.
REFUSALS: list[tuple[Callable[[Repository], object], str]] = [
    (lambda repo: repo.create_checkpoint("a..b"), "ref-name"),
    (lambda repo: repo.checkpoint("two words"), "ref-name"),
    (lambda repo: repo.create_checkpoint("x" * 2000), "too-long"),
    (lambda repo: repo.create_checkpoint("HEAD"), "shadows-revision"),
    (lambda repo: repo.create_checkpoint("0" * 40), "shadows-revision"),
    (lambda repo: repo.add_remote("a/b", "/elsewhere.git"), "remote-name"),
    (lambda repo: commit(repo, trailers={"a b": "c"}), "trailer-key"),
    (
        lambda repo: check_caller_text("m", {"Gitworktree-X": "1"}),
        "reserved-trailer",
    ),
    (
        lambda repo: commit(repo, message="m\n\nGitworktree-Restored-From: x"),
        "reserved-trailer",
    ),
    (lambda repo: commit(repo, author="nobody"), "identity"),
    (lambda repo: parse_git_date("yesterday", "GIT_AUTHOR_DATE"), "date"),
]  # fmt: skip
IDS = [
    "ref-rules-create", "ref-rules-lookup", "too-long", "reads-as-HEAD", "reads-as-commit-id",
    "remote-with-slash", "trailer-key", "reserved-trailer-key", "reserved-trailer-in-message",
    "author-without-email", "unreadable-date",
]  # fmt: skip


@pytest.mark.parametrize(("refuse", "reason"), REFUSALS, ids=IDS)
def test_refused_name_carries_its_reason(
    repo: Repository, refuse: Callable[[Repository], object], reason: str
) -> None:
    repo.commit_changes({"seed": b"1"}, message="seed")
    with pytest.raises(InvalidNameError) as refused:
        refuse(repo)
    assert refused.value.reason == reason


def test_reason_is_none_unless_given() -> None:
    assert InvalidNameError("x", "some rule").reason is None


def test_message_and_name_are_unchanged_by_the_reason() -> None:
    error = InvalidNameError("a..b", "contains '..'", reason="ref-name")
    assert (str(error), error.name) == ("invalid name 'a..b': contains '..'", "a..b")
