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


# -- odd but readable shapes, and damaged ones: opened, or refused, exactly as dulwich does --


def _append(repo: Path, relative: str, text: str) -> None:
    with (repo / relative).open("a") as file:
        file.write(text)


def _git_file(tmp_path: Path, content: Callable[[Path], str]) -> Path:
    """A work tree whose ``.git`` is a file written as ``content(tmp_path)``."""
    repo = _plain(tmp_path)
    (repo / ".git").rename(tmp_path / "moved.git")
    (repo / ".git").write_bytes(content(tmp_path).encode())
    return repo


def _commondir(tmp_path: Path, content: Callable[[Path], str]) -> Path:
    """A linked worktree whose ``commondir`` is rewritten as ``content(tmp_path)``."""
    linked = _linked_worktree(tmp_path)
    (tmp_path / "repo" / ".git" / "worktrees" / "linked" / "commondir").write_bytes(
        content(tmp_path).encode()
    )
    return linked


def _included(tmp_path: Path, section: str, text: str) -> Path:
    repo = _plain(tmp_path)
    (tmp_path / "included").write_text(text)
    _append(repo, ".git/config", f"[{section}]\n\tpath = {tmp_path / 'included'}\n")
    return repo


def _symlinked_dot_git(tmp_path: Path) -> Path:
    repo = _plain(tmp_path)
    (repo / ".git").rename(tmp_path / "real.git")
    (repo / ".git").symlink_to(tmp_path / "real.git")
    return repo


def _sha256(tmp_path: Path) -> Path:
    _git("init", "-q", "--object-format=sha256", tmp_path / "repo")
    return tmp_path / "repo"


def _with(repo: Path, text: str, relative: str = "config") -> Path:
    _append(repo, f".git/{relative}", text)
    return repo


ODD_SHAPES: dict[str, Callable[[Path], Path]] = {
    ".git file, relative": lambda t: _git_file(t, lambda t: "gitdir: ../moved.git\n"),
    ".git file, absolute": lambda t: _git_file(t, lambda t: f"gitdir: {t / 'moved.git'}\n"),
    ".git file, CRLF": lambda t: _git_file(t, lambda t: "gitdir: ../moved.git\r\n"),
    ".git file naming no folder": lambda t: _git_file(t, lambda t: "gitdir: ../gone\n"),
    "commondir, CRLF": lambda t: _commondir(t, lambda t: "../..\r\n"),
    "commondir, absolute": lambda t: _commondir(t, lambda t: f"{t / 'repo' / '.git'}\n"),
    "commondir, empty": lambda t: _commondir(t, lambda t: ""),
    "commondir naming no folder": lambda t: _commondir(t, lambda t: "../../gone\n"),
    "symlinked .git": _symlinked_dot_git,
    "include.path": lambda t: _included(t, "include", "[core]\n\tcompression = 1\n"),
    "includeIf gitdir": lambda t: _included(t, f'includeIf "gitdir:{t}/"', "[core]\n\tx = 1\n"),
    "includeIf onbranch": lambda t: _included(t, 'includeIf "onbranch:ma*"', "[a]\n\tb = 1\n"),
    "core.bare in a work tree": lambda t: _with(_plain(t), "[core]\n\tbare = true\n"),
    "extension in version 0": lambda t: _with(_plain(t), "[extensions]\n\tobjectFormat = sha1\n"),
    "sha256, version 1": _sha256,
    "alternates naming no folder": lambda t: _with(_plain(t), "/gone\n", "objects/info/alternates"),
    "empty shallow": lambda t: _with(_plain(t), "", "shallow"),
}


@pytest.mark.parametrize("make", ODD_SHAPES.values(), ids=ODD_SHAPES.keys())
def test_opens_odd_shapes_as_dulwich_does(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    with Repo(str(path)) as theirs, GitRepo(str(path)) as ours:
        assert _repo_state(ours) == _repo_state(theirs)
        assert ours.object_format.name == theirs.object_format.name


DAMAGED: dict[str, Callable[[Path], Path]] = {
    ".git file without gitdir": lambda t: _git_file(t, lambda t: "not a gitdir line\n"),
    ".git file, empty": lambda t: _git_file(t, lambda t: ""),
    ".git file naming a file": lambda t: _git_file(t, lambda t: "gitdir: ../repo/.git\n"),
    "dangling .git symlink": lambda t: (t / "repo").mkdir() or _dangling(t / "repo"),
    "commondir is a folder": lambda t: _make_folder(_plain(t), ".git/commondir"),
    "included config does not parse": lambda t: _included(t, "include", "[core\n"),
    "included config sets version 2": lambda t: _included(
        t, "include", "[core]\n\trepositoryformatversion = 2\n"
    ),
    "format version not a number": lambda t: _with(
        _plain(t), "[core]\n\trepositoryformatversion = one\n"
    ),
    "refStorage other than reftable": lambda t: _with(
        _plain(t), "[core]\n\trepositoryformatversion = 1\n[extensions]\n\trefStorage = x\n"
    ),
    "core.bare with core.worktree": lambda t: _with(
        _plain(t), f"[core]\n\tbare = true\n\tworktree = {t}\n"
    ),
    "shallow line that is no object id": lambda t: _with(_plain(t), "nothex\n", "shallow"),
    "info/grafts is a folder": lambda t: _make_folder(_plain(t), ".git/info/grafts"),
}


def _dangling(repo: Path) -> Path:
    (repo / ".git").symlink_to(repo.parent / "gone")
    return repo


def _make_folder(repo: Path, relative: str) -> Path:
    (repo / relative).mkdir(parents=True)
    return repo


def _raised(opener: Callable[[str], Repo], path: Path) -> tuple[str, str]:
    with pytest.raises(Exception) as raised:  # compared below, by type and text
        opener(str(path))
    return type(raised.value).__name__, str(raised.value)


@pytest.mark.parametrize("make", DAMAGED.values(), ids=DAMAGED.keys())
def test_refuses_damaged_shapes_with_dulwichs_exception(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    path = make(tmp_path)
    assert _raised(GitRepo, path) == _raised(Repo, path)
