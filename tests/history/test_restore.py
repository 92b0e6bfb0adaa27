"""restore(): soft restores add a commit, hard restores move the branch; git agrees."""

from __future__ import annotations

import pytest

from gitworktree.errors import CheckpointError, ConflictError
from gitworktree.history import Repository
from tests.oracle import git, git_lines


@pytest.fixture
def moved_on(repo: Repository) -> Repository:
    """A checkpoint "before", then commits that edit, add and delete files."""
    repo.commit_changes(
        {"a.json": b'{"v": 1}\n', "dir/b.txt": b"b1\n", "dir/c.txt": b"c1\n", "d.txt": b"d1\n"},
        message="start",
    )
    repo.create_checkpoint("before")
    repo.commit_changes(
        {"a.json": b'{"v": 2}\n', "dir/b.txt": None, "dir/new.txt": b"n\n", "e.txt": b"e\n"},
        message="move on",
    )
    return repo


def tree_files(repo: Repository, rev: str) -> dict[str, str]:
    names = git_lines(repo, "ls-tree", "-r", "--name-only", rev)
    return {name: git(repo, "show", f"{rev}:{name}") for name in names}


def test_soft_restore_adds_a_commit_with_the_target_tree(moved_on: Repository) -> None:
    head_before = moved_on.head
    info = moved_on.restore("before")

    assert info.parents == (head_before,)
    assert info.message == "Restore before"
    target = moved_on.checkpoint("before").sha
    assert info.trailers == {"Gitworktree-Restored-From": target}
    assert git(moved_on, "rev-parse", "HEAD^{tree}") == git(
        moved_on, "rev-parse", "checkpoints/before^{tree}"
    )
    key = "Gitworktree-Restored-From"
    assert git(moved_on, "log", "-1", f"--format=%(trailers:key={key},valueonly)").strip() == target
    assert (moved_on.path / "dir/b.txt").read_bytes() == b"b1\n"
    assert not (moved_on.path / "e.txt").exists()
    assert git(moved_on, "status", "--porcelain") == ""
    assert git(moved_on, "fsck", "--strict") == ""


def test_restore_accepts_a_checkpoint_object_or_any_revision(moved_on: Repository) -> None:
    moved_on.restore(moved_on.checkpoint("before"))
    assert moved_on.diff("before", "HEAD") == []

    info = moved_on.restore("HEAD~1")
    assert tree_files(moved_on, "HEAD") == tree_files(moved_on, "HEAD~2")
    assert info.message == "Restore HEAD~1"


def test_checkpoint_restore_method(moved_on: Repository) -> None:
    moved_on.checkpoint("before").restore()
    assert tree_files(moved_on, "HEAD") == tree_files(moved_on, "checkpoints/before")


def test_paths_restore_replaces_only_those_paths(moved_on: Repository) -> None:
    info = moved_on.restore("before", paths=["dir"])

    files = tree_files(moved_on, "HEAD")
    assert files["a.json"] == '{"v": 2}\n'  # kept from HEAD
    assert files["e.txt"] == "e\n"
    assert files["dir/b.txt"] == "b1\n"  # restored
    assert "dir/new.txt" not in files  # the target has no such file
    assert set(info.paths) == {"dir/b.txt", "dir/new.txt"}
    assert git(moved_on, "status", "--porcelain") == ""


def test_paths_restore_of_a_file_the_target_lacks_deletes_it(moved_on: Repository) -> None:
    moved_on.restore("before", paths=["e.txt", "a.json"])

    files = tree_files(moved_on, "HEAD")
    assert "e.txt" not in files
    assert files["a.json"] == '{"v": 1}\n'
    assert not (moved_on.path / "e.txt").exists()


def test_paths_restore_of_a_path_nowhere_is_an_error(moved_on: Repository) -> None:
    head = moved_on.head
    with pytest.raises(CheckpointError, match=r"nowhere\.txt"):
        moved_on.restore("before", paths=["nowhere.txt"])
    assert moved_on.head == head


def test_hard_restore_moves_the_branch_with_a_reflog_entry(moved_on: Repository) -> None:
    target = moved_on.checkpoint("before").sha
    info = moved_on.restore("before", hard=True)

    assert info.sha == target == moved_on.head
    assert git(moved_on, "rev-parse", "main").strip() == target
    assert git_lines(moved_on, "reflog", "--format=%H %gs", "-1") == [
        f"{target} reset: moving to before"
    ]
    assert git_lines(moved_on, "reflog", "show", "--format=%gs", "-1", "main") == [
        "reset: moving to before"
    ]
    assert (moved_on.path / "dir/b.txt").read_bytes() == b"b1\n"
    assert git(moved_on, "status", "--porcelain") == ""


def test_hard_restore_with_paths_is_refused(moved_on: Repository) -> None:
    with pytest.raises(ValueError, match="paths"):
        moved_on.restore("before", paths=["dir"], hard=True)


def test_restore_of_an_unknown_name_is_a_clear_error(moved_on: Repository) -> None:
    with pytest.raises(CheckpointError) as caught:
        moved_on.restore("no-such-checkpoint")
    assert (caught.value.name, caught.value.reason) == ("no-such-checkpoint", "unknown-target")
    assert "Repository.checkpoints()" in str(caught.value)
    assert "gitworktree" not in str(caught.value)  # a Python caller is told Python


def test_an_unknown_checkpoint_is_named_in_python_words(moved_on: Repository) -> None:
    with pytest.raises(CheckpointError) as caught:
        moved_on.checkpoint("no-such-checkpoint")
    assert caught.value.reason == "unknown-checkpoint"
    assert str(caught.value) == (
        "no checkpoint named 'no-such-checkpoint'; Repository.checkpoints() lists them"
    )


def test_restore_never_touches_untracked_files(moved_on: Repository) -> None:
    (moved_on.path / "notes.local").write_bytes(b"mine")
    (moved_on.path / "dir/scratch.tmp").write_bytes(b"scratch")

    moved_on.restore("before")
    moved_on.restore("HEAD~2", hard=True)

    assert (moved_on.path / "notes.local").read_bytes() == b"mine"
    assert (moved_on.path / "dir/scratch.tmp").read_bytes() == b"scratch"


def test_restore_refuses_to_overwrite_uncommitted_changes(moved_on: Repository) -> None:
    (moved_on.path / "a.json").write_bytes(b"local edit\n")
    head = moved_on.head

    with pytest.raises(ConflictError) as caught:
        moved_on.restore("before")

    assert caught.value.paths == ("a.json",)
    assert moved_on.head == head
    assert (moved_on.path / "a.json").read_bytes() == b"local edit\n"


def test_restore_to_the_same_tree_adds_nothing(moved_on: Repository) -> None:
    head = moved_on.head
    assert moved_on.restore("HEAD").sha == head
    assert moved_on.head == head


def test_restore_brings_back_symlinks_and_executables(repo: Repository) -> None:
    (repo.path / "target.txt").write_text("t")
    (repo.path / "link").symlink_to("target.txt")
    (repo.path / "run.sh").write_text("#!/bin/sh\n")
    (repo.path / "run.sh").chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "by git")
    repo.create_checkpoint("with-links")
    repo.commit_changes({"link": None, "run.sh": None}, message="remove them")

    repo.restore("with-links")

    assert (repo.path / "link").is_symlink()
    assert (repo.path / "link").readlink().as_posix() == "target.txt"
    assert (repo.path / "run.sh").stat().st_mode & 0o111
    assert git(repo, "status", "--porcelain") == ""
    assert repo.status() == []


def test_a_taken_checkpoint_name_is_refused_in_python_words(moved_on: Repository) -> None:
    moved_on.create_checkpoint("taken")
    with pytest.raises(CheckpointError) as caught:
        moved_on.create_checkpoint("taken")
    assert caught.value.reason == "exists"
    assert "Repository.delete_checkpoint()" in str(caught.value)
    assert "gitworktree" not in str(caught.value)
