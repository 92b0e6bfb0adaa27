"""`GitRepo` opens a repository as dulwich's `Repo` does, leaving out only what is never
used (its worktree container, made on first use, and shell hooks).

If a dulwich release adds state to `Repo.__init__`, the comparison below fails naming it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dulwich.errors import NotGitRepository
from dulwich.repo import Repo, UnsupportedExtension, UnsupportedVersion

from gitworktree.history._core.opening import GitRepo

#: Made on first use (`worktrees`) or never used by gitworktree (`hooks`: it runs none).
_NOT_COMPARED = {"worktrees", "hooks"}
_PLAIN = (str, bytes, int, float, bool, type(None))


def _git(*args: str | Path) -> None:
    subprocess.run(["git", *map(str, args)], check=True, capture_output=True)


def _commit(work_tree: Path) -> None:
    (work_tree / "notes.txt").write_text("one\n")
    _git("-C", work_tree, "add", "notes.txt")
    _git(
        "-C",
        work_tree,
        "-c",
        "user.name=A",
        "-c",
        "user.email=a@example.com",
        "commit",
        "-qm",
        "one",
    )


def _plain(tmp_path: Path) -> Path:
    _git("init", "-q", tmp_path / "repo")
    return tmp_path / "repo"


def _bare(tmp_path: Path) -> Path:
    _git("init", "-q", "--bare", tmp_path / "repo.git")
    return tmp_path / "repo.git"


def _linked_worktree(tmp_path: Path) -> Path:
    main = _plain(tmp_path)
    _commit(main)
    _git("-C", main, "worktree", "add", "-q", tmp_path / "linked")
    return tmp_path / "linked"


def _shallow_clone(tmp_path: Path) -> Path:
    origin = _plain(tmp_path)
    _commit(origin)
    (origin / "notes.txt").write_text("two\n")
    _git(
        "-C", origin, "-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qam", "two"
    )
    _git("clone", "-q", "--depth", "1", f"file://{origin}", tmp_path / "shallow")
    return tmp_path / "shallow"


def _configured(tmp_path: Path) -> Path:
    repo = _plain(tmp_path)
    for key, value in [
        ("core.sharedRepository", "group"),
        ("core.compression", "3"),
        ("core.looseCompression", "0"),
        ("pack.indexVersion", "1"),
    ]:
        _git("-C", repo, "config", key, value)
    return repo


def _core_worktree(tmp_path: Path) -> Path:
    repo = _plain(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    _git("-C", repo, "config", "core.worktree", tmp_path / "elsewhere")
    return repo


def _version_one(tmp_path: Path) -> Path:
    repo = _plain(tmp_path)
    _git("-C", repo, "config", "core.repositoryformatversion", "1")
    _git("-C", repo, "config", "extensions.worktreeConfig", "true")
    return repo


SHAPES: dict[str, Callable[[Path], Path]] = {
    "work tree": _plain,
    "bare": _bare,
    "linked worktree (.git file, commondir)": _linked_worktree,
    "shallow clone (graft points)": _shallow_clone,
    "shared, compression and pack settings": _configured,
    "core.worktree (opened by dulwich's constructor)": _core_worktree,
    "version 1 with extensions.worktreeConfig": _version_one,
}


def _state(value: Any, depth: int = 0) -> Any:
    """What ``value`` holds, down to plain values, for comparing two opened repositories."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {key: _state(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_state(item, depth + 1) for item in value]
    if depth >= 2 or not hasattr(value, "__dict__"):
        return type(value).__name__
    return (type(value).__name__, {k: _state(v, depth + 1) for k, v in vars(value).items()})


def _repo_state(repo: Repo) -> dict[str, Any]:
    return {k: _state(v) for k, v in vars(repo).items() if k not in _NOT_COMPARED}


@pytest.mark.parametrize("make", SHAPES.values(), ids=SHAPES.keys())
def test_opens_the_same_repository_state_as_dulwich(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    path = make(tmp_path)
    with Repo(str(path)) as theirs, GitRepo(str(path)) as ours:
        assert _repo_state(ours) == _repo_state(theirs)
        assert type(ours.object_store) is type(theirs.object_store)


def _unknown_extension(repo: Path) -> None:
    _git("-C", repo, "config", "core.repositoryformatversion", "1")
    _git("-C", repo, "config", "extensions.somethingNew", "true")


def _version_two(repo: Path) -> None:
    _git("-C", repo, "config", "core.repositoryformatversion", "2")


def _unparsable_config(repo: Path) -> None:
    with (repo / ".git" / "config").open("a") as config:
        config.write("[core\n")


def _no_objects(repo: Path) -> None:
    (repo / ".git" / "objects").rename(repo / ".git" / "objects-gone")


REFUSALS: dict[str, tuple[Callable[[Path], None], type[Exception]]] = {
    "unknown extension": (_unknown_extension, UnsupportedExtension),
    "format version 2": (_version_two, UnsupportedVersion),
    "config that does not parse": (_unparsable_config, ValueError),
    "no objects folder": (_no_objects, NotGitRepository),
}


@pytest.mark.parametrize(("damage", "error"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refuses_what_dulwich_refuses(
    tmp_path: Path, damage: Callable[[Path], None], error: type[Exception]
) -> None:
    repo = _plain(tmp_path)
    damage(repo)
    with pytest.raises(error):
        Repo(str(repo))
    with pytest.raises(error):
        GitRepo(str(repo))


def test_worktree_container_is_made_only_when_asked_for(tmp_path: Path) -> None:
    path = _linked_worktree(tmp_path)
    with Repo(str(path)) as theirs:
        listed = len(theirs.worktrees.list())
    code = (
        "import sys\n"
        "from gitworktree.history._core.opening import GitRepo\n"
        f"repo = GitRepo({str(path)!r})\n"
        "print('dulwich.worktree' in sys.modules, 'tempfile' in sys.modules)\n"
        "print(len(repo.worktrees.list()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False False", str(listed)]
