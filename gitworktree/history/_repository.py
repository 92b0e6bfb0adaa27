"""`Repository`: a Git repository with a work tree, read and written through dulwich.

This is the history layer's one entry point. It never runs the ``git`` binary: objects,
refs, reflogs and the index are read and written directly, in the formats git uses, so
that ``git log``, ``git status`` and ``git fsck`` agree with everything it does.

Opening a repository and reading its history import only what that needs: the commit
path, the work tree's index, remotes and merges are imported by the methods that use
them, so that a history command of the CLI starts close to dulwich's own import time.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from dulwich.errors import NotGitRepository
from dulwich.objects import S_ISGITLINK, Blob, ObjectID
from dulwich.repo import Repo

from gitworktree.errors import (
    CheckpointError,
    NodeKindError,
    ReadOnlyError,
    RepositoryError,
    UnknownRevisionError,
    UnsupportedRepositoryError,
    UntrustedTreeError,
)
from gitworktree.history._core.configfiles import ConfigFiles
from gitworktree.history._core.damage import (
    check_alternates,
    load_object,
    translates_damage,
)
from gitworktree.history._core.gitdir import check_git_dir
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.locks import lock_errors
from gitworktree.history._core.looseobjects import guard_object_store
from gitworktree.history._core.opening import GitRepo, check_control_dir, open_repo
from gitworktree.history._core.paths import (
    check_repo_path,
    check_repo_prefixes,
    decode_path,
    under_prefix,
)
from gitworktree.history._core.refnames import check_ref_name
from gitworktree.history._core.trailers import check_caller_text, compose_message
from gitworktree.history._core.untrusted import naming_commit
from gitworktree.history._objects.commits import (
    commit_info,
    commit_tree,
    known_commit_tree,
    load_commit,
    shallow_commits,
)
from gitworktree.history._objects.log import walk_commits
from gitworktree.history._objects.rawtrees import diff_tree_files, read_tree
from gitworktree.history._objects.trees import TreeItem, list_tree_items, lookup_entry, read_blob
from gitworktree.history._refs.checkpoints import Checkpoint, check_checkpoint_name
from gitworktree.history._refs.loose import guard_loose_refs
from gitworktree.history._refs.refs import HEAD, branch_ref, read_ref
from gitworktree.history._refs.revisions import resolve_revision
from gitworktree.history._repository_checkpoints import CheckpointOperations
from gitworktree.history._worktree.expected import ANY_HEAD, ExpectedHead
from gitworktree.history._worktree.shapes import (
    check_format,
    check_head,
    check_location,
    check_sparse,
    format_errors,
)
from gitworktree.history._worktree.writelock import WriterGuard, exclusive, wait_for_writer

if TYPE_CHECKING:
    from dulwich.config import StackedConfig
    from dulwich.object_store import BaseObjectStore

    from gitworktree.history._json.jsonmerge import Side
    from gitworktree.history._remote.integrate import MergeGate
    from gitworktree.history._remote.remotes import Progress
    from gitworktree.history._remote.syncloop import SyncResult
    from gitworktree.history._remote.transfer import FetchResult, PushResult
    from gitworktree.history._repository_remotes import RemoteOperations
    from gitworktree.history._worktree.attributes import AttributeFiles, WorktreeFilters
    from gitworktree.history._worktree.checkout import ListedDirectory
    from gitworktree.history._worktree.commit import StagedFile
    from gitworktree.history._worktree.diff import FileChange
    from gitworktree.history._worktree.status import FileStatus, StaleStats

log = logging.getLogger("gitworktree")

__all__ = ["Repository"]

# A submodule's tree entry: a commit id, not a file.
_SUBMODULE = b"160000 "
_REGULAR, _EXECUTABLE = 0o100644, 0o100755

RESTORED_FROM = "Gitworktree-Restored-From"

R = TypeVar("R")


class _FileIdsCache:
    """The files of recently listed trees, by tree id: name -> hex blob id.

    A tree never changes once written, so a mount or sync of a directory that did not
    change since the last one reuses its listing: 10,000 names and hex ids cost ~4 ms
    to build. Bounded by the number of names held; least recently used trees go first.
    """

    def __init__(self, max_names: int) -> None:
        self._max_names = max_names
        self._held = 0
        self._trees: OrderedDict[ObjectID, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, store: BaseObjectStore, tree_id: ObjectID) -> dict[str, str]:
        """The files of the tree ``tree_id`` (shared: not to be changed)."""
        with self._lock:
            found = self._trees.get(tree_id)
            if found is not None:
                self._trees.move_to_end(tree_id)
                return found
        tree = read_tree(store, tree_id)
        found = {
            decode_path(name): raw[-20:].hex()  # raw: b"<mode> <name>\0<20-byte id>"
            for name, raw in zip(tree.keys, tree.entries, strict=True)
            if not name.endswith(b"/") and not raw.startswith(_SUBMODULE)
        }
        if len(found) > self._max_names:
            return found
        with self._lock:
            if tree_id not in self._trees:
                self._trees[tree_id] = found
                self._held += len(found)
            while self._held > self._max_names:
                _, dropped = self._trees.popitem(last=False)
                self._held -= len(dropped)
        return found


_FILE_IDS = _FileIdsCache(max_names=100_000)


def _cannot_make(root: Path, err: OSError) -> RepositoryError:
    """Why the work tree ``root`` cannot be made, naming the file in the way if one is."""
    in_the_way = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
    if in_the_way is not None:
        return RepositoryError(
            root,
            f"cannot create a repository here: {in_the_way} is a file, not a directory; "
            "give the path of a directory (new, empty, or a repository)",
        )
    reason = err.strerror or str(err)
    return RepositoryError(
        root, f"cannot create a repository here: {reason}; check the path and its permissions"
    )


class Repository:
    """A non-bare Git repository: history, checkpoints, diffs, restores and commits.

    Open one with `Repository.init`, `Repository.open`, `Repository.discover` or
    `Repository.clone`, and close it (or use it as a context manager): it holds open
    files. Checkpoints are kept by a `CheckpointOperations`, remotes, fetch, push, pull
    and merge by a `RemoteOperations`; both share this object's writer-lock guard, and
    the methods below delegate to them.
    """

    def __init__(self, repo: Repo, *, read_only: bool = False) -> None:
        """Wrap an open dulwich ``Repo`` (prefer `open`, `init` or `discover`).

        Raises:
            UnsupportedRepositoryError: a bare repository (unless ``read_only``), another
                object format, or an extension gitworktree does not implement.
            TypeError: ``repo`` is not a dulwich ``Repo`` (a path, say).
        """
        if not isinstance(repo, Repo):
            raise TypeError(
                f"Repository() wraps an open dulwich Repo, not {type(repo).__name__} "
                f"{repo!r}: use Repository.open(path), Repository.init(path) or "
                "Repository.discover(path)"
            )
        try:
            check_control_dir(repo)
            check_format(repo)
            if repo.bare and not read_only:
                check_location(repo.path)  # names what it is: a bare repository, a .git
                raise UnsupportedRepositoryError(
                    repo.path, "a bare repository has no work tree", reason="bare"
                )
        except BaseException:
            repo.close()
            raise
        try:
            check_alternates(repo.path, Path(repo.object_store.path))
        except RepositoryError:
            repo.close()
            raise
        # dulwich reads alternates once, on first use, and keeps them: read them now, as
        # just checked, so that a loop written later cannot send it into a recursion.
        _ = repo.object_store.alternates
        guard_loose_refs(repo)
        guard_object_store(repo)
        self._repo = repo
        self._read_only = read_only
        self._root = Path(repo.path)
        self._control_dir = Path(repo.controldir())
        # The config files and attributes files as last parsed: every commit reads them
        # (line endings, core.fileMode, identity), and they rarely change; a file whose
        # stat changed is parsed again, so an edit applies from the next commit.
        self._config_files = ConfigFiles(repo)
        self._attribute_files: AttributeFiles | None = None
        self._auto_pack_failed = False  # packing failed once: not tried again
        self._writer_guard = WriterGuard()
        self._checkpoints = CheckpointOperations(
            repo, owner=self, identity=self._identity, guard=self._writer_guard
        )
        # Made by the first use of a remote: a history command never imports the network
        # client, the merge and the sync loop. Made once: it keeps the sync loop's state.
        self._remote_operations: RemoteOperations | None = None
        self._remote_operations_made = threading.Lock()

    @property
    def _remotes(self) -> RemoteOperations:
        """The collaborator that keeps remotes, fetch, push, pull, merge and sync."""
        with self._remote_operations_made:
            if self._remote_operations is None:
                from gitworktree.history._repository_remotes import RemoteOperations

                self._remote_operations = RemoteOperations(
                    self._repo,
                    identity=self._identity,
                    head=lambda: self.head,
                    guard=self._writer_guard,
                )
            return self._remote_operations

    # -- opening and closing ---------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str], *, branch: str = "main") -> Repository:
        """Create a repository at ``path`` (made if needed), or open the one already there.

        An empty ``.git`` directory is filled, as ``git init`` fills it.

        Args:
            path: the work tree root.
            branch: the branch HEAD points at in a new repository.

        Raises:
            InvalidNameError: if ``branch`` is not a valid branch name.
            RepositoryError: ``path``, or a directory above it, is a file, or the
                directory cannot be made (permissions); nothing is written.
        """
        # Imported here: it needs `shutil`, which a history command need not load.
        from gitworktree.history._core.creation import create_repository, is_empty_directory

        root = Path(path)
        check_location(root)
        if (root / ".git").exists() and not is_empty_directory(root / ".git"):
            return cls.open(root)
        check_ref_name(branch)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _cannot_make(root, err) from err

        try:
            # `.git` appears whole: another process mounting the same new directory at
            # the same moment sees no repository, or a complete one (then both use it).
            return cls(create_repository(root, branch.encode("utf-8")))
        except OSError as err:
            raise _cannot_make(root, err) from err
        except NotGitRepository as err:  # a `.git` in the way that is no repository
            raise RepositoryError(
                root,
                f"cannot create a repository here: {root / '.git'} is in the way and is not "
                "a repository (a dangling symbolic link?); move it aside and retry",
                reason="not-a-repository",
            ) from err

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Repository:
        """Open the repository whose work tree root is ``path``.

        Args:
            path: the work tree root (with ``read_only``, a bare repository too).
            read_only: open only to read history (`log`, `show`, `list_tree`, ...):
                a bare repository is accepted, and anything that reads or writes the
                work tree (`status`, `commit_changes`, `restore`, ...) raises
                `ReadOnlyError`.

        Raises:
            RepositoryError: if ``path`` is not the root of a repository.
            UnsupportedRepositoryError: a bare repository (unless ``read_only``), a
                directory inside one or inside a ``.git`` directory, another object
                format, or an unknown extension.
        """
        if not read_only:
            check_location(path)
        check_git_dir(path)
        try:
            with format_errors(path):
                return cls(open_repo(GitRepo, os.fspath(path)), read_only=read_only)
        except NotGitRepository as err:
            git_dir = Path(path) / ".git"
            if os.path.lexists(git_dir):
                # Found but unreadable as one (no HEAD, objects or refs): "no .git here"
                # and "create one with init" would both be wrong, init opens it too.
                raise RepositoryError(
                    path,
                    f"{git_dir} is not a repository (it lacks HEAD, objects/ or refs/: an "
                    "interrupted `git init`, a copy cut short?); move it aside and retry, "
                    "or restore it from a backup",
                    reason="not-a-repository",
                ) from err
            raise RepositoryError(
                path,
                "not a Git repository (no .git here); create one with Repository.init(path) "
                "or search parent directories with Repository.discover(path)",
                reason="not-a-repository",
            ) from err

    @classmethod
    def discover(cls, path: str | os.PathLike[str] = ".") -> Repository:
        """Open the repository containing ``path``, looking in parent directories as git does.

        Raises:
            RepositoryError: if neither ``path`` nor a parent is in a repository.
            UnsupportedRepositoryError: as `open`.
        """
        check_location(path)
        check_git_dir(_enclosing_root(Path(path)))
        try:
            with format_errors(path):
                return cls(open_repo(GitRepo.discover, os.fspath(path)))
        except NotGitRepository as err:
            raise RepositoryError(
                path,
                "not inside a Git repository (nor any parent directory)",
                reason="not-a-repository",
            ) from err

    @classmethod
    def clone(
        cls,
        url: str,
        path: str | os.PathLike[str],
        *,
        remote: str = "origin",
        branch: str | None = None,
        checkpoints: bool = True,
        progress: Progress | None = None,
    ) -> Repository:
        """Clone the repository at ``url`` into ``path`` and check its branch out.

        ``url`` is a local path, ``file://``, ``git://``, ``http(s)://`` or ssh URL. It is
        configured as the remote ``remote``; the checked-out branch (``branch``, else the
        remote's default) tracks it; the remote's checkpoints come along as
        ``<remote>/checkpoints/<name>`` (not as local checkpoints). An empty remote gives
        an empty repository (push creates the branch there). The new ``.git/config`` is
        written by gitworktree alone: nothing in it comes from the remote.

        Raises:
            RepositoryError: ``path`` exists and is not an empty directory.
            UnsupportedRepositoryError: ``path`` is inside a bare repository or a ``.git``
                directory.
            RemoteError: the remote cannot be reached or read, or lacks ``branch``.
        """
        from gitworktree.history._remote.transfer import clone_repository

        check_location(path)
        repo = clone_repository(
            url,
            Path(path),
            remote=remote,
            branch=branch,
            checkpoints=checkpoints,
            progress=progress,
        )
        return cls(repo)

    def close(self) -> None:
        """Release the repository's open files."""
        self._repo.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Repository({str(self.path)!r})"

    # -- where we are ----------------------------------------------------------------

    @property
    def control_dir(self) -> Path:
        """The ``.git`` directory."""
        return self._control_dir

    @property
    def path(self) -> Path:
        """The work tree root."""
        return self._root

    @property
    def branch(self) -> str:
        """The checked-out branch's short name, e.g. ``main``.

        Raises:
            RepositoryError: if HEAD is detached.
        """
        return branch_ref(self._repo).decode("utf-8").removeprefix("refs/heads/")

    @property
    def head(self) -> str | None:
        """The commit id HEAD points at; ``None`` on an unborn branch (no commit yet)."""
        sha = read_ref(self._repo, HEAD)
        return None if sha is None else sha.decode("ascii")

    @translates_damage
    def resolve(self, rev: str) -> str:
        """The full commit id of a revision (see `resolve_revision` for the syntax).

        Raises:
            InvalidNameError: if ``rev`` breaks the git ref-name rules.
            UnknownRevisionError: if nothing by that name exists.
        """
        return resolve_revision(self._repo, rev).decode("ascii")

    # -- reading history -------------------------------------------------------------

    @translates_damage
    def commit_info(self, rev: str = "HEAD") -> CommitInfo:
        """Describe the commit ``rev`` names."""
        sha = resolve_revision(self._repo, rev)
        store = self._repo.object_store
        return commit_info(store, load_commit(store, sha), shallow_commits(self._repo))

    @translates_damage
    def log(
        self, path: str | None = None, limit: int | None = None, rev: str = "HEAD"
    ) -> list[CommitInfo]:
        """Commits reachable from ``rev``, newest first.

        Args:
            path: only commits that changed this file or anything under this directory.
            limit: at most this many commits; only those are read and described.
            rev: where to start; on an unborn branch the log of ``HEAD`` is empty.
        """
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        if limit is not None and limit > sys.maxsize:
            limit = None  # more commits than any history holds: all of them
        if rev in ("HEAD", "@") and self.head is None:
            return []
        start = resolve_revision(self._repo, rev)
        checked = None if path is None else check_repo_path(path)
        shallow = shallow_commits(self._repo)
        commits = walk_commits(self._repo.object_store, start, checked, shallow)
        store = self._repo.object_store
        return [commit_info(store, commit, shallow) for commit in islice(commits, limit)]

    @translates_damage
    def show(self, rev: str, path: str) -> bytes:
        """The content of the file ``path`` at revision ``rev``.

        Raises:
            UnknownRevisionError: if ``rev`` does not exist, or has no file at ``path``
                (the revision is then reported as ``rev:path``).
            NodeKindError: if ``path`` is a directory at ``rev``.
        """
        data = self.read_file(rev, path)
        if data is None:
            raise UnknownRevisionError(self.path, f"{rev}:{path}")
        return data

    @translates_damage
    def read_file(self, rev: str, path: str) -> bytes | None:
        """The content of the file ``path`` at ``rev``, or ``None`` if there is none."""
        return read_blob(self._repo.object_store, self._tree(rev), check_repo_path(path))

    @translates_damage
    def blob_sha_at(self, rev: str, path: str) -> str | None:
        """The blob id of the file ``path`` at ``rev``, or ``None`` if there is no file."""
        entry = lookup_entry(self._repo.object_store, self._tree(rev), check_repo_path(path))
        if entry is None or not (stat.S_ISREG(entry[0]) or stat.S_ISLNK(entry[0])):
            return None
        return entry[1].decode("ascii")

    @translates_damage
    def file_size(self, rev: str, path: str) -> int | None:
        """The size in bytes of the file ``path`` at ``rev``, or ``None`` if there is none.

        Read from the object's header where it can be (the file is then not loaded).
        """
        entry = lookup_entry(self._repo.object_store, self._tree(rev), check_repo_path(path))
        if entry is None or not (stat.S_ISREG(entry[0]) or stat.S_ISLNK(entry[0])):
            return None
        from gitworktree.history._objects.sizes import object_size

        size = object_size(self._repo.object_store, entry[1])
        if size is None:
            size = load_object(self._repo.object_store, entry[1], Blob).raw_length()
        return size

    @translates_damage
    def list_tree(self, rev: str, directory: str = "") -> list[TreeItem]:
        """The entries of ``directory`` (``""``: the root) at ``rev``, sorted by name."""
        checked = check_repo_path(directory) if directory else ""
        return list_tree_items(self._repo.object_store, self._tree(rev), checked)

    @translates_damage
    def file_ids(self, rev: str, directory: str = "") -> dict[str, str]:
        """Blob ids of the files directly in ``directory`` (``""``: the root) at ``rev``.

        The files of `list_tree`, by name, without building an item per entry: what a
        mount compares a large directory on disk with.

        Raises:
            NodeKindError: if ``directory`` is a file at ``rev``.
        """
        checked = check_repo_path(directory) if directory else ""
        store = self._repo.object_store
        entry = lookup_entry(store, self._tree(rev), checked)
        if entry is None:
            return {}
        if not stat.S_ISDIR(entry[0]):
            raise NodeKindError(checked, "directory", "file")
        return dict(_FILE_IDS.of(store, entry[1]))  # a copy: the cached one is shared

    @translates_damage
    def changed_files(self, a: str | None, b: str = "HEAD") -> dict[str, str | None]:
        """The files that differ between revisions ``a`` and ``b``, with their ids at ``b``.

        Only directories whose ids differ are read, so the cost follows the number of
        changes, not the size of the tree.

        Args:
            a: the old side; ``None`` for the empty tree.
            b: the new side.

        Returns:
            path -> blob id at ``b``, or ``None`` where ``b`` has no file there; sorted
            by path.
        """
        store = self._repo.object_store
        old = None if a is None else self._tree(a)
        changes = diff_tree_files(store, old, self._tree(b))
        return {
            path: None if new is None or S_ISGITLINK(new[0]) else new[1].decode("ascii")
            for path, (_, new) in sorted(changes.items())
        }

    def worktree_filters(self) -> WorktreeFilters:
        """The line-ending conversion git applies to this work tree, as configured now."""
        from gitworktree.history._worktree.attributes import AttributeFiles, WorktreeFilters

        if self._attribute_files is None:
            self._attribute_files = AttributeFiles()
        return WorktreeFilters(
            self._root, self._control_dir, self._config_stack, self._attribute_files
        )

    def hash_blob(self, data: bytes) -> str:
        """The blob id git gives ``data`` (without storing it)."""
        return Blob.from_string(data).id.decode("ascii")

    @translates_damage
    def diff(
        self, a: str | None = "HEAD", b: str | None = None, paths: Iterable[str] | None = None
    ) -> list[FileChange]:
        """Changes from revision ``a`` to revision ``b``, sorted by path.

        Args:
            a: the old side; ``None`` for the empty tree (what a root commit added:
                ``diff(None, root)``). ``HEAD`` on an unborn branch is the empty tree too.
            b: the new side; ``None`` for the work tree (tracked files and untracked files
                that are not ignored).
            paths: only these files or directory prefixes.
        """
        from gitworktree.history._worktree.diff import diff_trees, diff_worktree

        prefixes = check_repo_prefixes(paths)
        old_tree = None if a is None else self._tree_or_empty(a)
        if b is None:
            from gitworktree.history._worktree.status import StaleStats

            self._require_work_tree()
            stale = StaleStats()
            changes = diff_worktree(self._repo, old_tree, prefixes, stale)
            self._refresh_stat_data(stale)
            return changes
        return diff_trees(self._repo.object_store, old_tree, self._tree_or_empty(b), prefixes)

    @translates_damage
    def name_status(
        self, a: str | None, b: str, paths: Iterable[str] | None = None
    ) -> dict[str, str]:
        """The files that changed from revision ``a`` to revision ``b``, without reading
        them: path -> ``"added"``, ``"modified"`` or ``"deleted"``, sorted by path.

        What `git diff --name-status` lists, and `diff` without the patches: its cost
        follows the number of changed tree entries, not the size of the files (a commit
        that rewrote 1,000 JSON documents is listed without parsing one). As in `diff`, a
        file whose type changed is ``"modified"``, a file that became a directory is a
        deletion and additions, and submodules are left out.

        Args:
            a: the old side; ``None`` for the empty tree.
            b: the new side.
            paths: only these files or directory prefixes.
        """
        prefixes = check_repo_prefixes(paths)
        old_tree = None if a is None else self._tree_or_empty(a)
        changes = diff_tree_files(self._repo.object_store, old_tree, self._tree_or_empty(b))
        listed: dict[str, str] = {}
        for path, (old, new) in sorted(changes.items()):
            entry = new if new is not None else old
            if entry is None or S_ISGITLINK(entry[0]) or not under_prefix(path, prefixes):
                continue
            listed[path] = "added" if old is None else "deleted" if new is None else "modified"
        return listed

    @translates_damage
    def status(self, paths: Iterable[str] | None = None) -> list[FileStatus]:
        """How the work tree differs from HEAD, sorted by path.

        Untracked files that are not ignored count as ``"added"``.

        Args:
            paths: only these files or directory prefixes (only their part of the tree
                and of the disk is read).
        """
        from gitworktree.history._worktree.status import StaleStats, scan_worktree

        prefixes = check_repo_prefixes(paths)
        self._require_work_tree()
        stale = StaleStats()
        found = scan_worktree(self._repo, self._tree_or_empty("HEAD"), prefixes, stale)
        self._refresh_stat_data(stale)
        return found

    def _refresh_stat_data(self, stale: StaleStats) -> None:
        """Record in the index the stat data of files found unchanged by their content,
        as ``git status`` does (a copied work tree is then read once, not at every look)."""
        if stale.found:
            from gitworktree.history._worktree.index import refresh_stat_data

            refresh_stat_data(self._repo, stale.found)

    def operation_in_progress(self) -> str | None:
        """The git operation left unfinished in this work tree, if any.

        Returns:
            ``"merge"``, ``"rebase"``, ``"am"``, ``"cherry-pick"``, ``"revert"`` or ``None``.
        """
        from gitworktree.history._worktree.inprogress import operation_in_progress

        return operation_in_progress(self._repo)

    @translates_damage
    def check_no_operation_in_progress(self) -> None:
        """Refuse while a git merge, rebase, cherry-pick or revert is unfinished.

        Every commit, restore and pull checks this itself; call it to learn early.

        Raises:
            OperationInProgressError: naming the operation and the unmerged paths (the
                index's entries at stages 1-3), and how to finish or abort it with git.
        """
        from gitworktree.history._worktree.inprogress import check_no_operation_in_progress

        check_no_operation_in_progress(self._repo)

    @translates_damage
    @exclusive
    def discard_changes(self, paths: Iterable[str]) -> list[str]:
        """Throw away uncommitted changes under ``paths``: files go back to HEAD's.

        Files HEAD does not have are deleted; nothing outside ``paths`` is touched.

        Returns:
            The paths that were changed on disk.
        """
        from gitworktree.history._worktree.checkout import discard_worktree_changes

        prefixes: Sequence[str] = check_repo_prefixes(paths) or ()
        self._require_work_tree()
        with lock_errors():
            return discard_worktree_changes(self._repo, prefixes)

    def recover_worktree(
        self, *, only_if_interrupted: bool = False, leave_temporary_files: bool = False
    ) -> list[str]:
        """Finish a checkout that a killed process left half-written.

        Files whose index entry and content are still the previous commit's while HEAD
        has moved on are written from HEAD; files someone edited are left alone.

        Args:
            only_if_interrupted: finish a checkout only if the writer lock's record shows
                a gitworktree writer that did not finish (what a mount asks for: a branch
                someone else moved is not ours to check out); otherwise only temporary
                files of killed atomic writes are removed.
            leave_temporary_files: when there is no checkout to finish, leave the
                temporary files to a later `remove_temporary_files` (a mount calls it
                once it has scanned its directories); the writer lock is not taken.

        Returns:
            The paths that were rewritten (empty when the work tree was consistent).

        Raises:
            UnsupportedRepositoryError: HEAD or its branch does not name a commit, or HEAD
                points at a missing branch while the index tracks files; nothing changed.
        """
        from gitworktree.history._worktree.checkout import writer_was_interrupted

        self._require_work_tree()
        # Read before the writer lock, which rewrites the record.
        finish = not only_if_interrupted or writer_was_interrupted(self.control_dir)
        # Before the writer lock too: a refusal leaves even the lock's record as it was,
        # so an interrupted checkout is still finished once the branch is repaired.
        if self._check_head():
            return []  # a fresh repository: no commit was ever checked out
        if not finish and leave_temporary_files:
            return []
        return self._recover_worktree(finish)

    def remove_temporary_files(
        self, listed: Mapping[str, ListedDirectory] | None = None
    ) -> list[str]:
        """Delete the temporary files that killed atomic writes left in the work tree.

        A write killed between creating its temporary file and renaming it over the
        file leaves the temporary file behind: a commit's, or a `Document.save()`'s,
        which takes no writer lock. Every directory of the work tree is looked at.

        Args:
            listed: directories (relative to the work tree, ``""`` for its root) the
                caller has just scanned, with what it found; these are not listed again.

        Returns:
            The paths deleted, relative to the work tree.
        """
        from gitworktree.history._worktree.checkout import find_temporary_files

        self._require_work_tree()
        found = find_temporary_files(self.path, listed)  # looking needs no lock
        return self._delete_temporary_files(found) if found else []

    @translates_damage
    @exclusive
    def _delete_temporary_files(self, paths: list[str]) -> list[str]:
        from gitworktree.history._worktree.checkout import delete_temporary_files

        # Under the writer lock no writer of ours is still using one of them.
        with lock_errors():
            return delete_temporary_files(self.path, paths)

    @translates_damage
    @exclusive
    def _recover_worktree(self, finish: bool) -> list[str]:
        from gitworktree.history._worktree.checkout import recover_interrupted_checkout

        with lock_errors():
            return recover_interrupted_checkout(self._repo, finish_checkout=finish)

    @translates_damage
    def check_work_tree(self) -> None:
        """Refuse a work tree gitworktree must not write (what a writable mount checks).

        Raises:
            UnsupportedRepositoryError: a sparse checkout, a HEAD or branch that does not
                name a commit, or HEAD at a missing branch while other branches or index
                entries exist (``reason`` says which).
        """
        self._require_work_tree()
        check_sparse(self._repo)
        self._check_head()

    def _check_head(self) -> bool:
        """`check_head`, waiting for a writer that is making the first commit.

        A gitworktree writer making a repository's first commit puts the index in place
        before the branch is born (see the commit's write order): a mount of the same new
        directory at that moment sees an unborn branch with tracked files. Such a writer
        holds the writer lock, so the refusal is checked again once it is done.
        """
        try:
            return check_head(self._repo)
        except UnsupportedRepositoryError as err:
            if err.reason != "unborn-branch":
                raise
            return self._check_head_after_writers()

    def _check_head_after_writers(self) -> bool:
        guard: WriterGuard | None = self.__dict__.get("_writer_guard")
        if guard is None or not guard.depth:  # not while this object holds the lock
            wait_for_writer(self._control_dir)  # touches nothing, so a refusal neither
        return check_head(self._repo)

    # -- restoring -------------------------------------------------------------------

    @translates_damage
    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
        artifacts: Callable[[str], bool] | None = None,
        trailers: Mapping[str, str] | None = None,
    ) -> CommitInfo:
        """Go back to a checkpoint or revision.

        By default a new commit is added whose tree is the target's: the whole tree, or
        with ``paths`` HEAD's tree with those files and directories replaced by the
        target's (and removed where the target has none). Its message is
        ``Restore <target>`` with a ``Gitworktree-Restored-From: <sha>`` trailer; history is
        kept. With ``hard=True`` the branch itself moves to the target (logged in the
        reflog). Either way only the files that change are written into the work tree and
        index; files git does not track are never touched.

        Args:
            target: a checkpoint name, a `Checkpoint`, or any revision.
            paths: restore only these files or directory prefixes (not with ``hard``).
            hard: move the branch instead of adding a commit.
            author: ``"Name <email>"`` recorded as the restore commit's author (the agent
                that asked for it); by default the repository's identity.
            artifacts: whether a path is a declared artifact of a mounted tree: only a
                regular file may be restored there (a symbolic link is refused).
            trailers: added to the restore commit after ``Gitworktree-Restored-From``
                (e.g. which agent asked for it); reserved ``Gitworktree-*`` keys are refused.

        Returns:
            The new commit (soft), the target (hard), or HEAD when nothing differed.

        Raises:
            CheckpointError: if the target does not exist, or a path exists neither in
                the target nor at HEAD.
            ConflictError: if a file to be restored has uncommitted changes on disk.
            UntrustedTreeError: the target's tree holds an entry git would refuse, or a
                symbolic link that leads out; nothing was written.
            InvalidNameError: a trailer key is a reserved ``Gitworktree-*`` one.
        """
        check_caller_text(None, trailers)
        if hard and paths is not None:
            raise ValueError("restore(hard=True) moves the whole branch; paths= cannot be used")
        self._require_work_tree()
        # A target that names nothing is refused before the writer lock is taken, so that
        # a refusal leaves `.git` as it was (the lock's file is made on first use).
        self._restore_target(target)
        return self._restore_locked(target, paths, hard, author, artifacts, trailers)

    @exclusive
    def _restore_locked(
        self,
        target: str | Checkpoint,
        paths: Sequence[str] | None,
        hard: bool,
        author: str | None,
        artifacts: Callable[[str], bool] | None,
        trailers: Mapping[str, str] | None,
    ) -> CommitInfo:
        from gitworktree.history._worktree.inprogress import check_no_operation_in_progress

        check_head(self._repo)  # a HEAD that names no branch or commit: refused, as mount does
        sha, label = self._restore_target(target)  # again: a ref may have moved meanwhile
        check_no_operation_in_progress(self._repo)  # before its files read as local edits
        guard = target if isinstance(target, Checkpoint) else None
        with naming_commit(sha):
            return self._restore(sha, label, paths, hard, author, artifacts, trailers, guard)

    def _restore(
        self,
        sha: ObjectID,
        label: str,
        paths: Sequence[str] | None,
        hard: bool,
        author: str | None,
        artifacts: Callable[[str], bool] | None,
        trailers: Mapping[str, str] | None = None,
        guard: Checkpoint | None = None,
    ) -> CommitInfo:
        from gitworktree.history._core.identity import Signature
        from gitworktree.history._worktree.commit import reset_branch

        head = read_ref(self._repo, HEAD)
        if guard is not None:
            # A guard's restore: refused if it would undo someone else's commit. The
            # restore then moves the branch only from this very HEAD (compare-and-swap).
            guard.check_guard(head)
        files, on_disk = self._restore_files(sha, label, head, check_repo_prefixes(paths))
        if artifacts is not None:
            _refuse_links_at_artifacts(files, artifacts)
        store = self._repo.object_store
        if hard:
            signature = Signature.now(self._identity("COMMITTER"))
            message = f"reset: moving to {label}"
            reset_branch(
                self._repo,
                sha,
                files,
                expected_head=head,
                signature=signature,
                message=message,
                disk_blobs=on_disk,
            )
            return commit_info(store, load_commit(store, sha))
        if not files and head is not None:
            return commit_info(store, load_commit(store, head))
        return self._commit(
            files,
            f"Restore {label}",
            {RESTORED_FROM: sha.decode("ascii"), **(trailers or {})},
            author=author,
            expected_head=None if head is None else head.decode("ascii"),
            materialize=True,
            disk_blobs=on_disk,
        )

    # -- writing ---------------------------------------------------------------------

    @translates_damage
    @exclusive
    def commit_changes(
        self,
        changes: Mapping[str, bytes | None],
        *,
        message: str,
        author: str | None = None,
        trailers: Mapping[str, str] | None = None,
        expected_head: str | ExpectedHead | None = ANY_HEAD,
        materialize: bool = True,
        base_blobs: Mapping[str, str | None] | None = None,
        disk_blobs: Mapping[str, str | None] | None = None,
    ) -> CommitInfo:
        """Commit file contents on the checked-out branch: the low-level write of the pipeline.

        Blobs are stored, trees rebuilt along the changed paths only, and the commit
        object written; then the branch moves by compare-and-swap (with reflog entries for
        the branch and HEAD), and the changed files are written into the work tree
        atomically with their index entries updated, so ``git status`` stays clean.

        An empty ``changes`` makes a commit with HEAD's tree, like ``git commit
        --allow-empty``; deciding whether anything changed is the caller's job.

        Args:
            changes: repository-relative POSIX path -> new content, or ``None`` to delete.
            message: the commit message (without trailers).
            author: ``"Name <email>"``; by default the repository's identity
                (``GIT_AUTHOR_*``, then ``user.*`` config, then ``gitworktree``).
            trailers: added as a git trailer block. This low-level write is how the gate
                records its repairs (``{"Gitworktree-Repaired": ...}``), so reserved
                ``Gitworktree-*`` keys are accepted here, and only here; ``message`` may
                not carry them.
            expected_head: the commit the branch must point at (``None``: no commit yet);
                by default whatever it points at when the commit starts.
            materialize: also write the files into the work tree and the index.
            base_blobs: path -> the blob id the change was based on (``None``: the file
                did not exist); if the branch tip holds another version of any of them,
                `ConflictError`. Changes to other files land on top of the tip.
            disk_blobs: path -> the blob id (as git would store it) of the file on disk
                when the caller read it (``None``: no file); checked again under the
                index lock just before anything is written, so that an edit made since
                (while a gate or repair ran) is refused with `ConflictError`, never
                overwritten.

        Returns:
            The new commit.

        Raises:
            UnsafePathError: for a path that is absolute, has ``..`` or reaches into
                ``.git``, or whose parent on disk is a symlink.
            UnsupportedAttributeError: for a path whose git attributes set ``filter``,
                ``ident`` or ``working-tree-encoding``.
            ConflictError: if the branch is not (or no longer) at ``expected_head``;
                nothing was written.
            OperationInProgressError: while a git merge, rebase, cherry-pick or revert
                is under way, or the index has unmerged paths.
            NodeKindError: if a file would replace a directory or the reverse.
            RepositoryError: for a detached HEAD, a stale lock file, or a file-system
                error (full disk, permission) before the branch moved; nothing was
                written. Once the branch has moved the commit is returned: what could
                not be finished is logged as a warning and repaired by the next
                ``recover_worktree`` (every ``mount``/``sync``).
            InvalidNameError: if ``message`` carries a ``Gitworktree-*`` trailer line.
        """
        from gitworktree.history._worktree.commit import StagedFile

        check_caller_text(message)
        checked = {check_repo_path(path): data for path, data in changes.items()}
        # Read for this commit once: its config also says core.fileMode, core.splitIndex.
        filters = self.worktree_filters() if checked else None
        keep_modes = materialize and filters is not None and filters.file_mode()
        files: dict[str, StagedFile | None] = {}
        for path, data in checked.items():
            mode = self._mode_on_disk(path) if keep_modes and data is not None else None
            files[path] = None if data is None else StagedFile(Blob.from_string(data), mode)
        if filters is not None:
            # The content is the caller's, not git's: a path git would pass through a
            # program (a clean filter that redacts, say) must not be committed without it.
            for path, file in files.items():
                if file is not None:
                    filters.check_supported(path)
        return self._commit(
            files,
            message,
            trailers,
            author=author,
            expected_head=expected_head,
            materialize=materialize,
            base_blobs=base_blobs,
            filters=filters,
            disk_blobs=disk_blobs,
        )

    # -- checkpoints (see CheckpointOperations) ---------------------------------------

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, sorted by name."""
        return self._checkpoints.checkpoints()

    def remote_checkpoints(self, remote: str | None = None) -> list[Checkpoint]:
        """The checkpoints fetched from the remotes, sorted by remote, then name.

        They are kept as ``refs/remotes/<remote>/checkpoints/<name>`` (never as local
        checkpoints), have ``remote`` set, and restore by ``<remote>/checkpoints/<name>``.

        Args:
            remote: only this remote's; by default every configured remote's.

        Raises:
            RemoteError: ``remote`` is not a configured remote.
        """
        return self._checkpoints.remote_checkpoints(remote)

    def checkpoint(self, name: str) -> Checkpoint:
        """The checkpoint ``name``.

        Raises:
            CheckpointError: if there is none by that name.
            InvalidNameError: if ``name`` is not a valid checkpoint name.
        """
        return self._checkpoints.checkpoint(name)

    def create_checkpoint(self, name: str | None = None, rev: str = "HEAD") -> Checkpoint:
        """Create ``refs/checkpoints/<name>`` at ``rev``, with a reflog entry.

        Args:
            name: the checkpoint name; a fresh ``cp-<date>-<time>-<hex>`` one if ``None``.
            rev: the commit to checkpoint.

        Raises:
            CheckpointError: if the name is taken, a branch, tag or remote-tracking ref
                has it (the checkpoint would be ambiguous), or ``rev`` does not exist
                (e.g. no commit yet).
            InvalidNameError: if ``name`` is not a valid git ref name, or reads as another
                revision: ``HEAD``, a commit id, ``origin/...`` (see `shadowing_reason`).
        """
        if name is not None:
            check_checkpoint_name(name)  # before the writer lock: a refusal leaves .git as it was
        return self._checkpoints.create_checkpoint(name, rev)

    def delete_checkpoint(self, name: str) -> None:
        """Delete the checkpoint ``name`` (and its reflog); its commits stay in history.

        Raises:
            CheckpointError: if there is no checkpoint by that name.
        """
        # Looked up before the writer lock is taken: a refusal leaves .git as it was.
        self._checkpoints.checkpoint(name)
        self._checkpoints.delete_checkpoint(name)

    # -- remotes (see RemoteOperations) ------------------------------------------------

    def remotes(self) -> dict[str, str]:
        """The configured remotes, name -> URL (as ``git remote -v`` lists them)."""
        return self._remotes.remotes()

    def add_remote(self, name: str, url: str) -> None:
        """Add the remote ``name`` at ``url`` to ``.git/config``, as ``git remote add`` does.

        Args:
            name: e.g. ``origin``.
            url: a local path, ``file://``, ``git://``, ``http(s)://`` or ssh URL.

        Raises:
            InvalidNameError: ``name`` cannot name a remote.
            RemoteError: a remote by that name exists already.
        """
        self._remotes.add_remote(name, url)

    def remove_remote(self, name: str) -> None:
        """Remove the remote ``name`` and its remote-tracking refs (``git remote remove``).

        Raises:
            RemoteError: there is no remote by that name.
        """
        self._remotes.remove_remote(name)

    def fetch(
        self,
        remote: str = "origin",
        *,
        checkpoints: bool = True,
        progress: Progress | None = None,
    ) -> FetchResult:
        """Download the remote's branches and checkpoints; the work tree is not touched.

        Branches are kept as ``refs/remotes/<remote>/<branch>``, the remote's checkpoints
        as ``refs/remotes/<remote>/checkpoints/<name>`` (see `remote_checkpoints`; restore
        one as ``<remote>/checkpoints/<name>``). Local checkpoints are never touched;
        ``kept`` names the remote's checkpoints that a local one of the same name
        differs from.

        Args:
            remote: a configured remote's name, or a URL or path to fetch from directly
                (then no remote-tracking refs are kept).
            checkpoints: also fetch the remote's checkpoints.
            progress: receives the remote's progress messages as they come.

        Raises:
            RemoteError: the remote is unknown, cannot be reached, or cannot be read.
        """
        return self._remotes.fetch(remote, checkpoints=checkpoints, progress=progress)

    def push(
        self,
        remote: str = "origin",
        *,
        branch: str | None = None,
        checkpoints: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> PushResult:
        """Push a branch to the branch of the same name on the remote: a fast-forward only.

        Args:
            remote: a configured remote's name, or a URL or path.
            branch: the local branch; the checked-out one by default.
            checkpoints: also push every checkpoint (``refs/checkpoints/*``).
            force: overwrite the remote branch and checkpoints even when that drops
                commits there. Never done unless asked.

        Returns:
            The remote refs that moved.

        Raises:
            ConflictError: the remote branch has commits ours lacks (pull first), or a
                checkpoint of the same name is elsewhere there; nothing was pushed.
            RemoteError: the remote is unknown, unreachable, or refused the push.
            RepositoryError: the branch has no commit yet.
        """
        return self._remotes.push(
            remote, branch=branch, checkpoints=checkpoints, force=force, progress=progress
        )

    def pull(
        self,
        remote: str = "origin",
        *,
        branch: str | None = None,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        message: str | None = None,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> CommitInfo | None:
        """Fetch from ``remote``, then merge its branch into the checked-out one (`merge`).

        Args:
            remote: a configured remote's name, or a URL or path.
            branch: the remote branch; by default the one the checked-out branch tracks,
                else the one of the same name, else the one the remote's ``HEAD`` names.
            gate: see `merge`.
            prefer: see `merge`.
            message: the merge commit's message; ``Merge <remote>/<branch> into <ours>``
                by default.
            author: ``"Name <email>"`` of the merge commit.
            progress: receives the remote's progress messages.

        Returns:
            What the branch now points at (a merge commit has two parents), or ``None``
            when there was nothing to bring in (an empty remote included).

        Raises:
            ConflictError: conflicts (in ``conflicts``), uncommitted edits in the way, or
                the branch moved meanwhile; nothing was changed.
            CommitRejectedError: the gate refused the merged content; nothing changed.
            RemoteError: the remote is unknown or unreachable, or lacks the branch.
        """
        return self._remotes.pull(
            remote,
            branch=branch,
            gate=gate,
            prefer=prefer,
            message=message,
            author=author,
            progress=progress,
        )

    def merge(
        self,
        rev: str,
        *,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        message: str | None = None,
        author: str | None = None,
    ) -> CommitInfo | None:
        """Bring revision ``rev`` (e.g. ``origin/main``) into the checked-out branch.

        A fast-forward when the branch is in ``rev``'s history; otherwise a merge commit
        whose files merge three-way, artifact by artifact, and inside JSON documents
        field by field (by JSON Pointer). Both sides changing the same field (or a
        non-JSON file) differently is a conflict: nothing is written, and the
        `ConflictError` lists each one with its base, ours and theirs values.

        Args:
            rev: any revision: a remote-tracking branch, a branch, a commit id.
            gate: called with every file whose content is new to the branch (path ->
                bytes); returns the bytes to commit (repaired, or as they were), or
                raises ``CommitRejectedError`` to refuse the merge. A mounted tree's
                ``pull`` passes its validate-and-repair gate here.
            prefer: ``"ours"`` or ``"theirs"``: resolve every conflict by taking that
                side's value, as ``git merge -X ours|theirs`` does.
            message: the merge commit's message; ``Merge <rev> into <branch>`` by default.
            author: ``"Name <email>"`` of the merge commit.

        Returns:
            What the branch now points at, or ``None`` if it already contained ``rev``.

        Raises:
            ConflictError: conflicts, uncommitted edits in the way, or the branch moved
                meanwhile; nothing was changed.
            CommitRejectedError: the gate refused the merged content; nothing changed.
            UnknownRevisionError: ``rev`` does not exist.
        """
        return self._remotes.merge(rev, gate=gate, prefer=prefer, message=message, author=author)

    def sync_with(
        self,
        remote: str = "origin",
        *,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        attempts: int = 16,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """Land our commits on ``remote``: pull, push, and retry fairly when others won.

        The loop many agents sharing one branch need: pull (merge what others pushed),
        push; when another push landed in between, back off for a random, growing time
        and do it again, up to ``attempts`` pushes. After landing, the next ``sync_with``
        of this repository first steps aside for one to three times a recent sync's
        duration, so agents that lost the race get their turn (docs/remotes.md, "Many
        agents, one host").

        Args:
            remote: a configured remote's name, or a URL or path.
            gate: see `merge`.
            prefer: see `merge`; ``None`` stops at the first conflict.
            attempts: pushes tried at most.
            backoff: the first backoff window in seconds (doubled after each lost race).
            max_backoff: the largest backoff window, and the longest pause after landing.
            author: ``"Name <email>"`` of the merge commits.
            progress: receives the remote's progress messages.

        Returns:
            What happened: refs pushed, what each pull brought in, attempts, time waited.

        Raises:
            ConflictError: a merge conflict (``conflicts`` lists them; nothing changed),
                or the host's branch moved before each of ``attempts`` pushes (``ref`` is
                set; our commits stay here: call again later).
            CommitRejectedError: the gate refused the merged content; nothing changed.
            RemoteError: the remote is unknown, unreachable, or refused the push.
        """
        return self._remotes.sync_with(
            remote,
            gate=gate,
            prefer=prefer,
            attempts=attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            author=author,
            progress=progress,
        )

    # -- internals -------------------------------------------------------------------

    def _commit(
        self,
        files: Mapping[str, StagedFile | None],
        message: str,
        trailers: Mapping[str, str] | None,
        *,
        author: str | None,
        expected_head: str | ExpectedHead | None,
        materialize: bool,
        base_blobs: Mapping[str, str | None] | None = None,
        filters: WorktreeFilters | None = None,
        disk_blobs: Mapping[str, str | None] | None = None,
    ) -> CommitInfo:
        from gitworktree.history._core.identity import Signature, check_identity
        from gitworktree.history._worktree.commit import CommitText, publish_commit

        self._require_work_tree()
        text = CommitText(
            compose_message(message, trailers),
            Signature.now(check_identity(author) if author else self._identity("AUTHOR"), "AUTHOR"),
            Signature.now(self._identity("COMMITTER")),
        )
        if isinstance(expected_head, str):
            expected_head = self._check_expected(expected_head)
        commit = publish_commit(
            self._repo,
            files,
            text,
            expected_head=expected_head,
            materialize=materialize,
            base_blobs=base_blobs,
            filters=filters,
            disk_blobs=disk_blobs,
        )
        self._pack_loose_objects_if_due()
        return commit_info(self._repo.object_store, commit)

    def _mode_on_disk(self, path: str) -> int | None:
        """The mode ``git add`` would record for the file at ``path``, if it is one.

        A person's ``chmod +x`` (or ``-x``) is kept through our rewrite of the file, as
        git keeps it (the caller asks only while ``core.fileMode`` is on). ``None``: keep
        the tree's mode.
        """
        try:
            info = os.lstat(os.path.join(self._repo.path, path))
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return _EXECUTABLE if info.st_mode & stat.S_IXUSR else _REGULAR

    def _require_work_tree(self) -> None:
        if self._read_only:
            raise ReadOnlyError(
                f"{self.path}: this repository was opened read-only (Repository.open("
                "read_only=True)); open it without read_only to use its work tree"
            )

    def _pack_loose_objects_if_due(self) -> None:
        """Pack the loose objects when ``git gc --auto`` would (see `housekeeping`)."""
        from dulwich.file import FileLocked
        from dulwich.object_store import DiskObjectStore

        from gitworktree.history._objects.housekeeping import (
            auto_pack_threshold,
            pack_loose_objects_if_due,
        )

        store = self._repo.object_store
        if self._auto_pack_failed or not isinstance(store, DiskObjectStore):
            return
        # Read at every commit (the kept config answers it): a person's `git config
        # gc.auto 0` between two commits applies from the next one, as it does with git.
        threshold = auto_pack_threshold(self._config_stack())
        try:
            packed = pack_loose_objects_if_due(store, threshold)
        except (OSError, FileLocked) as error:  # the commit has landed: this is only tidying
            log.warning("could not pack the loose objects of %s: %s", self.path, error)
            self._auto_pack_failed = True  # not again with every commit of this process
            return
        if packed:
            log.info("packed %d loose objects in %s", packed, self.path)

    def _check_expected(self, sha: str) -> str:
        if len(sha) != 40 or any(char not in "0123456789abcdef" for char in sha.lower()):
            raise ValueError(f"expected_head must be a full 40-digit commit id, not {sha!r}")
        return sha.lower()

    def _identity(self, kind: str) -> str:
        from gitworktree.history._core.identity import repository_identity

        return repository_identity(self._config_stack, kind)  # read only if needed

    def _config_stack(self) -> StackedConfig:
        """The configuration as its files are now (a person may have edited them since we
        opened): parsed again when one of them changed (see `ConfigFiles`)."""
        return open_repo(lambda _: self._config_files.stack(), self._repo.path)

    def _tree(self, rev: str) -> ObjectID:
        store = self._repo.object_store
        if rev in ("HEAD", "@"):
            # A mount asks for HEAD's tree once per directory: while HEAD stays at a
            # commit read already (so known to be one), neither peel nor parse it again.
            head = read_ref(self._repo, HEAD)
            known = None if head is None else known_commit_tree(store, head)
            if known is not None:
                return known
        return commit_tree(store, resolve_revision(self._repo, rev))

    def _tree_or_empty(self, rev: str) -> ObjectID | None:
        if rev in ("HEAD", "@") and self.head is None:
            return None
        return self._tree(rev)

    def _blob(self, sha: ObjectID) -> Blob:
        return load_object(self._repo.object_store, sha, Blob)

    def _restore_target(self, target: str | Checkpoint) -> tuple[ObjectID, str]:
        """The commit a restore goes back to, and how to name it in the message."""
        if isinstance(target, Checkpoint):
            check_ref_name(target.name)  # it becomes the restore commit's subject
            sha = ObjectID(target.sha.encode("ascii"))
            if sha not in self._repo.object_store:
                raise CheckpointError(target.name, f"checkpoint {target.name!r}: no commit {sha!r}")
            return sha, target.label
        # A checkpoint's bare name is found last, after ids and refs (revisions.py), so
        # that an id printed by `log` always means that commit.
        try:
            return resolve_revision(self._repo, target), target
        except UnknownRevisionError as err:
            raise CheckpointError(
                target,
                f"no checkpoint or revision named {target!r}; Repository.checkpoints() lists "
                "the checkpoints, Repository.log() the commits",
                reason="unknown-target",
            ) from err

    def _restore_files(
        self,
        target: ObjectID,
        label: str,
        head: ObjectID | None,
        prefixes: Sequence[str] | None,
    ) -> tuple[dict[str, StagedFile | None], dict[str, str | None]]:
        """The files a restore of ``target`` writes, once checked safe to overwrite, and
        the blob id each held on disk when checked (checked again under the index lock)."""
        from gitworktree.history._worktree.commit import StagedFile, check_staged_links
        from gitworktree.history._worktree.restore import check_unmodified, restore_edits

        store = self._repo.object_store
        head_tree = None if head is None else load_commit(store, head).tree
        target_tree = load_commit(store, target).tree
        try:
            edits = restore_edits(store, head_tree, target_tree, prefixes)
        except LookupError as err:
            raise CheckpointError(
                label,
                f"{err.args[0]!r} exists neither in {label!r} nor at HEAD; give a path that "
                f"one of them has (`git ls-tree -r --name-only {target.decode('ascii')[:12]}` "
                f"lists the files of {label!r})",
            ) from err
        on_disk = check_unmodified(self._repo, edits, head_tree, self.worktree_filters())
        files = {
            path: None if edit is None else StagedFile(self._blob(edit[1]), edit[0])
            for path, edit in edits.items()
        }
        check_staged_links(files)
        return files, on_disk


def _refuse_links_at_artifacts(
    files: Mapping[str, StagedFile | None], artifacts: Callable[[str], bool]
) -> None:
    for path, file in sorted(files.items()):
        if file is not None and stat.S_ISLNK(file.mode or 0) and artifacts(path):
            raise UntrustedTreeError(path, "is a symbolic link where a file is declared")


def _enclosing_root(path: Path) -> Path:
    """The nearest directory at or above ``path`` holding a ``.git``, as discovery finds it
    (``path`` itself when none does: discovery then reports that)."""
    for directory in (path.absolute(), *path.absolute().parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return path
