"""Index settings a person may have made: our commits on an index git wrote under each.

git writes the index its settings ask for (version 4 with prefix-compressed paths, the
untracked cache, the file-system monitor's state, the offset tables, a null checksum);
we then commit on it, and git, the oracle, must read what we wrote as HEAD plus stat
data: nothing staged, nothing modified, the untracked files still seen, `fsck` clean.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitworktree import RepositoryError, UnsupportedRepositoryError
from gitworktree.history import Repository
from tests.oracle import git

FILES = {
    "settings.json": b'{"a": 1}\n',
    **{f"work/tasks/t{n:02d}.json": b'{"n": %d}\n' % n for n in range(12)},
    **{f"work/notes/n{n}.json": b'{"note": %d}\n' % n for n in range(4)},
}
CHANGES = {
    "work/tasks/t03.json": b'{"n": "three"}\n',  # replaced
    "work/tasks/t03a.json": b"{}\n",  # added between two entries
    "new/deep/file.json": b"{}\n",  # added in a new directory
    "work/notes/n1.json": None,  # removed
}

# What each setting makes git write into the index, as a person's `git status` leaves it.
SETTINGS: dict[str, dict[str, str]] = {
    "index_version_4": {"index.version": "4"},
    "feature_many_files": {"feature.manyFiles": "true"},  # version 4 + untracked cache
    "untracked_cache": {"core.untrackedCache": "true"},  # UNTR
    "fsmonitor": {"core.fsmonitor": "true"},  # FSMN
    "offset_tables": {  # EOIE and IEOT
        "index.recordEndOfIndexEntries": "true",
        "index.recordOffsetTable": "true",
        "index.threads": "2",
    },
    "file_mode_off": {"core.fileMode": "false"},
}


def make_repository(root: Path, settings: dict[str, str]) -> Path:
    """A repository whose index git wrote under ``settings``, with an untracked file."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for name, value in settings.items():
        git(root, "config", name, value)
    for path, data in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "made by git")
    (root / "work" / "scratch.txt").write_text("a person's untracked file\n")
    git(root, "status", "--porcelain")  # writes the untracked cache, FSMN, ...
    return root


def extensions(raw: bytes) -> set[bytes]:
    """The extensions found in an index's bytes (no path or id here holds their names)."""
    names = (b"TREE", b"REUC", b"UNTR", b"FSMN", b"EOIE", b"IEOT", b"link", b"sdir")
    return {name for name in names if name in raw}


def git_reads_it_as_head(root: Path) -> None:
    """git reads the index we wrote (without rewriting it first) as HEAD plus stat data."""
    index = (root / ".git" / "index").read_bytes()
    quiet = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # status must not rewrite the index

    def run(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, env=quiet
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("diff-index", "--cached", "HEAD") == ""
    assert run("status", "--porcelain") == "?? work/scratch.txt\n"
    assert (root / ".git" / "index").read_bytes() == index
    listed = [line.split(None, 3) for line in run("ls-files", "-s").splitlines()]
    tree = [line.split(None, 3) for line in run("ls-tree", "-r", "HEAD").splitlines()]
    assert [(m, s, p) for m, s, _, p in listed] == [(m, s, p) for m, _, s, p in tree]
    git(root, "fsck", "--strict", "--no-dangling")


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_a_commit_on_an_index_git_wrote_under_the_setting_is_read_by_git_as_head(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    root = make_repository(tmp_path / "repo", settings)
    version = (root / ".git" / "index").read_bytes()[4:8]

    with Repository.open(root) as repository:
        repository.commit_changes(CHANGES, message="ours")

    git_reads_it_as_head(root)
    assert (root / ".git" / "index").read_bytes()[4:8] == version  # as git, kept
    # ... and git goes on from it, under the same setting.
    (root / "work/tasks/t04.json").write_bytes(b"by git\n")
    git(root, "commit", "-q", "-am", "git's own, after ours")
    assert git(root, "status", "--porcelain") == "?? work/scratch.txt\n"


@pytest.mark.parametrize(
    "settings",
    [SETTINGS["untracked_cache"], SETTINGS["fsmonitor"], SETTINGS["offset_tables"]],
    ids=["untracked_cache", "fsmonitor", "offset_tables"],
)
def test_extensions_that_describe_the_old_entries_or_files_are_left_for_git_to_rebuild(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    # Kept, they would be stale: offsets into entries that moved, directories and files
    # said unchanged that our commit changed (git would then miss a new untracked file).
    root = make_repository(tmp_path / "repo", settings)
    written_by_git = extensions((root / ".git" / "index").read_bytes()) - {b"TREE"}
    assert written_by_git  # the setting made git write them

    with Repository.open(root) as repository:
        repository.commit_changes(CHANGES, message="ours")
    (root / "new" / "deep" / "untracked.txt").write_text("made after our commit\n")

    assert extensions((root / ".git" / "index").read_bytes()) == {b"TREE"}
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    assert status == "?? new/deep/untracked.txt\n?? work/scratch.txt\n"


def with_null_checksum(index: Path) -> None:
    """The index as git 2.40+ writes it under ``index.skipHash`` (a checksum of zeros)."""
    raw = index.read_bytes()
    index.write_bytes(raw[:-20] + bytes(20))


@pytest.mark.parametrize("version", ["2", "4"], ids=["version_2", "version_4"])
def test_an_index_written_with_skip_hash_is_read_and_written_back_with_a_checksum(
    tmp_path: Path, version: str
) -> None:
    # git before 2.40 cannot read a null checksum: ours is computed, which every git reads.
    root = make_repository(tmp_path / "repo", {"index.version": version})
    with_null_checksum(root / ".git" / "index")

    with Repository.open(root) as repository:
        repository.commit_changes(CHANGES, message="ours")

    assert (root / ".git" / "index").read_bytes()[-20:] != bytes(20)
    git_reads_it_as_head(root)


def test_a_version_4_index_with_a_damaged_checksum_is_refused(tmp_path: Path) -> None:
    # dulwich, which reads version 4 for us, does not check it: a bit flipped on disk
    # would be written back as the new index.
    root = make_repository(tmp_path / "repo", {"index.version": "4"})
    index = root / ".git" / "index"
    raw = index.read_bytes()
    index.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    before = index.read_bytes()

    with (
        Repository.open(root) as repository,
        pytest.raises(RepositoryError, match="checksum"),
    ):
        repository.commit_changes(CHANGES, message="ours")

    assert index.read_bytes() == before


def test_a_sparse_index_in_version_4_is_refused_not_rewritten_without_its_extension(
    tmp_path: Path,
) -> None:
    # dulwich, which rewrites version 4, would drop `sdir` and leave git directory
    # entries it no longer knows to be sparse.
    root = make_repository(tmp_path / "repo", {"index.version": "4"})
    git(root, "sparse-checkout", "set", "--cone", "--sparse-index", "work/tasks")
    index = root / ".git" / "index"
    assert b"sdir" in index.read_bytes()
    before, head = index.read_bytes(), git(root, "rev-parse", "HEAD")

    with (
        Repository.open(root) as repository,
        pytest.raises(RepositoryError, match="a sparse index") as raised,
    ):
        repository.commit_changes({"work/tasks/t01.json": b"1\n"}, message="ours")

    assert "git sparse-checkout disable" in str(raised.value)
    assert index.read_bytes() == before
    assert git(root, "rev-parse", "HEAD") == head


def test_a_skip_worktree_bit_in_a_version_4_index_is_a_sparse_checkout(
    tmp_path: Path,
) -> None:
    root = make_repository(tmp_path / "repo", {"index.version": "4"})
    git(root, "update-index", "--skip-worktree", "work/notes/n2.json")

    with (
        Repository.open(root) as repository,
        pytest.raises(UnsupportedRepositoryError, match=r"n2\.json") as raised,
    ):
        repository.check_work_tree()

    assert raised.value.reason == "sparse-checkout"


NEW_INDEX = {
    "index_version_4": ({"index.version": "4"}, {}, 4),
    "feature_many_files": ({"feature.manyFiles": "true"}, {}, 4),
    "index_version_over_many_files": ({"feature.manyFiles": "true", "index.version": "2"}, {}, 2),
    "environment_over_config": ({"index.version": "4"}, {"GIT_INDEX_VERSION": "2"}, 2),
    "unset": ({}, {}, 2),
}


@pytest.mark.parametrize(
    ("settings", "environment", "version"), NEW_INDEX.values(), ids=NEW_INDEX.keys()
)
def test_a_first_commit_writes_the_index_in_the_version_git_would(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, str],
    environment: dict[str, str],
    version: int,
) -> None:
    by_git, ours = tmp_path / "git", tmp_path / "ours"
    for root in (by_git, ours):
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        for name, value in settings.items():
            git(root, "config", name, value)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (by_git / "a.json").write_bytes(b"{}\n")
    git(by_git, "add", "a.json")

    with Repository.open(ours) as repository:
        repository.commit_changes({"a.json": b"{}\n"}, message="ours")

    written = int.from_bytes((ours / ".git" / "index").read_bytes()[4:8], "big")
    assert written == int.from_bytes((by_git / ".git" / "index").read_bytes()[4:8], "big")
    assert written == version
    assert git(ours, "status", "--porcelain") == ""
