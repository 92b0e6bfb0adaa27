"""diff() and status(): the same files git diff / git status report, with patches and pointers."""

from __future__ import annotations

import json
import os

import pytest

from gitworktree.history import FileChange, PointerChange, Repository
from gitworktree.history._json.pointers import json_pointer_changes
from tests.oracle import git, git_lines

STATUS_LETTER = {"added": "A", "modified": "M", "deleted": "D"}


def name_status(changes: list[FileChange]) -> list[str]:
    return [f"{STATUS_LETTER[change.status]}\t{change.path}" for change in changes]


@pytest.fixture
def two_commits(repo: Repository) -> Repository:
    repo.commit_changes(
        {"keep.txt": b"same\n", "edit.txt": b"one\ntwo\n", "gone/old.txt": b"old\n"},
        message="first",
    )
    repo.commit_changes(
        {"edit.txt": b"one\nTWO\n", "gone/old.txt": None, "new/file.txt": b"new\n"},
        message="second",
    )
    return repo


def test_diff_between_commits_matches_git(two_commits: Repository) -> None:
    changes = two_commits.diff("HEAD~1", "HEAD")
    assert name_status(changes) == git_lines(
        two_commits, "diff", "--no-renames", "--name-status", "HEAD~1", "HEAD"
    )


def test_diff_reports_blob_ids(two_commits: Repository) -> None:
    (change,) = two_commits.diff("HEAD~1", "HEAD", paths=["edit.txt"])
    assert change.old_sha == git(two_commits, "rev-parse", "HEAD~1:edit.txt").strip()
    assert change.new_sha == git(two_commits, "rev-parse", "HEAD:edit.txt").strip()


def test_patch_has_git_style_headers(two_commits: Repository) -> None:
    by_path = {change.path: change for change in two_commits.diff("HEAD~1", "HEAD")}

    modified = by_path["edit.txt"].patch
    assert "--- a/edit.txt\n+++ b/edit.txt\n" in modified
    assert "-two\n+TWO\n" in modified
    assert "--- /dev/null\n+++ b/new/file.txt\n" in by_path["new/file.txt"].patch
    assert "--- a/gone/old.txt\n+++ /dev/null\n" in by_path["gone/old.txt"].patch
    assert modified == git(two_commits, "diff", "HEAD~1", "HEAD", "--", "edit.txt")


def test_binary_files_say_so(repo: Repository) -> None:
    repo.commit_changes({"blob.bin": b"\x00\x01"}, message="bin")
    repo.commit_changes({"blob.bin": b"\x00\x02"}, message="bin 2")

    (change,) = repo.diff("HEAD~1", "HEAD")
    assert "Binary files a/blob.bin and b/blob.bin differ" in change.patch


@pytest.mark.parametrize("paths", [["gone"], ["new/"], ["edit.txt", "keep.txt"]], ids=repr)
def test_diff_path_filter_matches_git(two_commits: Repository, paths: list[str]) -> None:
    changes = two_commits.diff("HEAD~1", "HEAD", paths=paths)
    expected = git_lines(two_commits, "diff", "--no-renames", "--name-status", "HEAD~1", "HEAD",
                         "--", *paths)  # fmt: skip
    assert name_status(changes) == expected


def test_diff_against_the_work_tree(two_commits: Repository) -> None:
    root = two_commits.path
    (root / "edit.txt").write_bytes(b"changed on disk\n")
    (root / "keep.txt").unlink()
    (root / "untracked.txt").write_bytes(b"u\n")
    (root / ".gitignore").write_bytes(b"*.log\n")
    (root / "noise.log").write_bytes(b"ignored\n")

    changes = two_commits.diff("HEAD")

    assert name_status(changes) == [
        "A\t.gitignore",
        "M\tedit.txt",
        "D\tkeep.txt",
        "A\tuntracked.txt",
    ]
    tracked = [line for line in name_status(changes) if "txt" in line and "untracked" not in line]
    assert tracked == git_lines(two_commits, "diff", "--name-status", "HEAD")
    by_path = {change.path: change for change in changes}
    assert by_path["edit.txt"].new_sha == git(two_commits, "hash-object", "edit.txt").strip()
    assert "+changed on disk\n" in by_path["edit.txt"].patch


def test_status_is_empty_after_commits(two_commits: Repository) -> None:
    assert two_commits.status() == []


def test_status_matches_git_status(two_commits: Repository) -> None:
    root = two_commits.path
    (root / "edit.txt").write_bytes(b"dirty\n")
    (root / "new/file.txt").unlink()
    os.makedirs(root / "fresh/dir")
    (root / "fresh/dir/a.txt").write_bytes(b"a")

    ours = {entry.path: entry.status for entry in two_commits.status()}
    assert ours == {"edit.txt": "modified", "new/file.txt": "deleted", "fresh/dir/a.txt": "added"}
    porcelain = git_lines(two_commits, "status", "--porcelain", "--untracked-files=all")
    assert sorted(line[3:] for line in porcelain) == sorted(ours)


def test_status_on_an_unborn_branch_lists_files_as_added(repo: Repository) -> None:
    (repo.path / "a.txt").write_bytes(b"a")
    assert [(entry.path, entry.status) for entry in repo.status()] == [("a.txt", "added")]


def test_json_changes_carry_pointers(repo: Repository) -> None:
    repo.commit_changes({"doc.json": b'{"a": 1, "list": [1, 2], "gone": true}'}, message="1")
    repo.commit_changes({"doc.json": b'{"a": 2, "list": [1], "new": {"x": null}}'}, message="2")

    (change,) = repo.diff("HEAD~1", "HEAD")
    assert change.pointers == (
        PointerChange("/a", 1, 2, "changed"),
        PointerChange("/list/1", 2, None, "removed"),
        PointerChange("/gone", True, None, "removed"),
        PointerChange("/new", None, {"x": None}, "added"),
    )


def test_invalid_json_has_no_pointers(repo: Repository) -> None:
    repo.commit_changes({"doc.json": b"{broken"}, message="1")
    repo.commit_changes({"doc.json": b"{}"}, message="2")

    (change,) = repo.diff("HEAD~1", "HEAD")
    assert change.pointers == ()
    assert change.status == "modified"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"a/b": 1}, {"a/b": 2}, [("/a~1b", "changed")]),
        ({"m~n": 1}, {}, [("/m~0n", "removed")]),
        ([1, [2, 3]], [1, [2, 4], 5], [("/1/1", "changed"), ("/2", "added")]),
        ({"x": 1}, {"x": True}, [("/x", "changed")]),
        ({"x": 1}, {"x": 1.0}, []),
        ({"x": {}}, {"x": []}, [("/x", "changed")]),
        (1, "1", [("", "changed")]),
        ({"same": [1, {"k": "v"}]}, {"same": [1, {"k": "v"}]}, []),
    ],
    ids=["escape-slash", "escape-tilde", "list-index", "bool-vs-int", "int-vs-float",
         "dict-vs-list", "root-scalar", "unchanged"],
)  # fmt: skip
def test_json_pointer_diff(old: object, new: object, expected: list[tuple[str, str]]) -> None:
    changes = json_pointer_changes(json.dumps(old).encode(), json.dumps(new).encode())
    assert changes is not None
    assert [(change.pointer, change.kind) for change in changes] == expected


@pytest.mark.parametrize(
    "paths", [["fresh"], ["edit.txt"], ["lonely.txt"], ["new", "fresh/dir"], ["nothing"]], ids=repr
)
def test_status_limited_to_paths_matches_git(two_commits: Repository, paths: list[str]) -> None:
    root = two_commits.path
    (root / "edit.txt").write_bytes(b"dirty\n")
    (root / "new/file.txt").unlink()
    os.makedirs(root / "fresh/dir")
    (root / "fresh/dir/a.txt").write_bytes(b"a")
    (root / "fresh/skip.log").write_bytes(b"ignored")
    (root / ".gitignore").write_bytes(b"*.log\n")
    (root / "lonely.txt").write_bytes(b"l")

    ours = sorted(entry.path for entry in two_commits.status(paths=paths))
    porcelain = git_lines(
        two_commits, "status", "--porcelain", "--untracked-files=all", "--", *paths
    )
    assert ours == sorted(line[3:] for line in porcelain)


def test_diff_from_the_empty_tree_is_what_a_root_commit_added(two_commits: Repository) -> None:
    root = git(two_commits, "rev-list", "--max-parents=0", "HEAD").strip()
    changes = two_commits.diff(None, root)

    assert {change.status for change in changes} == {"added"}
    assert [change.path for change in changes] == git_lines(
        two_commits, "ls-tree", "-r", "--name-only", root
    )
    for change in changes:
        assert change.patch == git(two_commits, "diff-tree", "-p", "--root", "--no-commit-id",
                                   "-r", root, "--", change.path)  # fmt: skip
