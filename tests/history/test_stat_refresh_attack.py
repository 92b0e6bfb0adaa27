"""The stat refresh of `status` and `diff` attacked from the outside: real git as the
second actor and the oracle, raw index shapes, races at the worst moment. Whatever
happens, the refresh never fails a status, never loses an entry or a flag, and never
records stat data that would vouch for content the file does not hold.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import Repository
from gitworktree.history._worktree import index as index_module
from gitworktree.history._worktree import status as status_module
from tests.oracle import git_as_someone

FILES = ("a.txt", "b.txt")


def _age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("attack") / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name in FILES:
        (repo / name).write_text(f"{name}\n")
        _age(repo / name)
    git_as_someone(repo, "add", "-A")
    git_as_someone(repo, "commit", "-qm", "files")
    return repo


@pytest.fixture
def copied(original: Path, tmp_path: Path) -> Path:
    """A copy as `cp -a` makes it: every entry's stat data is stale."""
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, symlinks=True)
    return copy


def _stale(repo: Path) -> list[str]:
    return sorted(git_as_someone(repo, "diff-files", "--name-only").split())


@pytest.mark.parametrize("version", ["2", "4"], ids=["version 2", "version 4"])
def test_a_racily_clean_neighbour_stays_suspect(copied: Path, version: str) -> None:
    """A file edited in the same instant the index was written (same size, same mtime)
    must still be hashed after a refresh rewrote the index later."""
    index = copied / ".git" / "index"
    a = copied / "a.txt"
    git_as_someone(copied, "update-index", "--index-version", version)
    git_as_someone(copied, "update-index", "--refresh")  # every stat recorded: nothing stale
    stamp = time.time() - 5  # long settled, yet the index's own instant
    os.utime(a, (stamp, stamp))
    git_as_someone(copied, "update-index", "--really-refresh")  # records a.txt at `stamp`
    a.write_text("A.txt\n")  # same size, in place: same inode
    os.utime(a, (stamp, stamp))
    os.utime(index, (stamp, stamp))  # written in that same instant: racily clean
    _age(copied / "b.txt", 7200)  # touched, not changed: stale, to be refreshed
    expected = [("a.txt", "modified")]
    assert [(c.path, c.status) for c in Repository.open(copied).status()] == expected
    assert [(c.path, c.status) for c in Repository.open(copied).status()] == expected
    assert (
        git_as_someone(copied, "-c", "core.trustctime=false", "status", "--porcelain")
        == " M a.txt\n"
    )


def _racing(git_args: tuple[str, ...]) -> Callable[..., bool]:
    """`refresh_stat_data`, with a person's git command run just before it."""
    real = index_module.refresh_stat_data

    def racing(repo: object, unchanged: object) -> bool:
        git_as_someone(Path(repo.path), *git_args)  # type: ignore[attr-defined]
        return real(repo, unchanged)  # type: ignore[arg-type]

    return racing


def test_a_mode_staged_meanwhile_is_kept(copied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The person stages an executable bit (same blob, no stat data) between our scan and
    our lock: the refresh must not put the mode on disk back in its place."""
    sha = git_as_someone(copied, "rev-parse", ":a.txt").strip()
    chmod = ("update-index", "--cacheinfo", f"100755,{sha},a.txt")
    monkeypatch.setattr(index_module, "refresh_stat_data", _racing(chmod))
    Repository.open(copied).status()
    assert git_as_someone(copied, "ls-files", "-s", "a.txt").startswith("100755 ")


def test_an_unchanged_racily_clean_neighbour_does_not_stop_the_refresh(copied: Path) -> None:
    """A checkout writes its files and its index in the same second: those entries are
    racily clean to git, but unchanged, so the stale ones beside them are still recorded."""
    index = copied / ".git" / "index"
    a = copied / "a.txt"
    stamp = time.time() - 5
    os.utime(a, (stamp, stamp))
    git_as_someone(copied, "update-index", "--really-refresh")  # records a.txt at `stamp`
    written = a.stat().st_mtime_ns + 1  # just after a.txt: git's seconds call it racy
    os.utime(index, ns=(written, written))
    _age(copied / "b.txt", 7200)  # touched, not changed: stale, to be refreshed
    assert _stale(copied) == ["b.txt"]
    assert Repository.open(copied).status() == []
    assert _stale(copied) == []


def _build(tmp_path: Path, before: Callable[[Path], None], after: Callable[[Path], None]) -> Path:
    """A repository of two settled files, set up by ``before``/``after`` around its
    first commit, copied as `cp -a` copies it (every stat stale)."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    before(repo)
    for name in FILES:
        (repo / name).write_text(f"{name}\n")
        _age(repo / name)
    git_as_someone(repo, "add", "-A")
    git_as_someone(repo, "commit", "-qm", "files")
    after(repo)
    _age(repo / ".git" / "index", 1800)  # written long after the files, long ago
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    return copy


def _nothing(repo: Path) -> None:
    pass


def _config(key: str, value: str) -> Callable[[Path], None]:
    return lambda repo: git_as_someone(repo, "config", key, value) and None


def _git_step(*args: str) -> Callable[[Path], None]:
    return lambda repo: git_as_someone(repo, *args) and None


def _intent_to_add(repo: Path) -> None:
    (repo / "new.txt").write_text("new\n")
    _age(repo / "new.txt")
    git_as_someone(repo, "add", "-N", "new.txt")


def _symlink(repo: Path) -> None:
    (repo / "link").symlink_to("a.txt")
    _age(repo / "link")


def _submodule(repo: Path) -> None:
    sub = repo / "sub"
    subprocess.run(["git", "init", "-q", str(sub)], check=True)
    (sub / "x").write_text("x\n")
    git_as_someone(sub, "add", "x")
    git_as_someone(sub, "commit", "-qm", "sub")
    git_as_someone(repo, "add", "sub")
    git_as_someone(repo, "commit", "-qm", "sub")


def _crlf_on_disk(repo: Path) -> None:
    git_as_someone(repo, "config", "core.autocrlf", "true")
    (repo / "a.txt").write_bytes(b"a.txt\r\n")  # what a checkout under autocrlf writes
    _age(repo / "a.txt")
    git_as_someone(repo, "add", "a.txt")  # the same blob; the entry records the file's size


def _version_4_with_flags(repo: Path) -> None:
    _intent_to_add(repo)
    git_as_someone(repo, "update-index", "--skip-worktree", "a.txt")
    git_as_someone(repo, "update-index", "--index-version", "4")


def _no_file_mode(repo: Path) -> None:
    git_as_someone(repo, "config", "core.fileMode", "false")
    (repo / "a.txt").chmod(0o755)  # a file system that shows every file executable


SHAPES = [
    ("version 2", _nothing, _git_step("update-index", "--index-version", "2"), True),
    ("version 3", _nothing, _git_step("update-index", "--index-version", "3"), True),
    ("version 4", _nothing, _git_step("update-index", "--index-version", "4"), True),
    ("version 4, extended flags", _nothing, _version_4_with_flags, True),
    ("skipHash", _config("index.skipHash", "true"), _nothing, True),
    ("assume-unchanged", _nothing, _git_step("update-index", "--assume-unchanged", "a.txt"), True),
    ("skip-worktree", _nothing, _git_step("update-index", "--skip-worktree", "a.txt"), True),
    ("intent-to-add", _nothing, _intent_to_add, True),
    ("symlink", _symlink, _nothing, True),
    ("submodule", _nothing, _submodule, True),
    ("autocrlf", _nothing, _crlf_on_disk, True),
    ("fileMode false", _nothing, _no_file_mode, True),
    ("split index", _nothing, _git_step("update-index", "--split-index"), False),
]


def _git_view(repo: Path) -> tuple[str, str, str]:
    return (
        git_as_someone(repo, "ls-files", "-s", "-v"),  # entries, stages, and the flag tags (h, S)
        git_as_someone(repo, "ls-files", "--eol"),
        git_as_someone(repo, "--no-optional-locks", "status", "--porcelain"),  # writes no index
    )


@pytest.mark.parametrize(
    ("before", "after", "refreshed"),
    [shape[1:] for shape in SHAPES],
    ids=[shape[0] for shape in SHAPES],
)
def test_an_index_shape_keeps_every_entry_and_flag(
    tmp_path: Path,
    before: Callable[[Path], None],
    after: Callable[[Path], None],
    refreshed: bool,
) -> None:
    copy = _build(tmp_path, before, after)
    view = _git_view(copy)
    stale = _stale(copy)
    assert "b.txt" in stale
    Repository.open(copy).status()
    assert _git_view(copy) == view
    subprocess.run(["git", "-C", str(copy), "fsck", "--strict", "--no-progress"], check=True)
    assert ("b.txt" not in _stale(copy)) is refreshed


def _fifo(lock: Path) -> None:
    os.mkfifo(lock)


def _directory(lock: Path) -> None:
    lock.mkdir()


def _dangling(lock: Path) -> None:
    lock.symlink_to("nowhere")


@pytest.mark.parametrize(
    "make", [_fifo, _directory, _dangling], ids=["fifo", "directory", "dangling symlink"]
)
def test_an_odd_index_lock_is_left_alone(copied: Path, make: Callable[[Path], None]) -> None:
    lock = copied / ".git" / "index.lock"
    make(lock)
    kind = os.lstat(lock).st_mode
    before = (copied / ".git" / "index").read_bytes()
    assert Repository.open(copied).status() == []
    assert os.lstat(lock).st_mode == kind
    assert (copied / ".git" / "index").read_bytes() == before


def test_a_shared_repository_keeps_its_index_readable_by_the_group(tmp_path: Path) -> None:
    copy = _build(tmp_path, _config("core.sharedRepository", "group"), _nothing)
    old = os.umask(0o077)
    try:
        assert Repository.open(copy).status() == []
    finally:
        os.umask(old)
    assert _stale(copy) == []
    assert os.stat(copy / ".git" / "index").st_mode & 0o060 == 0o060


def test_unmerged_entries_stay(tmp_path: Path) -> None:
    def conflict(repo: Path) -> None:
        git_as_someone(repo, "checkout", "-qb", "other")
        (repo / "a.txt").write_text("theirs\n")
        git_as_someone(repo, "commit", "-qam", "theirs")
        git_as_someone(repo, "checkout", "-q", "-")
        (repo / "a.txt").write_text("ours\n")
        git_as_someone(repo, "commit", "-qam", "ours")
        subprocess.run(["git", "-C", str(repo), "merge", "-q", "other"], capture_output=True)
        _age(repo / "a.txt")

    copy = _build(tmp_path, _nothing, conflict)
    unmerged = git_as_someone(copy, "ls-files", "-u")
    assert unmerged.count("\ta.txt") == 3
    assert "b.txt" in _stale(copy)
    assert [(c.path, c.status) for c in Repository.open(copy).status()] == [("a.txt", "unmerged")]
    assert git_as_someone(copy, "ls-files", "-u") == unmerged
    assert set(_stale(copy)) == {"a.txt"}  # git lists an unmerged path, whatever its stat


def _stage_new_content(repo: Path) -> None:
    (repo / "a.txt").write_text("staged\n")
    git_as_someone(repo, "add", "a.txt")
    (repo / "a.txt").write_text("a.txt\n")  # and back on disk: the old content again


PERSON = [
    ("add other content", _stage_new_content),
    ("rm --cached", _git_step("rm", "-q", "--cached", "a.txt")),
    ("refresh", _git_step("update-index", "--refresh")),
    ("assume-unchanged", _git_step("update-index", "--assume-unchanged", "a.txt")),
    ("intent-to-add", _intent_to_add),
    ("chmod", _git_step("update-index", "--chmod=+x", "a.txt")),
    ("index removed", lambda repo: (repo / ".git" / "index").unlink()),
    ("reset", _git_step("reset", "-q", "HEAD")),
]


@pytest.mark.parametrize("person", [p[1] for p in PERSON], ids=[p[0] for p in PERSON])
def test_an_index_changed_between_our_scan_and_our_lock_keeps_the_change(
    copied: Path, monkeypatch: pytest.MonkeyPatch, person: Callable[[Path], None]
) -> None:
    real = index_module.refresh_stat_data
    theirs: list[str] = []

    def racing(repo: object, unchanged: object) -> bool:
        person(copied)
        theirs.append(git_as_someone(copied, "ls-files", "-s", "-v"))
        return real(repo, unchanged)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "refresh_stat_data", racing)
    Repository.open(copied).status()
    assert git_as_someone(copied, "ls-files", "-s", "-v") == theirs[0]
    subprocess.run(["git", "-C", str(copied), "fsck", "--strict", "--no-progress"], check=True)


def test_a_file_edited_just_after_it_was_read_is_not_vouched_for(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = status_module.read_worktree_file

    def read_then_edit(root: Path, path: str) -> bytes:
        data = real(root, path)
        if path == "a.txt":
            (root / path).write_text("A.txt\n")  # same size, same inode, a new mtime
        return data

    monkeypatch.setattr(status_module, "read_worktree_file", read_then_edit)
    Repository.open(copied).status()
    monkeypatch.setattr(status_module, "read_worktree_file", real)
    assert [(c.path, c.status) for c in Repository.open(copied).status()] == [("a.txt", "modified")]
    assert git_as_someone(copied, "status", "--porcelain") == " M a.txt\n"


def test_a_file_edited_between_its_stat_and_its_read_is_not_vouched_for(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = status_module.read_worktree_file

    def edit_then_read(root: Path, path: str) -> bytes:
        if path == "a.txt":
            (root / path).write_text("A.txt\n")
        return real(root, path)

    monkeypatch.setattr(status_module, "read_worktree_file", edit_then_read)
    assert [(c.path, c.status) for c in Repository.open(copied).status()] == [("a.txt", "modified")]
    assert "a.txt" in _stale(copied)
    assert git_as_someone(copied, "status", "--porcelain") == " M a.txt\n"


def test_git_add_racing_status_never_loses_what_it_staged(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person's `git add` and our status, side by side, again and again: git may find
    the index locked for an instant (and is run again, as a person would), but every
    file it staged is in the index at the end."""
    real = index_module.refresh_stat_data
    written: list[bool] = []
    monkeypatch.setattr(
        index_module, "refresh_stat_data", lambda *args: written.append(real(*args)) or written[-1]
    )
    repository = Repository.open(copied)
    names = [f"c{i}.txt" for i in range(12)]
    for i, name in enumerate(names):
        (copied / name).write_text(f"{name}\n")
        _age(copied / name)  # settled: nothing racy stops the refresh
        _age(copied / "b.txt", 7200 + i)  # something stale for each status to refresh
        for _attempt in range(100):  # bounded: git refuses only while our lock is held
            add = subprocess.Popen(
                ["git", "-C", str(copied), "add", name],
                stderr=subprocess.PIPE,
                text=True,
            )
            repository.status()
            _out, err = add.communicate()
            if add.returncode == 0:
                break
            assert "index.lock" in err
        else:
            pytest.fail(f"git add {name} never found the index free")
    staged = {
        line.split("\t")[1]: line.split()[1]
        for line in git_as_someone(copied, "ls-files", "-s", *names).splitlines()
    }
    assert staged == {name: git_as_someone(copied, "hash-object", name).strip() for name in names}
    assert any(written)  # the refresh did write, side by side with git
    assert git_as_someone(copied, "--no-optional-locks", "status", "--porcelain") == "".join(
        f"A  {name}\n" for name in sorted(names)
    )


def test_git_commit_racing_status_never_loses_a_commit(copied: Path) -> None:
    """`git commit -a` side by side with our status, again and again: every edit lands
    in its own commit, and the work tree ends clean by git's own count."""
    repository = Repository.open(copied)
    person = ["git", "-C", str(copied), "-c", "user.name=P", "-c", "user.email=p@x"]
    for i in range(8):
        (copied / "a.txt").write_text(f"version {i}\n")
        _age(copied / "a.txt", 3600 - i)
        _age(copied / "b.txt", 7200 + i)  # something stale for each status to refresh
        for _attempt in range(100):  # bounded: git refuses only while our lock is held
            commit = subprocess.Popen(
                [*person, "commit", "-qam", f"version {i}"],
                stderr=subprocess.PIPE,
                text=True,
            )
            repository.status()
            _out, err = commit.communicate()
            if commit.returncode == 0:
                break
            assert "index.lock" in err
        else:
            pytest.fail(f"git commit of version {i} never found the index free")
    subjects = git_as_someone(copied, "log", "--format=%s", "-8").splitlines()
    assert subjects == [f"version {i}" for i in reversed(range(8))]
    assert git_as_someone(copied, "show", "HEAD:a.txt") == "version 7\n"
    assert git_as_someone(copied, "--no-optional-locks", "status", "--porcelain") == ""
    assert Repository.open(copied).status() == []


def test_an_index_written_between_our_read_and_our_lock_is_left_to_the_next_look(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = index_module._create_lock

    def git_first(index_path: Path, lock_path: Path) -> None:
        (copied / "c.txt").write_text("c\n")
        _age(copied / "c.txt")
        git_as_someone(copied, "add", "c.txt")
        real(index_path, lock_path)

    monkeypatch.setattr(index_module, "_create_lock", git_first)
    Repository.open(copied).status()
    assert "c.txt" in git_as_someone(copied, "ls-files")
    assert _stale(copied) == ["a.txt", "b.txt"]  # not refreshed this time
    monkeypatch.setattr(index_module, "_create_lock", real)
    Repository.open(copied).status()
    assert _stale(copied) == []


def test_racily_clean_neighbours_are_read_before_index_lock_is_taken(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh reads files, as git does, before it takes the lock: a person's git
    finds index.lock held only for the time of a write."""
    index = copied / ".git" / "index"
    a = copied / "a.txt"
    stamp = time.time() - 5
    os.utime(a, (stamp, stamp))
    git_as_someone(copied, "update-index", "--really-refresh")
    os.utime(index, ns=(a.stat().st_mtime_ns + 1, a.stat().st_mtime_ns + 1))
    _age(copied / "b.txt", 7200)
    real = status_module.worktree_entry
    locked: list[bool] = []

    def noting(*args: object, **kwargs: object) -> object:
        locked.append((copied / ".git" / "index.lock").exists())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(status_module, "worktree_entry", noting)
    assert Repository.open(copied).status() == []
    assert locked  # a.txt was checked
    assert not any(locked)
    assert _stale(copied) == []
