"""Trees rebuilt by splicing raw entries are the trees git (and dulwich) would build."""

from __future__ import annotations

import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.diff_tree import tree_changes
from dulwich.index import commit_tree
from dulwich.objects import Blob, ObjectID, Tree
from dulwich.repo import Repo
from hypothesis import given, settings
from hypothesis import strategies as st

from gitworktree.history import Repository
from gitworktree.history._objects.rawtrees import (
    EMPTY_TREE,
    RawTree,
    diff_tree_files,
    diff_tree_paths,
    iter_tree_files,
    read_tree,
)
from gitworktree.history._objects.treebuild import TreeEdit, apply_tree_edits
from tests.oracle import git

DIRECTORIES = ["", "a", "a/b", "c", "d/e"]
NAMES = ["x", "y.json", "z-1", "w_2"]
PATHS = [f"{d}/{n}" if d else n for d in DIRECTORIES for n in NAMES]
CONTENT = st.sampled_from([b"1", b"2", b"3\n", b""])
MODES = st.sampled_from([0o100644, 0o100755])
FILE_MAPS = st.dictionaries(st.sampled_from(PATHS), st.tuples(CONTENT, MODES), max_size=12)
EDITS = st.dictionaries(
    st.sampled_from(PATHS), st.none() | st.tuples(CONTENT, MODES), min_size=1, max_size=8
)


@pytest.fixture(scope="module")
def store_repo() -> Iterator[Repo]:
    with tempfile.TemporaryDirectory() as directory:
        repo = Repo.init(directory)
        yield repo
        repo.close()


def _edits(repo: Repo, files: dict[str, tuple[bytes, int] | None]) -> dict[str, TreeEdit]:
    edits: dict[str, TreeEdit] = {}
    for path, file in files.items():
        if file is None:
            edits[path] = None
            continue
        blob = Blob.from_string(file[0])
        repo.object_store.add_object(blob)
        edits[path] = (file[1], blob.id)
    return edits


def _reference_tree(repo: Repo, files: dict[str, tuple[bytes, int]]) -> ObjectID:
    """The tree dulwich builds from scratch for the same files."""
    if not files:
        return EMPTY_TREE
    blobs = [
        (path.encode(), Blob.from_string(data).id, mode) for path, (data, mode) in files.items()
    ]
    return commit_tree(repo.object_store, blobs)


@settings(max_examples=150, deadline=None)
@given(initial=FILE_MAPS, edits=EDITS)
def test_patched_trees_equal_trees_built_from_scratch(
    store_repo: Repo,
    initial: dict[str, tuple[bytes, int]],
    edits: dict[str, tuple[bytes, int] | None],
) -> None:
    base, _ = apply_tree_edits(store_repo.object_store, None, _edits(store_repo, dict(initial)))
    result, _ = apply_tree_edits(store_repo.object_store, base, _edits(store_repo, dict(edits)))

    expected = dict(initial)
    for path, file in edits.items():
        if file is None:
            expected.pop(path, None)
        else:
            expected[path] = file
    assert base == _reference_tree(store_repo, initial)
    assert result == _reference_tree(store_repo, expected)


@settings(max_examples=100, deadline=None)
@given(initial=FILE_MAPS, edits=EDITS)
def test_tree_diffs_agree_with_dulwich(
    store_repo: Repo,
    initial: dict[str, tuple[bytes, int]],
    edits: dict[str, tuple[bytes, int] | None],
) -> None:
    store = store_repo.object_store
    old, _ = apply_tree_edits(store, None, _edits(store_repo, dict(initial)))
    new, _ = apply_tree_edits(store, old, _edits(store_repo, dict(edits)))

    expected: dict[str, tuple[object, object]] = {}
    for change in tree_changes(store, old, new):
        for side, entry in ((0, change.old), (1, change.new)):
            if entry is not None and entry.path is not None:
                pair = list(expected.get(entry.path.decode(), (None, None)))
                pair[side] = (entry.mode, entry.sha)
                expected[entry.path.decode()] = (pair[0], pair[1])
    assert diff_tree_files(store, old, new) == expected
    assert diff_tree_paths(store, old, new) == set(expected)
    assert diff_tree_paths(store, None, new) == {
        path for path, _mode, _sha in iter_tree_files(store, new)
    }


def test_a_large_directory_is_patched_to_what_git_writes(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        files: dict[str, bytes | None] = {
            f"big/f{index:05d}.json": b"%d\n" % index for index in range(3000)
        }
        repository.commit_changes(files, message="many")
        repository.commit_changes(
            {"big/f01500.json": b"changed\n", "big/f00000.json": None, "big/new.json": b"n\n"},
            message="three edits",
        )

        assert git(repository, "fsck", "--strict", "--no-dangling") == ""
        assert git(repository, "write-tree") == git(repository, "rev-parse", "HEAD^{tree}")
        assert git(repository, "diff", "--name-status", "HEAD~1", "HEAD").splitlines() == [
            "D\tbig/f00000.json",
            "M\tbig/f01500.json",
            "A\tbig/new.json",
        ]


def test_a_tree_in_non_canonical_order_is_read_and_rewritten_in_git_order() -> None:
    sha = bytes(20)
    raw = b"100644 b\0" + sha + b"40000 a\0" + sha + b"100644 a.txt\0" + sha
    tree = RawTree.parse(raw)

    assert tree.keys == [b"a.txt", b"a/", b"b"]  # "a.txt" < "a/": git compares dirs as "a/"
    reference = Tree()
    reference.add(b"b", 0o100644, sha.hex().encode())
    reference.add(b"a", stat.S_IFDIR, sha.hex().encode())
    reference.add(b"a.txt", 0o100644, sha.hex().encode())
    assert tree.raw() == reference.as_raw_string()


def test_packed_trees_are_read_through_dulwich(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"a/b.txt": b"b\n", "c.txt": b"c\n"}, message="one")
        git(repository, "gc", "-q")
        with Repo(str(repository.path)) as repo:
            root = repo[repo.head()].tree  # type: ignore[attr-defined]
            listed = sorted(path for path, _mode, _sha in iter_tree_files(repo.object_store, root))
            assert listed == ["a/b.txt", "c.txt"]
            assert len(read_tree(repo.object_store, root)) == 2
        repository.commit_changes({"a/b.txt": b"b2\n"}, message="two")
        assert git(repository, "show", "HEAD:a/b.txt") == "b2\n"
