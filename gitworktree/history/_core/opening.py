"""Opening a repository without what gitworktree never uses of dulwich's `Repo`.

dulwich's ``Repo.__init__`` builds a container of linked worktrees, which imports
``dulwich.worktree`` and with it ``tempfile``, ``random``, ``shutil``, ``bz2`` and
``lzma``, and registers shell hooks gitworktree never runs (it writes its commits itself).
For a history command that is ~2 ms of the ~20 ms it takes above the floor of a Python
CLI on click and dulwich (issue 17). `GitRepo` opens the same repository with the same
checks and the same state, and builds the worktree container only if something asks for
it. Anything out of the ordinary — ``core.worktree``, reftable refs — is handed to
dulwich's own constructor whole, so that only the usual shape is opened by this code.

`tests/history/test_opening.py` compares every attribute of a `GitRepo` with dulwich's
`Repo` on the same repositories, so a dulwich release that adds state to its constructor
fails there, by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from dulwich.errors import NotGitRepository, ObjectFormatException
from dulwich.object_store import DiskObjectStore
from dulwich.refs import DiskRefsContainer
from dulwich.repo import (
    COMMONDIR,
    CONTROLDIR,
    OBJECTDIR,
    REFSDIR,
    BaseRepo,
    Repo,
    UnsupportedExtension,
    UnsupportedVersion,
    parse_graftpoints,
    parse_shared_repository,
    read_gitfile,
)

from gitworktree.errors import RepositoryError
from gitworktree.history._core.damage import config_error, damaged

if TYPE_CHECKING:
    from dulwich.config import ConfigFile
    from dulwich.worktree import WorkTreeContainer

__all__ = ["GitRepo", "check_control_dir", "open_repo"]

R = TypeVar("R")

#: Extensions dulwich's constructor accepts without changing how it opens anything.
_PLAIN_EXTENSIONS = frozenset({b"worktreeconfig", b"objectformat", b"relativeworktrees"})


class GitRepo(Repo):
    """A dulwich `Repo` whose worktree container and hooks are made only when used."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Open the repository at ``root`` (a work tree, or a bare repository).

        Raises:
            NotGitRepository: ``root`` holds no repository.
            UnsupportedVersion: ``core.repositoryformatversion`` is not 0 or 1.
            UnsupportedExtension: an extension dulwich does not implement.
            ValueError: ``.git/config`` does not parse.
        """
        path = os.fspath(root)
        hidden = os.path.join(path, CONTROLDIR)
        if os.path.isfile(hidden) or os.path.isdir(os.path.join(hidden, OBJECTDIR)):
            self.bare = False
            if os.path.isfile(hidden):
                with open(hidden, "rb") as gitfile:
                    self._controldir = os.path.join(path, read_gitfile(gitfile))
            else:
                self._controldir = hidden
        elif os.path.isdir(os.path.join(path, OBJECTDIR)) and os.path.isdir(
            os.path.join(path, REFSDIR)
        ):
            self.bare = True
            self._controldir = path
        else:
            raise NotGitRepository(f"No git repository was found at {path}")
        commondir_file = self.get_named_file(COMMONDIR)
        if commondir_file is None:
            self._commondir = self._controldir
        else:
            with commondir_file:
                named = os.fsdecode(commondir_file.read().rstrip(b"\r\n"))
            self._commondir = os.path.join(self._controldir, named)
        self.path = path
        self._index_file_override = None
        self.refs = DiskRefsContainer(self._commondir, self._controldir, logger=self._write_reflog)

        config = self.get_config()
        if _needs_dulwich(config):
            Repo.__init__(self, path)
            return
        try:
            shared_perm = parse_shared_repository(config.get(("core",), "sharedRepository"))
        except KeyError:
            shared_perm = None
        store = DiskObjectStore.from_config(
            os.path.join(self._commondir, OBJECTDIR), config, shared_perm=shared_perm
        )
        BaseRepo.__init__(self, store, self.refs)
        for graft_file in (os.path.join("info", "grafts"), "shallow"):
            found = self.get_named_file(graft_file, basedir=self._commondir)
            if found is not None:
                with found:
                    self._graftpoints.update(parse_graftpoints(found))
        self.filter_context = None

    @cached_property
    def worktrees(self) -> WorkTreeContainer:  # type: ignore[override]
        """dulwich's container of linked worktrees, made on first use."""
        from dulwich.worktree import WorkTreeContainer

        return WorkTreeContainer(self)


def _needs_dulwich(config: ConfigFile) -> bool:
    """Whether the repository is one only dulwich's own constructor opens as it should:
    ``core.worktree`` set, or refs in a reftable. Format versions and extensions dulwich
    refuses are refused here, as it refuses them.

    Raises:
        UnsupportedVersion: a ``core.repositoryformatversion`` other than 0 or 1.
        UnsupportedExtension: an extension dulwich does not implement.
    """
    try:
        format_version = int(config.get(("core",), "repositoryformatversion"))
    except KeyError:
        format_version = 0
    if format_version not in (0, 1):
        raise UnsupportedVersion(format_version)
    try:
        config.get(("core",), "worktree")
        return True
    except KeyError:
        pass
    for extension, value in config.items((b"extensions",)):
        name = extension.lower()
        if name == b"refstorage":
            if value != b"reftable":
                raise UnsupportedExtension(f"refStorage = {value.decode()}")
            return True
        if name not in _PLAIN_EXTENSIONS:
            raise UnsupportedExtension(extension.decode("utf-8"))
    return False


def open_repo(opener: Callable[[str], R], path: str) -> R:
    """``opener(path)`` (opening a repository or reading its configuration), with what
    dulwich raises on a damaged one reported as such.

    dulwich reads ``.git/config`` while opening and raises a bare ``ValueError`` on a bad
    line; git refuses such a repository too (``fatal: bad config line``).

    Raises:
        RepositoryError: ``reason="damaged"`` for a config file that does not parse or a
            ``shallow``/``info/grafts`` line that is not object ids.
    """
    try:
        return opener(path)
    except ObjectFormatException as err:  # dulwich parses both as graft points
        raise damaged(
            path,
            f".git/shallow or .git/info/grafts holds a line that is not object ids ({err}); "
            "git refuses it too (`fatal: bad shallow line`)",
        ) from err
    except ValueError as err:
        raise config_error(path, err) from err


def check_control_dir(repo: Repo) -> None:
    """Refuse a repository whose ``.git`` file names a directory that does not exist.

    Raises:
        RepositoryError: ``reason="damaged"``, saying how to repair the ``gitdir:`` line.
    """
    if not os.path.isdir(repo.controldir()):
        raise RepositoryError(
            repo.path,
            f"the repository is damaged: its .git file points at {repo.controldir()}, "
            "which does not exist; fix the `gitdir:` line, or run `git worktree "
            "prune` if that linked worktree was removed",
            reason="damaged",
        )
