"""Remotes are kept in ``.git/config`` exactly as git keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree import InvalidNameError, RemoteError, Repository
from gitworktree.history._remote.remotes import redact_url
from tests.oracle import git, git_lines


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


def test_an_added_remote_is_what_git_remote_lists(repo: Repository) -> None:
    repo.add_remote("origin", "https://git.example.com/team/state.git")
    assert git_lines(repo, "remote", "-v") == [
        "origin\thttps://git.example.com/team/state.git (fetch)",
        "origin\thttps://git.example.com/team/state.git (push)",
    ]
    assert git(repo, "config", "remote.origin.fetch").strip() == (
        "+refs/heads/*:refs/remotes/origin/*"
    )


def test_remotes_lists_what_git_remote_add_wrote(repo: Repository) -> None:
    git(repo, "remote", "add", "upstream", "git://127.0.0.1/x.git")
    repo.add_remote("origin", "/srv/hub.git")
    assert repo.remotes() == {"origin": "/srv/hub.git", "upstream": "git://127.0.0.1/x.git"}


def test_adding_a_remote_twice_is_refused(repo: Repository) -> None:
    repo.add_remote("origin", "/srv/a.git")
    with pytest.raises(RemoteError, match="already exists"):
        repo.add_remote("origin", "/srv/b.git")
    assert repo.remotes() == {"origin": "/srv/a.git"}


@pytest.mark.parametrize("name", ["", "a/b", "two words", "-x", "a..b", "x.lock"])
def test_a_remote_name_must_be_a_ref_name_component(repo: Repository, name: str) -> None:
    with pytest.raises(InvalidNameError):
        repo.add_remote(name, "/srv/hub.git")


def test_removing_a_remote_drops_its_tracking_refs_and_upstream(
    repo: Repository, hub: Path
) -> None:
    repo.add_remote("origin", str(hub))
    repo.commit_changes({"a.json": b"{}\n"}, message="first")
    repo.push()
    repo.fetch()
    assert git_lines(repo, "for-each-ref", "--format=%(refname)", "refs/remotes")
    repo.remove_remote("origin")
    assert repo.remotes() == {}
    assert git_lines(repo, "for-each-ref", "--format=%(refname)", "refs/remotes") == []


def test_an_unknown_remote_names_the_configured_ones(repo: Repository) -> None:
    repo.add_remote("origin", "/srv/hub.git")
    with pytest.raises(RemoteError, match=r"no remote named 'upstream' \(configured: origin\)"):
        repo.fetch("upstream")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bot:s3cret@git.example.com/x.git", "https://bot:***@git.example.com/x.git"),
        ("https://bot@git.example.com/x.git", "https://bot@git.example.com/x.git"),
        ("git@git.example.com:team/x.git", "git@git.example.com:team/x.git"),
    ],
    ids=["password", "user-only", "scp-like"],
)
def test_passwords_never_appear_in_messages(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_unknown_url_scheme_is_refused_not_guessed(repo: Repository) -> None:
    with pytest.raises(RemoteError, match="unsupported URL scheme 'foo'"):
        repo.fetch("foo://example.com/x.git")


def test_a_relative_remote_path_is_relative_to_the_work_tree(
    repo: Repository, hub: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo.add_remote("origin", "../hub.git")  # repo is tmp_path/repo, the hub tmp_path/hub.git
    monkeypatch.chdir(tmp_path / "home")
    assert repo.fetch().url == str(tmp_path / "repo" / ".." / "hub.git")
