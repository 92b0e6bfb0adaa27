"""git's split index (``core.splitIndex``): read when git made one, written when asked for.

git is the oracle: after every write of ours, ``git status`` is clean, ``git ls-files``
lists HEAD's files, and ``git write-tree`` gives HEAD's tree.
"""

from __future__ import annotations

import errno
import hashlib
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitworktree import GitWorktreeError, RepositoryError
from gitworktree.history import Repository
from gitworktree.history._refs import refs as refs_module
from gitworktree.history._worktree.index_file import parse_index
from gitworktree.history._worktree.split_index import decode_ewah, encode_ewah
from tests.oracle import git, git_lines

CHANGES: dict[str, dict[str, bytes | None]] = {
    "modify": {"work/tasks/t007.json": b'{"n": "seven"}\n'},
    "add": {"work/tasks/t007a.json": b"{}\n", "new/deep/file.json": b"{}\n"},
    "delete": {"work/tasks/t010.json": None, "archive/done/old.json": None},
    "several": {
        "settings.json": b'{"a": 2}\n',
        "work/tasks/t000.json": None,
        "work/tasks/t059.json": b"59\n",
        "zz.json": b"{}\n",
    },
}


def shared_indexes(root: Path) -> list[str]:
    return sorted(path.name for path in (root / ".git").glob("sharedindex.*"))


def is_split(root: Path) -> bool:
    raw = (root / ".git" / "index").read_bytes()
    parsed = parse_index(raw, str(root / ".git"))
    return parsed is not None and parsed.link is not None


def assert_git_agrees(repo: Repository) -> None:
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git_lines(repo, "ls-files") == git_lines(repo, "ls-tree", "-r", "--name-only", "HEAD")
    assert git(repo, "write-tree") == git(repo, "rev-parse", "HEAD^{tree}")
    git(repo, "fsck", "--strict", "--no-dangling")


@given(st.sets(st.integers(min_value=0, max_value=5000), max_size=60))
def test_bitmaps_read_back_the_bits_written(bits: set[int]) -> None:
    encoded = encode_ewah(sorted(bits))

    assert decode_ewah(encoded) == (sorted(bits), len(encoded))


@pytest.mark.parametrize("changes", list(CHANGES.values()), ids=list(CHANGES))
def test_with_core_split_index_a_commit_writes_a_split_index_git_reads(
    git_repo: Repository, changes: dict[str, bytes | None]
) -> None:
    git(git_repo, "config", "core.splitIndex", "true")

    git_repo.commit_changes(changes, message="ours")

    assert is_split(git_repo.path)
    assert shared_indexes(git_repo.path)
    assert_git_agrees(git_repo)


def test_the_split_file_grows_with_the_changes_not_with_the_tree(
    git_repo: Repository,
) -> None:
    git(git_repo, "config", "core.splitIndex", "true")
    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="first")
    [shared] = shared_indexes(git_repo.path)

    git_repo.commit_changes({"work/tasks/t002.json": b"2\n"}, message="second")

    index_size = (git_repo.path / ".git" / "index").stat().st_size
    assert shared_indexes(git_repo.path) == [shared]  # the shared index was not rewritten
    assert index_size < (git_repo.path / ".git" / shared).stat().st_size / 3
    assert_git_agrees(git_repo)


def test_a_split_index_git_made_is_kept_and_updated(git_repo: Repository) -> None:
    git(git_repo, "update-index", "--split-index")
    (git_repo.path / "work/tasks/t003.json").write_bytes(b"by git\n")
    git(git_repo, "commit", "-q", "-am", "git's own commit, in split form")

    git_repo.commit_changes({"work/tasks/t004.json": b"ours\n", "added.json": b"{}\n"}, message="o")

    assert is_split(git_repo.path)
    assert_git_agrees(git_repo)
    assert git(git_repo, "show", "HEAD:work/tasks/t003.json") == "by git\n"


def test_past_a_fifth_of_the_entries_changed_a_new_shared_index_is_written(
    git_repo: Repository,
) -> None:
    git(git_repo, "config", "core.splitIndex", "true")
    git_repo.commit_changes({"work/tasks/t000.json": b"0\n"}, message="first")
    [first] = shared_indexes(git_repo.path)

    changed = {f"work/tasks/t{index:03d}.json": b"changed\n" for index in range(1, 30)}
    git_repo.commit_changes(changed, message="most of them")

    assert shared_indexes(git_repo.path) != [first]
    raw = (git_repo.path / ".git" / "index").read_bytes()
    assert int.from_bytes(raw[8:12], "big") == 0  # every entry is in the new shared index
    assert is_split(git_repo.path)
    assert_git_agrees(git_repo)


def test_core_split_index_false_turns_it_back_into_one_file(git_repo: Repository) -> None:
    git(git_repo, "update-index", "--split-index")
    git(git_repo, "config", "core.splitIndex", "false")

    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert not is_split(git_repo.path)
    assert_git_agrees(git_repo)


def test_a_core_split_index_typo_keeps_the_index_as_it_is(git_repo: Repository) -> None:
    git(git_repo, "update-index", "--split-index")
    (git_repo.path / ".git" / "config").write_text(
        (git_repo.path / ".git" / "config").read_text() + "[core]\n\tsplitIndex = ture\n"
    )

    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert is_split(git_repo.path)  # neither turned off nor on by a value git refuses
    assert git(git_repo, "-c", "core.splitIndex=true", "status", "--porcelain") == ""


def test_a_missing_shared_index_is_named_and_nothing_is_written(
    git_repo: Repository,
) -> None:
    git(git_repo, "update-index", "--split-index")
    [shared] = shared_indexes(git_repo.path)
    (git_repo.path / ".git" / shared).unlink()
    head = git_repo.head

    with pytest.raises(RepositoryError, match=f"{shared} is missing"):
        git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert git_repo.head == head
    assert (git_repo.path / "work/tasks/t001.json").read_bytes() == b'{"n": 1}\n'


def test_a_shared_index_deleted_under_a_running_writer_is_written_again(
    git_repo: Repository,
) -> None:
    git(git_repo, "config", "core.splitIndex", "true")
    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="first")
    [shared] = shared_indexes(git_repo.path)
    index = (git_repo.path / ".git" / "index").read_bytes()
    (git_repo.path / ".git" / shared).unlink()  # by hand; this process still has it parsed
    (git_repo.path / ".git" / "index").write_bytes(index)

    git_repo.commit_changes({"work/tasks/t002.json": b"2\n"}, message="second")

    assert shared_indexes(git_repo.path)
    assert_git_agrees(git_repo)


def with_link(raw: bytes, link: bytes) -> bytes:
    """``raw`` (an index in split form) with its link extension's data replaced."""
    at = raw.index(b"link")
    size = int.from_bytes(raw[at + 4 : at + 8], "big")
    body = raw[:at] + b"link" + len(link).to_bytes(4, "big") + link + raw[at + 8 + size : -20]
    return body + hashlib.sha1(body, usedforsecurity=False).digest()


def a_run_of_set_bits(words: int, bits: int) -> bytes:
    """An EWAH bitmap claiming ``bits`` bits, all set, as one run of ``words`` words."""
    return struct.pack(">IIQI", bits, 1, (words << 1) | 1, 0)


HOSTILE_LINKS = {
    # 2^32 - 1 words of set bits: expanded, a list of 2^38 positions
    "a_huge_run_of_set_bits": lambda shared: (
        shared + a_run_of_set_bits(0xFFFFFFFF, 0xFFFFFFFF) + encode_ewah([])
    ),
    "more_bits_than_shared_entries": lambda shared: shared + encode_ewah([]) + encode_ewah([5000]),
    "garbage_after_the_bitmaps": lambda shared: shared + encode_ewah([]) + encode_ewah([]) + b"x",
    "a_truncated_bitmap": lambda shared: shared + encode_ewah([1])[:-6],
}


@pytest.mark.parametrize("make", HOSTILE_LINKS.values(), ids=HOSTILE_LINKS.keys())
def test_a_damaged_link_extension_is_refused_before_anything_is_written(
    git_repo: Repository, make: Callable[[bytes], bytes]
) -> None:
    git(git_repo, "update-index", "--split-index")
    index = git_repo.path / ".git" / "index"
    [shared] = shared_indexes(git_repo.path)
    index.write_bytes(with_link(index.read_bytes(), make(bytes.fromhex(shared[12:]))))
    before = index.read_bytes()
    head = git_repo.head

    with pytest.raises(RepositoryError, match="cannot read the index"):
        git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    assert git_repo.head == head
    assert index.read_bytes() == before
    assert (git_repo.path / "work/tasks/t001.json").read_bytes() == b'{"n": 1}\n'


def test_a_shared_index_that_is_not_what_its_name_says_is_refused(
    git_repo: Repository,
) -> None:
    git(git_repo, "update-index", "--split-index")
    [shared] = shared_indexes(git_repo.path)
    path = git_repo.path / ".git" / shared
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-1] + b"\0")  # the checksum no longer matches

    with pytest.raises(RepositoryError, match="does not have that checksum"):
        git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")


V4_OPERATIONS: dict[str, Callable[[Repository], object]] = {
    "commit": lambda repo: repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="o"),
    "hard_restore": lambda repo: repo.restore("HEAD~0", hard=True),
    "merge": lambda repo: repo.merge("HEAD"),
}


@pytest.mark.parametrize("operation", V4_OPERATIONS.values(), ids=V4_OPERATIONS.keys())
def test_a_split_index_in_version_4_is_refused_not_rewritten_without_its_shared_entries(
    git_repo: Repository, operation: Callable[[Repository], object]
) -> None:
    # A split index in version 4 leaves the replaced entries' paths out, which prefix
    # compression does not say how to read: refused, never rewritten without them.
    git(git_repo, "update-index", "--index-version", "4")
    git(git_repo, "update-index", "--split-index")
    index = git_repo.path / ".git" / "index"
    before = index.read_bytes()
    head = git_repo.head

    with pytest.raises(RepositoryError, match="version 4") as raised:
        operation(git_repo)

    assert "`git update-index --index-version 2`" in str(raised.value)
    assert git_repo.head == head
    assert index.read_bytes() == before
    assert (git_repo.path / "work/tasks/t001.json").read_bytes() == b'{"n": 1}\n'
    assert_git_agrees(git_repo)


def delete_shared_index(root: Path, shared: str) -> None:
    (root / ".git" / shared).unlink()


def truncate_shared_index(root: Path, shared: str) -> None:
    path = root / ".git" / shared
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(
    "damage", [delete_shared_index, truncate_shared_index], ids=["deleted", "truncated"]
)
def test_a_damaged_shared_index_error_gives_a_repair_that_git_can_run(
    git_repo: Repository, damage: Callable[[Path, str], None]
) -> None:
    # `git reset` reads the index first and fails on the same shared index.
    git(git_repo, "update-index", "--split-index")
    [shared] = shared_indexes(git_repo.path)
    damage(git_repo.path, shared)

    with pytest.raises(RepositoryError) as raised:
        git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")

    index = git_repo.path / ".git" / "index"
    assert f"delete {index}, then `git reset`" in str(raised.value)
    (git_repo.path / ".git" / "index").unlink()
    git(git_repo, "reset", "-q")
    git_repo.commit_changes({"work/tasks/t001.json": b"1\n"}, message="ours")
    assert_git_agrees(git_repo)


def test_a_commit_that_does_not_land_keeps_the_old_shared_index_its_index_goes_back_to(
    git_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new shared index removes the ones unused for two weeks; the index put back after
    # a failed branch move still names the old one, which must still be there.
    git(git_repo, "update-index", "--split-index")
    [shared] = shared_indexes(git_repo.path)
    three_weeks_ago = time.time() - 21 * 24 * 3600
    os.utime(git_repo.path / ".git" / shared, (three_weeks_ago, three_weeks_ago))
    before = (git_repo.path / ".git" / "index").read_bytes()
    head = git_repo.head

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    changed = {f"work/tasks/t{index:03d}.json": b"changed\n" for index in range(30)}
    with monkeypatch.context() as patch:
        patch.setattr(refs_module, "_swap_loose_ref", full_disk)
        with pytest.raises(GitWorktreeError):
            git_repo.commit_changes(changed, message="most of them")

    assert git_repo.head == head
    assert (git_repo.path / ".git" / "index").read_bytes() == before
    assert shared in shared_indexes(git_repo.path)
    assert_git_agrees(git_repo)
