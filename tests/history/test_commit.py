"""commit_changes: what it writes must be exactly what git itself would accept and show."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitworktree.errors import (
    ConflictError,
    InvalidNameError,
    NodeKindError,
    RepositoryError,
    UnsafePathError,
)
from gitworktree.history import Repository
from gitworktree.history._worktree.commit import ANY_HEAD
from tests.oracle import git, git_lines

TRAILERS = {"Gitworktree-Repaired": "notes.json attempts=2", "Gitworktree-Agent": "planner"}


def test_commit_passes_fsck_and_leaves_status_clean(repo: Repository) -> None:
    repo.commit_changes({"notes.json": b'{"a": 1}\n', "a/b/c/deep.txt": b"deep\n"}, message="One")
    repo.commit_changes({"a/b/other.txt": b"x\n", "notes.json": b'{"a": 2}\n'}, message="Two")

    assert git(repo, "fsck", "--strict") == ""
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert (repo.path / "a/b/c/deep.txt").read_bytes() == b"deep\n"
    assert git(repo, "show", "HEAD:notes.json") == '{"a": 2}\n'


def test_commit_returns_what_git_log_shows(repo: Repository) -> None:
    info = repo.commit_changes({"f.txt": b"1\n"}, message="Add f\n\nWith a body.")

    assert info.sha == git(repo, "rev-parse", "HEAD").strip()
    assert info.message == "Add f\n\nWith a body."
    assert git(repo, "log", "-1", "--format=%B").strip() == "Add f\n\nWith a body."
    assert info.author == git(repo, "log", "-1", "--format=%an <%ae>").strip()
    assert info.committer == git(repo, "log", "-1", "--format=%cn <%ce>").strip()
    assert int(info.time.timestamp()) == int(git(repo, "log", "-1", "--format=%at"))
    assert info.time.tzinfo is not None
    assert info.parents == ()
    assert info.paths == ("f.txt",)
    assert repo.head == info.sha


def test_trailers_are_seen_by_git(repo: Repository) -> None:
    info = repo.commit_changes({"n.json": b"{}\n"}, message="Repair notes", trailers=TRAILERS)

    for key, value in TRAILERS.items():
        shown = git(repo, "log", "-1", f"--format=%(trailers:key={key},valueonly)")
        assert shown.strip() == value
    parsed = git(repo, "log", "-1", "--format=%(trailers:only,unfold)").strip().splitlines()
    assert parsed == [f"{key}: {value}" for key, value in TRAILERS.items()]
    assert info.trailers == TRAILERS
    assert info.message == "Repair notes"
    assert repo.commit_info("HEAD").trailers == TRAILERS


def test_multiline_trailer_values_are_folded_onto_one_line(repo: Repository) -> None:
    info = repo.commit_changes({"x": b"x"}, message="m", trailers={"Note": "two\nlines"})

    assert info.trailers == {"Note": "two lines"}
    assert git(repo, "log", "-1", "--format=%(trailers:key=Note,valueonly)").strip() == "two lines"


@pytest.mark.parametrize("key", ["", "has space", "colon:key", "a\nb", "-lead"], ids=repr)
def test_bad_trailer_keys_are_refused(repo: Repository, key: str) -> None:
    with pytest.raises(InvalidNameError):
        repo.commit_changes({"x": b"x"}, message="m", trailers={key: "v"})
    assert repo.head is None


def test_reflog_lists_commits_for_head_and_branch(repo: Repository) -> None:
    first = repo.commit_changes({"f": b"1"}, message="First")
    second = repo.commit_changes({"f": b"2"}, message="Second")

    head_log = git_lines(repo, "reflog", "show", "--format=%H %gs", "HEAD")
    branch_log = git_lines(repo, "reflog", "show", "--format=%H %gs", "main")
    expected = [f"{second.sha} commit: Second", f"{first.sha} commit (initial): First"]
    assert head_log == expected
    assert branch_log == expected


def test_deletion_removes_file_and_prunes_empty_directories(repo: Repository) -> None:
    repo.commit_changes({"a/b/c.txt": b"c", "a/keep.txt": b"k"}, message="add")
    info = repo.commit_changes({"a/b/c.txt": None}, message="delete")

    assert info.paths == ("a/b/c.txt",)
    assert not (repo.path / "a/b").exists()
    assert (repo.path / "a/keep.txt").exists()
    assert git_lines(repo, "ls-tree", "-r", "--name-only", "HEAD") == ["a/keep.txt"]
    assert git(repo, "status", "--porcelain") == ""


def test_deleting_a_missing_file_is_a_no_op(repo: Repository) -> None:
    first = repo.commit_changes({"a.txt": b"a"}, message="add")
    second = repo.commit_changes({"nothing/here.txt": None}, message="noop")

    assert git(repo, "rev-parse", f"{first.sha}^{{tree}}") == git(
        repo, "rev-parse", f"{second.sha}^{{tree}}"
    )


def test_a_file_can_replace_a_directory_when_its_files_are_deleted(repo: Repository) -> None:
    repo.commit_changes({"d/one.txt": b"1", "d/two.txt": b"2"}, message="dir")
    repo.commit_changes({"d/one.txt": None, "d/two.txt": None, "d": b"file"}, message="file")

    assert (repo.path / "d").read_bytes() == b"file"
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "fsck", "--strict") == ""


def test_writing_below_a_file_is_refused(repo: Repository) -> None:
    repo.commit_changes({"f": b"file"}, message="f")

    with pytest.raises(NodeKindError):
        repo.commit_changes({"f/child": b"x"}, message="below a file")
    assert len(repo.log()) == 1


def test_writing_a_file_over_a_directory_is_refused(repo: Repository) -> None:
    repo.commit_changes({"d/x": b"x"}, message="d")

    with pytest.raises(NodeKindError):
        repo.commit_changes({"d": b"file"}, message="over a dir")
    assert len(repo.log()) == 1


def test_compare_and_swap_conflict_leaves_ref_unchanged(repo: Repository) -> None:
    first = repo.commit_changes({"f": b"1"}, message="First")
    second = repo.commit_changes({"f": b"2"}, message="Second", expected_head=first.sha)

    with pytest.raises(ConflictError) as caught:
        repo.commit_changes({"f": b"3"}, message="Stale", expected_head=first.sha)

    assert caught.value.ref == "refs/heads/main"
    assert repo.head == second.sha
    assert (repo.path / "f").read_bytes() == b"2"
    assert git(repo, "status", "--porcelain") == ""


def test_expected_head_none_means_no_commit_yet(repo: Repository) -> None:
    repo.commit_changes({"f": b"1"}, message="First", expected_head=None)

    with pytest.raises(ConflictError):
        repo.commit_changes({"f": b"2"}, message="Again", expected_head=None)


def test_any_head_commits_on_top_of_whatever_is_there(repo: Repository) -> None:
    first = repo.commit_changes({"f": b"1"}, message="First", expected_head=ANY_HEAD)
    second = repo.commit_changes({"f": b"2"}, message="Second")

    assert second.parents == (first.sha,)


def test_branch_moved_by_git_is_detected(repo: Repository) -> None:
    first = repo.commit_changes({"f": b"1"}, message="First")
    (repo.path / "f").write_bytes(b"by git")
    git(repo, "commit", "-qam", "by git")

    with pytest.raises(ConflictError):
        repo.commit_changes({"f": b"3"}, message="Stale", expected_head=first.sha)


def test_materialize_false_writes_history_only(repo: Repository) -> None:
    repo.commit_changes({"f": b"1"}, message="First")
    repo.commit_changes({"f": b"2", "g": b"g"}, message="Second", materialize=False)

    assert (repo.path / "f").read_bytes() == b"1"
    assert not (repo.path / "g").exists()
    assert git(repo, "show", "HEAD:f") == "2"


def test_plain_git_commit_after_ours_keeps_our_content(repo: Repository) -> None:
    repo.commit_changes({"a/f.txt": b"ours 1\n", "b.txt": b"b\n"}, message="ours")
    git(repo, "commit", "-q", "--allow-empty", "-m", "git builds the cache-tree")
    repo.commit_changes({"a/f.txt": b"ours 2\n", "a/new.txt": b"n\n"}, message="ours again")

    (repo.path / "b.txt").write_bytes(b"edited by git\n")
    git(repo, "commit", "-qam", "plain git commit")

    assert git(repo, "show", "HEAD:a/f.txt") == "ours 2\n"
    assert git(repo, "show", "HEAD:a/new.txt") == "n\n"
    assert git_lines(repo, "diff", "--name-only", "HEAD~1", "HEAD") == ["b.txt"]
    assert git(repo, "status", "--porcelain") == ""


def test_executable_mode_is_kept_when_content_changes(repo: Repository) -> None:
    (repo.path / "run.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(repo.path / "run.sh", 0o755)
    git(repo, "add", "run.sh")
    git(repo, "commit", "-qm", "script")

    repo.commit_changes({"run.sh": b"#!/bin/sh\necho hi\n"}, message="edit")

    assert git(repo, "ls-tree", "HEAD", "run.sh").split()[0] == "100755"
    assert os.stat(repo.path / "run.sh").st_mode & 0o111
    assert git(repo, "status", "--porcelain") == ""


def test_author_can_be_given(repo: Repository) -> None:
    info = repo.commit_changes({"f": b"1"}, message="m", author="Agent Smith <agent@example.com>")

    assert info.author == "Agent Smith <agent@example.com>"
    assert git(repo, "log", "-1", "--format=%an|%cn").strip() == "Agent Smith|Test Author"


@pytest.mark.parametrize("author", ["no email", "Name <unclosed", "<only@mail>"], ids=repr)
def test_malformed_author_is_refused(repo: Repository, author: str) -> None:
    with pytest.raises(InvalidNameError):
        repo.commit_changes({"f": b"1"}, message="m", author=author)


def test_identity_comes_from_config_then_default(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("NAME", "EMAIL"):
        monkeypatch.delenv(f"GIT_AUTHOR_{variable}")
        monkeypatch.delenv(f"GIT_COMMITTER_{variable}")
    assert repo.commit_changes({"f": b"1"}, message="m").author == (
        "gitworktree <gitworktree@localhost>"
    )

    git(repo, "config", "user.name", "Configured")
    git(repo, "config", "user.email", "configured@example.com")
    info = repo.commit_changes({"f": b"2"}, message="m")
    assert info.author == info.committer == "Configured <configured@example.com>"


def test_empty_message_is_refused(repo: Repository) -> None:
    with pytest.raises(ValueError, match="empty"):
        repo.commit_changes({"f": b"1"}, message="  \n")


@pytest.mark.parametrize(
    "path",
    ["../escape", "/abs/path", "a/../../b", ".git/config", "a/.GIT/x", "a//b", "", "a\\b", "./a"],
    ids=["parent", "absolute", "inner-parent", "dot-git", "dot-git-case", "empty-level",
         "empty", "backslash", "dot"],
)  # fmt: skip
def test_unsafe_paths_are_refused_before_anything_is_written(repo: Repository, path: str) -> None:
    with pytest.raises(UnsafePathError):
        repo.commit_changes({"ok.txt": b"ok", path: b"x"}, message="m")
    assert repo.head is None
    assert not (repo.path / "ok.txt").exists()


def test_symlinked_parent_directory_is_refused(repo: Repository, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.path / "link").symlink_to(outside)

    with pytest.raises(UnsafePathError):
        repo.commit_changes({"link/x.txt": b"x"}, message="m")
    assert list(outside.iterdir()) == []
    assert repo.head is None


@pytest.mark.usefixtures("short_lock_timeout")
def test_stale_ref_lock_is_a_clear_error(repo: Repository) -> None:
    repo.commit_changes({"f": b"1"}, message="First")
    lock = repo.path / ".git/refs/heads/main.lock"
    lock.write_bytes(b"")
    before = repo.head

    with pytest.raises(RepositoryError, match="stale") as caught:
        repo.commit_changes({"f": b"2"}, message="Second")

    assert "main.lock" in str(caught.value)
    assert repo.head == before
    assert (repo.path / "f").read_bytes() == b"1"


@pytest.mark.usefixtures("short_lock_timeout")
def test_stale_index_lock_fails_before_publishing(repo: Repository) -> None:
    repo.commit_changes({"f": b"1"}, message="First")
    (repo.path / ".git/index.lock").write_bytes(b"")
    before = repo.head

    with pytest.raises(RepositoryError, match=r"index\.lock"):
        repo.commit_changes({"f": b"2"}, message="Second")

    assert repo.head == before
    assert (repo.path / ".git/index.lock").exists()  # not ours to remove


def test_detached_head_is_refused(repo: Repository) -> None:
    first = repo.commit_changes({"f": b"1"}, message="First")
    git(repo, "checkout", "-q", "--detach", first.sha)

    with pytest.raises(RepositoryError, match="detached"):
        repo.commit_changes({"f": b"2"}, message="Second")


def test_a_fifo_made_where_a_new_file_goes_is_a_conflict_not_replaced(repo: Repository) -> None:
    """The caller saw no file at ``new.json`` (``disk_blobs`` says ``None``); a FIFO made
    there since (git stores none, so it reads as no file) is someone's, and the commit
    must refuse as for any file in the way rather than rename its file over it."""
    repo.commit_changes({"a.json": b"1\n"}, message="a")
    os.mkfifo(repo.path / "new.json")
    head = git(repo.path, "rev-parse", "HEAD")

    with pytest.raises(ConflictError, match=r"new\.json") as raised:
        repo.commit_changes({"new.json": b"2\n"}, message="n", disk_blobs={"new.json": None})

    assert raised.value.paths == ("new.json",)
    assert (repo.path / "new.json").is_fifo()
    assert git(repo.path, "rev-parse", "HEAD") == head
