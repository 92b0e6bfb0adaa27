"""Edits a stat cache could miss: each must apply at our next commit, as git applies it.

The config stack is kept while its files' stamps (inode, size, mtime, ctime) stay the
same. These are the edits that keep some of them: a file edited at the same size and
``touch``-ed back to its old mtime, a symbolic link moved to another file of the same
size, the environment that places the files changed inside one process, and settings
whose effect on the work tree git shows (``core.autocrlf``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitworktree.history import Repository
from gitworktree.history._core.configfiles import settled, stamp_of
from tests.oracle import git


def _settle(*paths: Path) -> None:
    """Wait until the files are old enough to be kept by their stamps (100 ms)."""
    for _ in range(200):
        if all(settled(stamp_of(os.fspath(path)), time.time_ns()) for path in paths):
            return
        time.sleep(0.02)
    raise AssertionError(f"{paths} never settled")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for kind in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{kind}_{part}", raising=False)
    return tmp_path / "home"  # made and set as HOME by the tests' conftest


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


def _identity(name: str) -> str:
    return f"[user]\n\tname = {name}\n\temail = {name.lower()}@example.com\n"


def _touched_back(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Edited in place at the same size, then its mtime set back to what it was."""
    config = home / ".gitconfig"
    before = config.stat()
    with open(config, "r+b") as handle:
        handle.seek(config.read_bytes().index(b"Alice"))
        handle.write(b"Betty")
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    return config


def _link_moved(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """~/.gitconfig is a link; it is pointed at another settled file of the same size."""
    link = home / ".gitconfig"
    link.unlink()
    link.symlink_to(home / "betty.inc")
    return link


def _link_target_edited(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """~/.gitconfig is a link that stays as it is; the file it names is edited."""
    target = home / "alice.inc"
    with open(target, "r+b") as handle:
        handle.write(_identity("Betty").encode())  # the same length: same size
    return target


def _global_moved(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.fspath(home / "betty.inc"))
    return home / "betty.inc"


def _home_moved(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    other = home / "other"
    other.mkdir()
    (other / ".gitconfig").write_text(_identity("Betty"))
    _settle(other / ".gitconfig")
    monkeypatch.setenv("HOME", os.fspath(other))
    return other / ".gitconfig"


@pytest.mark.parametrize(
    "edit",
    [_touched_back, _link_moved, _link_target_edited, _global_moved, _home_moved],
    ids=[
        "same-size-mtime-set-back",
        "symlink-retargeted",
        "symlink-target-edited",
        "GIT_CONFIG_GLOBAL",
        "HOME",
    ],
)
def test_a_global_identity_change_applies_at_the_next_commit(
    repository: Repository,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[Path, pytest.MonkeyPatch], Path],
) -> None:
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    (home / "alice.inc").write_text(_identity("Alice"))
    (home / "betty.inc").write_text(_identity("Betty"))
    (home / ".gitconfig").symlink_to(home / "alice.inc")
    if edit is _touched_back:
        (home / ".gitconfig").unlink()
        (home / ".gitconfig").write_text(_identity("Alice"))
    _settle(home / "alice.inc", home / "betty.inc", home / ".gitconfig")
    repository.commit_changes({"a.txt": b"1\n"}, message="one")
    kept = repository.commit_changes({"a.txt": b"2\n"}, message="two")  # from the kept stack

    changed = edit(home, monkeypatch)
    edited = repository.commit_changes({"a.txt": b"3\n"}, message="three")

    assert kept.author.split(" <")[0] == "Alice"
    assert edited.author.split(" <")[0] == "Betty"
    assert git(repository.path, "config", "--file", os.fspath(changed), "user.name") == "Betty\n"
    assert git(repository.path, "log", "-1", "--format=%an").strip() == "Betty"


def test_core_autocrlf_set_by_git_between_commits_applies_at_the_next_commit(
    repository: Repository,
) -> None:
    repository.commit_changes({"docs/a.txt": b"one\n"}, message="one")
    _settle(repository.control_dir / "config")
    repository.commit_changes({"docs/a.txt": b"two\n"}, message="two")  # the kept stack
    git(repository.path, "config", "core.autocrlf", "true")
    (repository.path / "docs" / "sub").mkdir()
    (repository.path / "docs" / "sub" / ".gitattributes").write_text("*.txt -text\n")

    repository.commit_changes(
        {"docs/a.txt": b"three\n", "docs/sub/b.txt": b"raw\n"}, message="three"
    )

    assert (repository.path / "docs" / "a.txt").read_bytes() == b"three\r\n"  # smudged
    assert (repository.path / "docs" / "sub" / "b.txt").read_bytes() == b"raw\n"  # -text
    assert git(repository.path, "show", "HEAD:docs/a.txt") == "three\n"
    assert git(repository.path, "status", "--porcelain") == "?? docs/sub/.gitattributes\n"
    git(repository.path, "fsck", "--strict")
