"""resolve(): the revision syntax we accept names the same commit git rev-parse finds."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from gitworktree.errors import InvalidNameError, RepositoryError, UnknownRevisionError
from gitworktree.history import Repository
from tests.oracle import git


@pytest.fixture
def history(repo: Repository) -> Repository:
    """Three commits on main, a tag on the first, a checkpoint on the second."""
    for number in range(3):
        repo.commit_changes({"f.txt": f"{number}\n".encode()}, message=f"commit {number}")
    git(repo, "tag", "v1", "HEAD~2")
    git(repo, "tag", "-a", "-m", "annotated", "v2", "HEAD~1")
    repo.create_checkpoint("before", rev="HEAD~1")
    return repo


@pytest.mark.parametrize(
    "rev",
    ["HEAD", "@", "HEAD~1", "HEAD~2", "HEAD^", "HEAD^^", "HEAD~1^", "HEAD^0", "main", "main~1",
     "refs/heads/main", "v1", "v2", "v2~1", "refs/tags/v1", "checkpoints/before",
     "refs/checkpoints/before"],
)  # fmt: skip
def test_resolves_like_git_rev_parse(history: Repository, rev: str) -> None:
    assert history.resolve(rev) == git(history, "rev-parse", f"{rev}^{{commit}}").strip()


def test_bare_checkpoint_name_resolves(history: Repository) -> None:
    assert history.resolve("before") == history.resolve("HEAD~1")


def test_full_and_short_ids_resolve(history: Repository) -> None:
    full = history.resolve("HEAD~1")
    assert history.resolve(full) == full
    assert history.resolve(full.upper()) == full
    assert history.resolve(full[:7]) == full


@pytest.mark.parametrize(
    "rev", ["nope", "HEAD~3", "HEAD^2", "0" * 40, "deadbeef", "HEAD~x", "HEAD~1~~q"], ids=repr
)
def test_unknown_revisions_raise(history: Repository, rev: str) -> None:
    with pytest.raises(UnknownRevisionError) as caught:
        history.resolve(rev)
    assert caught.value.revision == rev
    assert isinstance(caught.value, LookupError)


@pytest.mark.parametrize("rev", ["../../config", "a..b", "-x", "a b", "a:b", ""], ids=repr)
def test_malformed_revisions_are_refused(history: Repository, rev: str) -> None:
    with pytest.raises(InvalidNameError):
        history.resolve(rev)


def test_head_of_an_unborn_branch_is_unknown(repo: Repository) -> None:
    assert repo.head is None
    with pytest.raises(UnknownRevisionError):
        repo.resolve("HEAD")


def test_second_parent_of_a_merge(repo: Repository) -> None:
    repo.commit_changes({"base": b"b"}, message="base")
    git(repo, "checkout", "-q", "-b", "side")
    git(repo, "commit", "-q", "--allow-empty", "-m", "side")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side")

    assert repo.resolve("HEAD^2") == git(repo, "rev-parse", "side").strip()
    assert repo.resolve("HEAD^1") == git(repo, "rev-parse", "HEAD^1").strip()


def test_ambiguous_short_id_is_reported(repo: Repository) -> None:
    first, second = _two_commits_sharing_a_prefix()
    for body in (first, second):
        subprocess.run(
            ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
            input=body,
            check=True,
            capture_output=True,
        )
    prefix = _commit_id(first)[:4]

    with pytest.raises(RepositoryError, match="ambiguous"):
        repo.resolve(prefix)
    assert repo.resolve(_commit_id(first)[:12]) == _commit_id(first)


def _commit_id(body: bytes) -> str:
    return hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()


def _two_commits_sharing_a_prefix() -> tuple[bytes, bytes]:
    """Two commit objects whose ids share their first 4 hex digits (a birthday search)."""
    seen: dict[str, bytes] = {}
    for number in range(100_000):
        body = (
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbbecd04\n"
            b"author A <a@example.com> 0 +0000\ncommitter A <a@example.com> 0 +0000\n\n"
            b"message %d\n" % number
        )
        prefix = _commit_id(body)[:4]
        if prefix in seen:
            return seen[prefix], body
        seen[prefix] = body
    raise AssertionError("no collision found")
