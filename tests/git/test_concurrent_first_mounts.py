"""Several agents mounting the same new directory at the same moment.

A worker pool started at once on a fresh state directory: each mount finds no
repository and creates one. The second actor (another mount, as another process would
run it) is run at the worst moment inside the first: while it builds ``.git``, or before
its failed mount takes away what it made. Every mount that can succeed does, on one
repository with one first commit, and no mount ever removes a repository holding
someone's commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dulwich.repo import Repo

import gitworktree.history._worktree.commit as commit_module
import gitworktree.mounting.mount as mount_module
from gitworktree import MissingInitialStateError, RepositoryError, mount
from gitworktree.history import Repository
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree, RequiredTree


def run_once_inside(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, step: Callable[[], None]
) -> None:
    """Run ``step`` once, at the start of ``owner.name`` (the first call only)."""
    real = getattr(owner, name)
    ran: list[bool] = []

    def inside(*args: Any, **kwargs: Any) -> Any:
        if not ran:
            ran.append(True)
            step()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, inside)


def test_a_mount_while_another_creates_the_repository_finds_none_or_a_whole_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dulwich made ``.git`` first and filled it in after: the other mount read a half-made
    repository as damaged ("HEAD cannot be read") or as not a repository at all."""
    root = tmp_path / "fresh"
    others: list[CounterTree] = []
    run_once_inside(
        monkeypatch, Repo, "_init_maybe_bare", lambda: others.append(mount(CounterTree, root))
    )

    first = mount(CounterTree, root)

    assert first.counter.number == others[0].counter.number == 0
    assert len(git_lines(root, "log", "--format=%H")) == 1  # one first commit between them
    assert git(root, "status", "--porcelain", "--ignored") == ""  # no folder left behind
    git(root, "fsck", "--strict")


def test_a_failed_first_mount_never_removes_a_repository_someone_committed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first mount that fails takes away the ``.git`` it made, but another mount of the
    same directory may have committed there meanwhile: its work must stay."""
    root = tmp_path / "fresh"
    run_once_inside(
        monkeypatch,
        mount_module.MountSession,
        "build",
        lambda: mount(CounterTree, root),  # another agent, committing its first state
    )

    with pytest.raises(MissingInitialStateError):
        mount(RequiredTree, root)

    assert git_lines(root, "log", "--format=%s") == ["Initialize counter.json"]
    git(root, "fsck", "--strict")


def test_a_mount_during_the_first_commit_waits_for_it_instead_of_refusing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first commit puts its index in place before the branch is born: a mount at
    that moment saw "HEAD points at refs/heads/main, which does not exist, while the
    index tracks 1 files" and refused."""
    root = tmp_path / "fresh"
    outcome: list[object] = []
    looked = threading.Event()

    def other_agent() -> None:
        try:
            outcome.append(mount(CounterTree, root))
        except Exception as error:  # what the test looks for: reported, not raised
            outcome.append(error)
        looked.set()

    real_wait = Repository._check_head_after_writers

    def waiting(self: Repository) -> bool:
        looked.set()  # it waits for the first commit's writer lock, as it should
        return real_wait(self)

    monkeypatch.setattr(Repository, "_check_head_after_writers", waiting)
    other = threading.Thread(target=other_agent)

    def start_the_other_agent() -> None:
        other.start()
        assert looked.wait(timeout=30)

    run_once_inside(monkeypatch, commit_module, "_advance", start_the_other_agent)

    first = mount(CounterTree, root)
    other.join(timeout=30)

    assert isinstance(outcome[0], CounterTree), outcome
    assert first.counter.number == outcome[0].counter.number == 0
    assert len(git_lines(root, "log", "--format=%H")) == 1
    git(root, "fsck", "--strict")


def test_a_dangling_git_link_in_the_way_of_a_new_repository_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    """Creation renames ``.git`` into place; what is in the way and no repository (here a
    link to nowhere) was a raw ``NotGitRepository`` from dulwich."""
    root = tmp_path / "fresh"
    root.mkdir()
    (root / ".git").symlink_to(tmp_path / "nowhere")

    with pytest.raises(RepositoryError, match=r"\.git is in the way") as raised:
        mount(CounterTree, root)

    assert raised.value.reason == "not-a-repository"
    assert [path.name for path in root.iterdir()] == [".git"]
    assert (root / ".git").is_symlink()


def test_an_empty_git_directory_becomes_the_new_repository_as_git_init_makes_it(
    tmp_path: Path,
) -> None:
    """``git init`` fills an empty ``.git`` (a ``mkdir .git`` by hand, an init killed
    before its first file); creation renames its whole ``.git`` over the empty one."""
    root = tmp_path / "fresh"
    (root / ".git").mkdir(parents=True)

    tree = mount(CounterTree, root)

    assert tree.counter.number == 0
    assert git_lines(root, "log", "--format=%s") != []
    git(root, "fsck", "--strict")


def test_a_git_directory_that_is_no_repository_is_named_not_called_missing(
    tmp_path: Path,
) -> None:
    """A ``.git`` holding files but no repository (no ``objects``, ``refs``): the
    refusal names it as in the way, never "no .git here; create one with init"."""
    root = tmp_path / "half"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")

    with pytest.raises(RepositoryError) as raised:
        Repository.init(root)

    assert "no .git here" not in str(raised.value)
    assert f"{root / '.git'} is not a repository" in str(raised.value)
    assert raised.value.reason == "not-a-repository"
    assert sorted(path.name for path in (root / ".git").iterdir()) == ["HEAD"]


def test_a_failed_first_mount_in_an_empty_git_directory_leaves_it_empty(
    tmp_path: Path,
) -> None:
    """The refusal leaves the directory as it was: the empty ``.git`` creation filled is
    emptied again, not left as a repository nobody made on purpose."""
    root = tmp_path / "fresh"
    (root / ".git").mkdir(parents=True)

    with pytest.raises(MissingInitialStateError):
        mount(RequiredTree, root)

    assert [path.name for path in root.iterdir()] == [".git"]
    assert list((root / ".git").iterdir()) == []
