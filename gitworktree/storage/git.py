"""Git storage: the working tree of a repository, where every publish is one commit.

Reads come from the working tree (a normal checkout, so edits made there by people or
tools are seen by ``sync()``); a publish becomes one Git commit made from objects and
refs by ``Repository.commit_changes``, after which the changed files are written into
the working tree and the index. ``GitRevisionStorage`` reads a past commit instead, for
read-only time travel.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

from gitworktree.errors import ReadOnlyError, RepositoryError, StorageError
from gitworktree.history import Checkpoint, CommitInfo, Repository
from gitworktree.history._refs.checkpoints import CheckpointOwner
from gitworktree.history._worktree.attributes import WorktreeFilters
from gitworktree.history._worktree.shapes import enclosing_work_tree, tracked_below
from gitworktree.storage.base import (
    ChangeSet,
    Collection,
    Object,
    VersionedStorage,
    blob_sha,
    check_size,
)
from gitworktree.storage.filesystem import FilesystemCollection, FilesystemStorage

__all__ = ["GitMountDriver", "GitRevisionStorage", "GitStorage", "warn_if_tracked_by_parent"]

log = logging.getLogger("gitworktree")

# From this many paths in one directory on, listing the directory once is cheaper than
# looking each path up.
_LIST_FROM = 16


class GitStorage(FilesystemStorage, VersionedStorage):
    """The working tree of a Git repository; ``publish`` makes one commit."""

    def __init__(self, repository: Repository) -> None:
        super().__init__(repository.path)
        self.repository = repository
        self._filters: WorktreeFilters | None = None  # read again with every load

    @property
    def filters(self) -> WorktreeFilters:
        """The line-ending conversion of the work tree, as of the last load."""
        if self._filters is None:
            self._filters = self.repository.worktree_filters()
        return self._filters

    def read_limited(self, path: PurePosixPath, limit: int | None) -> bytes:
        """What git would store for the file at ``path`` (line endings converted as git does).

        A file checked out with CRLF (``core.autocrlf``, ``eol=crlf``) reads as its LF
        blob, so a file nobody edited never reads as changed. (`read` comes here too.)
        """
        return self.filters.clean(str(path), super().read_limited(path, limit))

    def digest(self, path: PurePosixPath) -> str | None:
        """Blob id of what git would store for the file at ``path`` now (``None``: no file).

        One look at the file, then one read: every commit asks this of each artifact it
        writes, to refuse overwriting someone else's edit.
        """
        full, mode = self._located(path)
        if mode is None or stat.S_ISDIR(mode):
            return None
        if not stat.S_ISREG(mode):
            return super().digest(path)  # a symbolic link (followed), or what kind_of refuses
        return blob_sha(self.filters.clean(str(path), self._read_at(path, full, None)))

    def read_objects(
        self, directory: PurePosixPath, suffix: str = "", limit: int | None = None
    ) -> dict[str, bytes | None]:
        found = super().read_objects(directory, suffix, limit)
        prefix = f"{directory}/" if directory.parts else ""
        filters = self.filters
        if not filters.converts_in(prefix.rstrip("/")):
            return found  # the usual case: no attributes, no core.autocrlf
        return {
            name: None if data is None else filters.clean(prefix + name, data)
            for name, data in found.items()
        }

    @property
    def head(self) -> str | None:
        return self.repository.head

    def publish(self, changes: ChangeSet) -> CommitInfo:
        # No expected head: each artifact's own base is checked at the tip instead, so
        # commits to different artifacts by different writers all land.
        return self.repository.commit_changes(
            changes.files,
            message=changes.message,
            author=changes.author,
            trailers=changes.trailers,
            base_blobs=changes.base_blobs,
            disk_blobs=changes.disk_blobs,
        )

    def check_publishable(self) -> None:
        """Raise `OperationInProgressError` while git's own operation is unfinished."""
        self.repository.check_no_operation_in_progress()

    def committed_digests(self, directory: PurePosixPath) -> dict[str, str] | None:
        if self.repository.head is None:
            return {}
        try:
            return self.repository.file_ids("HEAD", str(directory) if directory.parts else "")
        except (StorageError, RepositoryError, LookupError):
            return {}

    def changes_since(self, rev: str | None, paths: Iterable[str] = ()) -> dict[str, str | None]:
        """What a tree loaded at ``rev`` must re-read to match HEAD.

        Args:
            rev: the commit the tree was loaded at (``None``: before the first commit).
            paths: more paths to look up (those with pending changes).

        Returns:
            path -> blob id at HEAD (``None``: no file there), for every file that differs
            between ``rev`` and HEAD and for each of ``paths``.

        Raises:
            RepositoryError: ``rev`` cannot be read (or there is no HEAD).
        """
        head = self.repository.head
        if head is None:
            raise RepositoryError(self.repository.path, "no commit to compare with")
        changed = {} if rev == head else self.repository.changed_files(rev, head)
        by_directory: dict[str, list[str]] = {}
        for path in paths:
            if path not in changed:
                by_directory.setdefault(path.rpartition("/")[0], []).append(path)
        for directory, found in by_directory.items():
            if len(found) < _LIST_FROM:
                changed.update((path, self.repository.blob_sha_at(head, path)) for path in found)
                continue
            try:
                ids = self.repository.file_ids(head, directory)
            except (StorageError, RepositoryError):
                ids = {}  # not a directory at HEAD: nothing below it is a file
            changed.update((path, ids.get(path.rpartition("/")[2])) for path in found)
        return changed

    def recover(self) -> list[str]:
        self._filters = None  # a load starts: attributes and config are read again
        self.listing = {}  # what the load's scans find, for `remove_leftovers`
        return self.repository.recover_worktree(
            only_if_interrupted=True, leave_temporary_files=True
        )

    def remove_leftovers(self) -> list[str]:
        """Delete temporary files of killed writes, without listing again what the load
        listed (a map directory of 10,000 items costs ~4 ms to list)."""
        listed, self.listing = self.listing, None
        return self.repository.remove_temporary_files(listed)

    def snapshot(self, directories: Sequence[str]) -> dict[str, bytes | None]:
        """Files under ``directories`` whose working-tree content differs from HEAD.

        Every commit takes an anchor's directory as it is on disk: new, changed and
        deleted files alike.
        """
        if not directories:
            return {}
        found: dict[str, bytes | None] = {}
        for status in self.repository.status(paths=list(directories)):
            found[status.path] = (
                None if status.new_sha is None else self.read(PurePosixPath(status.path))
            )
        return found

    def discard(self, directories: Sequence[str]) -> None:
        if directories:
            self.repository.discard_changes(directories)

    def create_checkpoint(self, name: str | None, owner: CheckpointOwner) -> Checkpoint:
        """A checkpoint at HEAD whose ``restore``/``discard`` go through ``owner``."""
        made = self.repository.create_checkpoint(name)
        return made.with_owner(owner)

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
        artifacts: Callable[[str], bool] | None = None,
    ) -> CommitInfo:
        """Restore ``target`` into the branch and the working tree (see ``Repository.restore``)."""
        return self.repository.restore(
            target, paths=paths, hard=hard, author=author, artifacts=artifacts
        )

    def delete_checkpoint(self, name: str) -> None:
        """Delete ``refs/checkpoints/<name>``."""
        self.repository.delete_checkpoint(name)


class GitRevisionStorage(VersionedStorage):
    """A read-only view of the tree of one commit."""

    read_only = True

    def __init__(self, repository: Repository, rev: str) -> None:
        self.repository = repository
        self.rev = repository.resolve(rev)

    @property
    def head(self) -> str | None:
        return self.rev

    def kind_of(self, path: PurePosixPath) -> str | None:
        if not path.parts:
            return "collection"
        parent = str(path.parent) if path.parent.parts else ""
        try:
            items = self.repository.list_tree(self.rev, parent)
        except (StorageError, RepositoryError, LookupError):
            return None
        for item in items:
            if item.name == path.name:
                return "collection" if item.kind == "dir" else "object"
        return None

    def read(self, path: PurePosixPath) -> bytes:
        data = self.repository.read_file(self.rev, str(path))
        if data is None:
            raise StorageError(path, f"no such file at {self.rev[:7]}")
        return data

    def read_limited(self, path: PurePosixPath, limit: int | None) -> bytes:
        if limit is not None:
            size = self.repository.file_size(self.rev, str(path))
            check_size(path, 0 if size is None else size, limit)  # before loading it
        return self.read(path)

    def write(self, path: PurePosixPath, data: bytes) -> None:
        raise ReadOnlyError(f"{path}: this tree is mounted read-only at {self.rev[:7]}")

    def list_names(self, path: PurePosixPath) -> list[str]:
        directory = str(path) if path.parts else ""
        return sorted(item.name for item in self.repository.list_tree(self.rev, directory))

    def make_collection(self, path: PurePosixPath) -> None:
        raise ReadOnlyError(f"{path}: this tree is mounted read-only at {self.rev[:7]}")

    def remove(self, path: PurePosixPath) -> None:
        raise ReadOnlyError(f"{path}: this tree is mounted read-only at {self.rev[:7]}")

    def object_node(self, path: PurePosixPath) -> Object:
        return _RevisionObject(self, path)

    def collection_node(self, path: PurePosixPath) -> Collection:
        return _RevisionCollection(self, path)

    def publish(self, changes: ChangeSet) -> CommitInfo:
        raise ReadOnlyError(f"this tree is mounted read-only at {self.rev[:7]}")

    def changes_since(self, rev: str | None, paths: Iterable[str] = ()) -> dict[str, str | None]:
        changed = {} if rev == self.rev else self.repository.changed_files(rev, self.rev)
        for path in paths:
            if path not in changed:
                changed[path] = self.repository.blob_sha_at(self.rev, path)
        return changed

    def create_checkpoint(self, name: str | None, owner: CheckpointOwner) -> Checkpoint:
        raise ReadOnlyError(f"this tree is mounted read-only at {self.rev[:7]}")

    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
        artifacts: Callable[[str], bool] | None = None,
    ) -> CommitInfo:
        raise ReadOnlyError(f"this tree is mounted read-only at {self.rev[:7]}")

    def delete_checkpoint(self, name: str) -> None:
        raise ReadOnlyError(f"this tree is mounted read-only at {self.rev[:7]}")


class _RevisionObject(Object):
    def read_bytes(self) -> bytes:
        return self._storage.read(self._path)

    def write_bytes(self, data: bytes) -> None:
        self._storage.write(self._path, data)


class _RevisionCollection(Collection):
    pass


class GitMountDriver:
    """Mounts the working tree of a Git repository, creating the repository if needed.

    The repository is exactly at the mounted directory: a tree never commits into a
    repository above it, and never touches anything outside its directory.
    """

    def mount(self, path: str | os.PathLike[str]) -> Collection:
        """The root collection of the repository at ``path`` (``git init`` if there is none).

        Raises:
            UnsupportedRepositoryError: a bare repository, a directory inside one or
                inside a ``.git`` directory, another object format or an unknown
                extension, a sparse checkout, or a HEAD that names no commit (see
                `Repository.check_work_tree`); nothing is written.
        """
        # `init` opens the repository already there (an empty `.git` is filled, as
        # `git init` fills it).
        directory = Path(path)
        repository = Repository.init(directory)
        try:
            repository.check_work_tree()
            if repository.head is not None:
                # Read HEAD's commit and root tree now, so a damaged repository is a
                # clear RepositoryError on open rather than a failure halfway through.
                repository.list_tree("HEAD")
        except BaseException:
            repository.close()
            raise
        warn_if_tracked_by_parent(directory)
        return FilesystemCollection(GitStorage(repository), PurePosixPath("."))

    def mount_revision(self, path: str | os.PathLike[str], rev: str) -> Collection:
        """A read-only root collection of the tree at revision ``rev`` (a bare repository too)."""
        repository = Repository.open(Path(path), read_only=True)
        try:
            storage = GitRevisionStorage(repository, rev)
        except BaseException:
            repository.close()
            raise
        return storage.root


def warn_if_tracked_by_parent(directory: Path) -> None:
    """Log a warning when a repository above ``directory`` tracks files inside it.

    Those files would then belong to two repositories: the parent's commits and ours
    would each record them, and neither sees the other's. (A directory the parent only
    holds as a submodule, or does not track, is fine.) A warning, not an error: the
    caller may mean it; the library never prints, so it goes to the ``gitworktree``
    logger.
    """
    parent = enclosing_work_tree(directory)
    if parent is None:
        return
    tracked = tracked_below(parent, directory)
    if tracked:
        log.warning(
            "%s is inside the repository at %s, which tracks files in it (%s): they will "
            "be in two repositories and commits here do not reach that one; mount a "
            "directory outside it, or `git rm -r --cached` them there",
            directory,
            parent,
            tracked,
        )
