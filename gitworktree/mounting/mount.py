"""mount(): build a declared tree on storage and sync it; BaseMounter, for a driver's root.

The mounted tree is bound to a ``MountSession`` (``gitworktree.mounting.session``), where its
``sync``/``commit``/``checkpoint``/``restore`` calls land; it loads through
``gitworktree.mounting.loading`` and commits through ``gitworktree.mounting.pipeline``.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from gitworktree.history import Repository
from gitworktree.history._core.creation import (
    BUILDING_PREFIX,
    is_empty_directory,
    remove_if_unused,
)
from gitworktree.history._core.identity import check_identity
from gitworktree.mounting.session import MountSession
from gitworktree.storage.base import Collection, Storage, artifact_size_limit
from gitworktree.storage.git import GitMountDriver, GitRevisionStorage, GitStorage
from gitworktree.tree.items import Worktree
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS, RepairFunction

__all__ = ["BaseMounter", "MountSession", "mount"]

T = TypeVar("T", bound=Worktree)


def _storage_for(
    root: str | os.PathLike[str] | Collection, rev: str | None
) -> tuple[Storage, PurePosixPath]:
    if isinstance(root, Collection):
        if rev is not None:
            raise TypeError("mount(rev=...) takes a repository path, not a Collection")
        return root.storage, root.path
    if isinstance(root, (str, os.PathLike)):
        driver = GitMountDriver()
        collection = driver.mount(root) if rev is None else driver.mount_revision(root, rev)
        return collection.storage, collection.path
    raise TypeError(f"mount() takes a path or a mounted Collection, not {type(root).__name__}")


def mount(
    tree_cls: type[T],
    root: str | os.PathLike[str] | Collection,
    *,
    initial_states: Mapping[str, Any] | None = None,
    repair: RepairFunction | None = None,
    max_repair_attempts: int = DEFAULT_MAX_ATTEMPTS,
    rev: str | None = None,
    clone_from: str | None = None,
    author: str | None = None,
    max_artifact_bytes: int | None = None,
) -> T:
    """Mount ``tree_cls`` on storage and sync it.

    Args:
        tree_cls: the ``Worktree`` subclass declaring the tree.
        root: a directory path — the working tree of a Git repository, created with its
            first commit if needed — or a root ``Collection`` from any mount driver
            (``InMemoryMountDriver().mount()``, ``FilesystemMountDriver().mount(path)``).
        initial_states: nested dicts of values for items missing from storage, by field
            name: ``{"app": {"storage": {"db": {"host": "db.local"}}}}``.
        repair: the tree-wide repair hook used by the commit gate for artifacts without
            their own ``_repair``; sync or async ``(content, issues, document_type) -> str``.
        max_repair_attempts: how many repair calls the gate makes per artifact.
        rev: mount the tree as it was at this revision or checkpoint, read-only
            (``commit()`` raises ``ReadOnlyError``): time travel with typed access.
        clone_from: a Git URL (local path, ``file://``, ``git://``, ``http(s)://``,
            ssh) to clone into ``root`` first, as remote ``origin``, when ``root`` holds
            no repository yet; an existing one is mounted as it is.
        author: ``"Name <email>"``: who the tree's commits are by when a call names no
            author — the first commit creating missing artifacts, ``commit()``,
            ``restore()`` and ``pull()`` — e.g. the agent that owns the tree. ``None``:
            the repository's identity (``GIT_AUTHOR_*``, then ``user.*`` config).
        max_artifact_bytes: the largest artifact file loaded, in bytes; a larger one
            (say, brought in by a pull) is refused with `ArtifactTooLargeError` before
            it is read. ``None``: ``GITWORKTREE_MAX_ARTIFACT_BYTES`` if set, else 64 MiB;
            ``0``: no limit.

    Returns:
        The mounted tree: an instance of ``tree_cls`` with every item loaded.

    A first mount that fails leaves no repository (and no empty directory) behind.

    Raises:
        MissingInitialStateError: an item is missing and has no default or initial state.
        DocumentParseError, SchemaValidationError: stored content is invalid (and cannot
            be repaired); nothing is overwritten.
        NodeKindError: a directory is where a file is declared, or the reverse.
        UnsafePathError: a path would leave the mounted root.
        InvalidNameError: ``author`` does not read ``Name <email>``.
        ArtifactTooLargeError: an artifact's file is over ``max_artifact_bytes``.
        RepositoryError: ``root`` (or a directory above it) is a file, or cannot be made.
    """
    if not (isinstance(tree_cls, type) and issubclass(tree_cls, Worktree)):
        raise TypeError(f"mount() takes a Worktree subclass, not {tree_cls!r}")
    if author is not None:
        check_identity(author)
    if clone_from is not None:
        if rev is not None or isinstance(root, Collection):
            raise TypeError("mount(clone_from=...) takes a directory path and no rev=")
        if not (Path(root) / ".git").exists():
            Repository.clone(clone_from, root).close()
    limit = artifact_size_limit(max_artifact_bytes)
    fresh = _FreshRepository.before(root) if rev is None and clone_from is None else None
    try:
        storage, base = _storage_for(root, rev)
    except BaseException:
        if fresh is not None:
            fresh.remove()
        raise
    session = MountSession(
        storage,
        base,
        repair=repair,
        max_repair_attempts=max_repair_attempts,
        author=author,
        max_artifact_bytes=limit,
    )
    try:
        tree = session.build(tree_cls, initial_states)
    except BaseException:
        if isinstance(storage, GitStorage | GitRevisionStorage) and not isinstance(
            root, Collection
        ):
            storage.repository.close()  # opened for this mount: nobody else will close it
        if fresh is not None:
            fresh.remove()
        raise
    if isinstance(storage, GitStorage | GitRevisionStorage):
        # The repository holds open files; close them when the tree is collected.
        weakref.finalize(tree, storage.repository.close)
    return tree


@dataclass(frozen=True)
class _FreshRepository:
    """A repository a mount is about to create: what to take away if the mount fails.

    A failed first mount (a missing initial state, a bad declaration) must leave no empty
    ``.git`` behind: the next attempt, or ``git init``, would find a repository nobody
    made on purpose.
    """

    root: Path
    root_existed: bool
    directories: frozenset[Path]

    @classmethod
    def before(cls, root: str | os.PathLike[str] | Collection) -> _FreshRepository | None:
        """What is there now, if mounting ``root`` would create a repository; else None."""
        if isinstance(root, Collection):
            return None
        path = Path(root)
        git_dir = path / ".git"
        if (git_dir.exists() and not is_empty_directory(git_dir)) or not (
            path.is_dir() or not path.exists()
        ):
            return None
        # A first mount only, so the walk is paid once; only directories are noted.
        existing = frozenset(_directories(path)) if path.exists() else frozenset()
        return cls(path, path.exists(), existing)

    def remove(self) -> None:
        """Take away the ``.git`` and the empty directories the failed mount made.

        Only a ``.git`` this process created and nobody committed in: another mount of
        the same new directory, at the same moment, may have made it or committed there.
        """
        git_dir = self.root / ".git"
        if remove_if_unused(git_dir) and git_dir in self.directories:
            # It was an empty `.git` that creation filled: it is left empty, as found.
            with contextlib.suppress(OSError):
                git_dir.mkdir()
        made = [p for p in _directories(self.root) if p not in self.directories]
        if not self.root_existed:
            made.append(self.root)
        for directory in sorted(made, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: someone's file, keep it
                directory.rmdir()


def _directories(root: Path) -> list[Path]:
    """Every directory below ``root``, but another mount's repository in the making (it
    is not ours to take away, and vanishes under the walk when renamed into place)."""
    found = []
    for directory, folders, _files in os.walk(root):  # a folder gone meanwhile is skipped
        folders[:] = [name for name in folders if not name.startswith(BUILDING_PREFIX)]
        found += [Path(directory, name) for name in folders]
    return found


class BaseMounter:
    """Mounts trees on one root collection: ``BaseMounter(driver.mount(path)).mount(Tree)``."""

    def __init__(self, root: Collection) -> None:
        if not isinstance(root, Collection):
            raise TypeError(f"BaseMounter takes a mounted Collection, not {type(root).__name__}")
        self.root = root

    def mount(
        self,
        tree_cls: type[T],
        *,
        initial_states: Mapping[str, Any] | None = None,
        repair: RepairFunction | None = None,
        author: str | None = None,
    ) -> T:
        """Mount ``tree_cls`` on this mounter's root; see ``gitworktree.mount``."""
        return mount(
            tree_cls, self.root, initial_states=initial_states, repair=repair, author=author
        )
