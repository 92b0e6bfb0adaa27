"""The index is patched entry by entry: the result is exactly what git itself writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitworktree import mount
from gitworktree.history import Repository
from gitworktree.history._worktree.cache_tree import CacheTree, parse_cache_tree
from gitworktree.history._worktree.index_file import IndexFile, parse_index
from tests.oracle import git
from tests.perf_paths.conftest import FILES, make_git_repository
from tests.tree.models import Task, TaskTree


def read_index(root: Path) -> IndexFile:
    parsed = parse_index((root / ".git" / "index").read_bytes())
    assert parsed is not None
    return parsed


def index_git_would_write(root: Path, before: bytes, paths: list[str]) -> bytes:
    """Put ``before`` back and let ``git update-index`` record ``paths`` as they are on disk."""
    index = root / ".git" / "index"
    ours = index.read_bytes()
    index.write_bytes(before)
    for path in paths:
        if not (root / path).is_file():
            git(root, "update-index", "--force-remove", "--", path)
    for path in paths:
        if (root / path).is_file():
            git(root, "update-index", "--add", "--replace", "--", path)
    theirs = index.read_bytes()
    index.write_bytes(ours)
    return theirs


CHANGES = {
    "modify": {"work/tasks/t007.json": b'{"n": "seven"}\n'},
    "add_in_the_middle": {"work/tasks/t007a.json": b"{}\n"},
    "add_a_new_directory": {"new/deep/dir/file.json": b"{}\n"},
    "delete": {"work/tasks/t010.json": None},
    "delete_the_last_file_of_a_directory": {"archive/done/old.json": None},
    "several_at_once": {
        "settings.json": b'{"a": 2}\n',
        "work/tasks/t000.json": None,
        "work/tasks/t059.json": b"59\n",
        "zz.json": b"{}\n",
    },
    "file_replaces_a_directory": {
        **{f"work/notes/n{index}.json": None for index in range(5)},
        "work/notes": b"now a file\n",
    },
}


@pytest.mark.parametrize("changes", list(CHANGES.values()), ids=list(CHANGES))
def test_entries_are_byte_for_byte_what_git_update_index_writes(
    git_repo: Repository, changes: dict[str, bytes | None]
) -> None:
    root = git_repo.path
    before = (root / ".git" / "index").read_bytes()

    git_repo.commit_changes(changes, message="ours")

    theirs = index_git_would_write(root, before, sorted(changes))
    ours_parsed, theirs_parsed = read_index(root), parse_index(theirs)
    assert theirs_parsed is not None
    assert ours_parsed.version == theirs_parsed.version
    assert ours_parsed.paths == theirs_parsed.paths
    assert ours_parsed.entries == theirs_parsed.entries
    ours_debug = git(root, "ls-files", "--stage", "--debug")
    (root / ".git" / "index").write_bytes(theirs)
    assert git(root, "ls-files", "--stage", "--debug") == ours_debug


@pytest.mark.parametrize("changes", list(CHANGES.values()), ids=list(CHANGES))
def test_git_sees_a_clean_sound_repository_after_the_patch(
    git_repo: Repository, changes: dict[str, bytes | None]
) -> None:
    git_repo.commit_changes(changes, message="ours")

    assert git(git_repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(git_repo, "fsck", "--strict", "--no-dangling") == ""
    # The cached trees we kept valid are trusted by git: they must be HEAD's trees.
    assert git(git_repo, "write-tree") == git(git_repo, "rev-parse", "HEAD^{tree}")


def _nodes(node: CacheTree, prefix: str = "") -> dict[str, tuple[int, str | None]]:
    path = f"{prefix}{node.name.decode()}"
    found = {path: (node.entry_count, None if node.sha is None else node.sha.decode())}
    for child in node.children:
        found.update(_nodes(child, path + "/" if path else ""))
    return found


@pytest.mark.parametrize("changes", list(CHANGES.values()), ids=list(CHANGES))
def test_cached_trees_follow_the_commit_exactly_as_git_would_build_them(
    git_repo: Repository, changes: dict[str, bytes | None], tmp_path: Path
) -> None:
    git_repo.commit_changes(changes, message="ours")

    reference = tmp_path / "reference"
    shutil.copytree(git_repo.path, reference)
    git(reference, "read-tree", "HEAD")  # git's own complete cached trees for HEAD
    ours_data, theirs_data = read_index(git_repo.path), read_index(reference)
    ours_tree, theirs_tree = ours_data.extension(b"TREE"), theirs_data.extension(b"TREE")
    assert ours_tree is not None and theirs_tree is not None
    assert _nodes(parse_cache_tree(ours_tree)) == _nodes(parse_cache_tree(theirs_tree))


def test_a_later_plain_git_commit_keeps_our_content(git_repo: Repository) -> None:
    git_repo.commit_changes({"work/tasks/t001.json": b"ours\n"}, message="ours")
    (git_repo.path / "work" / "notes" / "n0.json").write_bytes(b"theirs\n")

    git(git_repo, "commit", "-q", "-am", "a person's commit")

    assert git(git_repo, "show", "HEAD:work/tasks/t001.json") == "ours\n"
    assert git(git_repo, "show", "HEAD:work/notes/n0.json") == "theirs\n"
    assert git(git_repo, "status", "--porcelain") == ""


def test_a_path_staged_by_someone_does_not_leave_a_stale_cached_tree(
    git_repo: Repository,
) -> None:
    """git add invalidated the records along a path; our write there must not revive them."""
    (git_repo.path / "work" / "tasks" / "t003.json").write_bytes(b"staged by hand\n")
    git(git_repo, "add", "work/tasks/t003.json")

    git_repo.commit_changes({"work/tasks/t003.json": FILES["work/tasks/t003.json"]}, message="x")

    assert git(git_repo, "write-tree") == git(git_repo, "rev-parse", "HEAD^{tree}")
    assert git(git_repo, "status", "--porcelain") == ""


def test_extended_flags_and_version_3_are_kept_as_git_keeps_them(git_repo: Repository) -> None:
    (git_repo.path / "intent.json").write_bytes(b"{}\n")
    git(git_repo, "add", "-N", "intent.json")  # intent-to-add: an extended flag, version 3
    assert read_index(git_repo.path).version == 3
    before = (git_repo.path / ".git" / "index").read_bytes()

    git_repo.commit_changes({"settings.json": b"3\n"}, message="ours")

    theirs = parse_index(index_git_would_write(git_repo.path, before, ["settings.json"]))
    ours = read_index(git_repo.path)
    assert theirs is not None
    assert (ours.version, ours.entries) == (theirs.version, theirs.entries)
    assert "intent.json" in git(git_repo, "ls-files")


def test_version_3_becomes_2_when_no_entry_needs_extended_flags(git_repo: Repository) -> None:
    (git_repo.path / "intent.json").write_bytes(b"{}\n")
    git(git_repo, "add", "-N", "intent.json")

    git_repo.commit_changes({"intent.json": b"{}\n"}, message="commits the intent-to-add file")

    assert read_index(git_repo.path).version == 2
    assert git(git_repo, "status", "--porcelain") == ""


def test_a_version_4_index_is_rewritten_whole(git_repo: Repository) -> None:
    git(git_repo, "update-index", "--index-version", "4")

    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert git(git_repo, "status", "--porcelain") == ""
    assert git(git_repo, "show", "HEAD:work/tasks/t001.json") == "1\n"


def test_optional_caches_that_would_go_stale_are_dropped(git_repo: Repository) -> None:
    git(git_repo, "config", "core.untrackedCache", "true")
    git(git_repo, "status", "--porcelain")  # writes the untracked cache (UNTR)
    assert read_index(git_repo.path).extension(b"UNTR") is not None
    (git_repo.path / "untracked.txt").write_bytes(b"x")

    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert read_index(git_repo.path).extension(b"UNTR") is None
    assert git(git_repo, "status", "--porcelain") == "?? untracked.txt\n"


def test_a_first_commit_leaves_complete_cached_trees(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"a/b.txt": b"b\n", "c.txt": b"c\n"}, message="first")

        tree = read_index(repository.path).extension(b"TREE")
        assert tree is not None
        root = parse_cache_tree(tree)
        assert root.valid and root.sha is not None
        assert root.sha.decode() == git(repository, "rev-parse", "HEAD^{tree}").strip()
        assert root.entry_count == 2


def test_mounted_tree_commits_keep_the_index_equal_to_head(tmp_path: Path) -> None:
    root = make_git_repository(tmp_path / "data", {"counter.json": b'{\n  "number": 0\n}\n'})
    tree = mount(TaskTree, root)
    for step in range(5):
        tree.tasks[f"t{step}"] = Task(title=f"step {step}")
        tree.counter.number = step
        if step == 3:
            del tree.tasks["t1"]
        tree.commit()

    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(root, "write-tree") == git(root, "rev-parse", "HEAD^{tree}")
    assert git(root, "diff-index", "--cached", "HEAD") == ""


def test_an_advisory_read_sees_an_index_git_rewrote_after_ours(git_repo: Repository) -> None:
    from gitworktree.history._worktree.index_file import read_index_if_changed

    path = str(git_repo.path / ".git" / "index")
    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")
    ours = read_index_if_changed(path)
    assert ours is not None and ours.raw == (git_repo.path / ".git" / "index").read_bytes()

    (git_repo.path / "work/tasks/t002.json").write_bytes(b"by a person\n")
    git(git_repo, "add", "work/tasks/t002.json")  # same entry count, new blob and stat

    theirs = read_index_if_changed(path)
    assert theirs is not None
    assert theirs.raw == (git_repo.path / ".git" / "index").read_bytes() != ours.raw
