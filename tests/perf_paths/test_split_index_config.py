"""``splitIndex.maxPercentChange`` and ``splitIndex.sharedIndexExpire``, as documented.

git is the oracle: two copies of one split-index repository, the same change made by
``git add`` + ``git commit`` in one and by our commit in the other. A new shared index
is written in ours when git writes one (and also after edits alone, which git's
documentation counts and its code does not), and an unused old shared index is
removed in ours exactly when git removes it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from gitworktree import RepositoryError
from gitworktree.history import Repository
from tests.oracle import git
from tests.perf_paths.conftest import FILES, make_git_repository
from tests.perf_paths.test_split_index import assert_git_agrees, shared_indexes

# 66 entries in the shared index; what changes is added, or replaced in place.
CHANGES: dict[str, dict[str, bytes]] = {
    "add_10": {f"new/a{n:02d}.json": b"{}\n" for n in range(10)},  # 10 of 76 not shared
    "add_20": {f"new/a{n:02d}.json": b"{}\n" for n in range(20)},  # 20 of 86
    "modify_40": {f"work/tasks/t{n:03d}.json": b"changed\n" for n in range(40)},
}
# (splitIndex.maxPercentChange, change, whether git writes a new shared index, whether
# we do). They differ on edits alone: the documentation counts the split file's entries,
# replaced ones included, as we do; git's code counts only the added ones.
CASES = {
    "default_10_added_of_76": (None, "add_10", False, False),
    "default_20_added_of_86": (None, "add_20", True, True),
    "default_40_edited_of_66": (None, "modify_40", False, True),
    "10_percent": ("10", "add_10", True, True),
    "50_percent": ("50", "add_20", False, False),
    "0_every_write": ("0", "modify_40", True, True),
    "100_never": ("100", "modify_40", False, False),
    "out_of_range_ignored": ("150", "add_20", True, True),
}


def split_copies(tmp_path: Path, config: dict[str, str]) -> tuple[Path, Path]:
    """Two identical repositories with a split index git made, and ``config`` set."""
    by_git = make_git_repository(tmp_path / "git", FILES)
    # Files older than the index: entries git would find racily clean go into the split
    # file as replacements, and would count toward a new shared index from the start.
    long_ago = time.time() - 3600
    for path in FILES:
        os.utime(by_git / path, (long_ago, long_ago))
    git(by_git, "add", "-A")  # the entries take the files' new times
    git(by_git, "config", "core.splitIndex", "true")
    git(by_git, "update-index", "--split-index")
    for name, value in config.items():
        git(by_git, "config", name, value)
    ours = tmp_path / "ours"
    shutil.copytree(by_git, ours, symlinks=True)
    return by_git, ours


def commit_by_git(root: Path, changes: dict[str, bytes]) -> None:
    for path, data in changes.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    git(root, "add", *changes)
    git(root, "commit", "-q", "-m", "by git")


def commit_by_us(root: Path, changes: dict[str, bytes]) -> None:
    with Repository.open(root) as repository:
        repository.commit_changes(dict(changes), message="ours")


@pytest.mark.parametrize(
    ("percent", "change", "git_writes", "we_write"), CASES.values(), ids=CASES.keys()
)
def test_a_new_shared_index_is_written_when_the_setting_says(
    tmp_path: Path, percent: str | None, change: str, git_writes: bool, we_write: bool
) -> None:
    config = {} if percent is None else {"splitIndex.maxPercentChange": percent}
    by_git, ours = split_copies(tmp_path, config)
    before = shared_indexes(ours)

    commit_by_git(by_git, CHANGES[change])
    commit_by_us(ours, CHANGES[change])

    assert (shared_indexes(by_git) != before) is git_writes
    assert (shared_indexes(ours) != before) is we_write
    with Repository.open(ours) as repository:
        assert_git_agrees(repository)


def stale_shared_index(root: Path, days: float) -> str:
    """An unused shared index (a copy of the one in use) last used ``days`` ago."""
    [in_use] = shared_indexes(root)
    name = "sharedindex." + "0" * 40
    path = root / ".git" / name
    shutil.copyfile(root / ".git" / in_use, path)
    then = time.time() - days * 24 * 3600
    os.utime(path, (then, then))
    return name


EXPIRIES = [None, "never", "now", "1 day ago"]
EXPIRY_IDS = ["unset", "never", "now", "one_day_with_spaces"]


@pytest.mark.parametrize("expire", EXPIRIES, ids=EXPIRY_IDS)
def test_unused_shared_indexes_expire_when_git_would_expire_them(
    tmp_path: Path, expire: str | None
) -> None:
    # A new shared index at every write (maxPercentChange 0) cleans up after itself.
    config = {"splitIndex.maxPercentChange": "0"}
    if expire is not None:
        config["splitIndex.sharedIndexExpire"] = expire
    by_git, ours = split_copies(tmp_path, config)
    stale = stale_shared_index(by_git, days=2)
    shutil.copy2(by_git / ".git" / stale, ours / ".git" / stale)

    commit_by_git(by_git, CHANGES["add_10"])
    commit_by_us(ours, CHANGES["add_10"])

    assert (stale in shared_indexes(ours)) == (stale in shared_indexes(by_git))
    with Repository.open(ours) as repository:
        assert_git_agrees(repository)


BAD_VALUES = {
    "expiry_git_cannot_read": ("splitIndex.sharedIndexExpire", "bogus"),
    "percent_not_a_number": ("splitIndex.maxPercentChange", "abc"),
}


@pytest.mark.parametrize("setting", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_value_git_refuses_is_named_and_nothing_is_written(
    tmp_path: Path, setting: tuple[str, str]
) -> None:
    _, ours = split_copies(tmp_path, {setting[0]: setting[1]})
    index = (ours / ".git" / "index").read_bytes()
    before = shared_indexes(ours)
    head = git(ours, "rev-parse", "HEAD")

    with pytest.raises(RepositoryError, match=setting[0]):
        commit_by_us(ours, CHANGES["add_10"])

    assert git(ours, "rev-parse", "HEAD") == head
    assert (ours / ".git" / "index").read_bytes() == index
    assert shared_indexes(ours) == before
    assert not (ours / "new").exists()


def test_discarding_edits_writes_the_index_as_the_settings_say(tmp_path: Path) -> None:
    # A write of the index, like a commit's: a new shared index at every write (0).
    _, ours = split_copies(tmp_path, {"splitIndex.maxPercentChange": "0"})
    before = shared_indexes(ours)
    (ours / "settings.json").write_bytes(b"a person's edit\n")

    with Repository.open(ours) as repository:
        assert repository.discard_changes(["settings.json"]) == ["settings.json"]
        assert shared_indexes(ours) != before  # before git's status writes one itself
        assert_git_agrees(repository)
