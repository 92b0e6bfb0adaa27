"""The work tree against a commit's tree: which files were added, modified or deleted.

Tracked files (in the tree or the index) are compared by blob id; a file whose stat data
still matches its index entry is not read again, as in git. Untracked files count as
added unless ignored (``.gitignore``, ``.git/info/exclude``, ``core.excludesFile``).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.objects import S_ISGITLINK, Blob, ObjectID
from dulwich.repo import Repo

from gitworktree.atomic import is_temporary
from gitworktree.history._core.configfiles import FileStamp, settled
from gitworktree.history._core.paths import under_prefix
from gitworktree.history._objects.rawtrees import iter_tree_files
from gitworktree.history._objects.trees import lookup_entry
from gitworktree.history._worktree.index_entries import entry_matches_stat, read_index_entries
from gitworktree.history._worktree.index_file import IndexEntry, cleanup_mode
from gitworktree.history._worktree.inprogress import unmerged_paths

if TYPE_CHECKING:
    from dulwich.ignore import IgnoreFilterManager

    from gitworktree.history._worktree.attributes import WorktreeFilters

__all__ = ["FileStatus", "StaleStats", "read_worktree_file", "scan_worktree", "worktree_entry"]


@dataclass(frozen=True)
class FileStatus:
    """How one path in the work tree differs from a commit.

    Attributes:
        path: repository-relative POSIX path.
        status: ``"added"``, ``"modified"``, ``"deleted"``, or ``"unmerged"`` for a path
            a git merge, rebase, cherry-pick or revert left in conflict (its index
            entries are at stages 1-3; the file on disk has the conflict markers).
        old_sha: blob id in the commit, ``None`` if added.
        new_sha: blob id of the file on disk, ``None`` if deleted.
    """

    path: str
    status: str
    old_sha: str | None
    new_sha: str | None


class StaleStats:
    """Files whose content was hashed and found to be their index entry's, though their
    stat data no longer vouched for it (a copied or restored work tree: every inode
    changed), with the ``lstat`` taken before they were read.

    Recording that stat data in the index (`refresh_stat_data`), as ``git status`` does,
    lets the next look trust a ``stat`` instead of reading every file again. Only files
    whose mtime had settled when they were looked at are kept: a file changed since can
    then not keep the same mtime (git's "racily clean" case; see `settled`).
    """

    __slots__ = ("found", "now_ns")

    def __init__(self) -> None:
        self.now_ns = time.time_ns()
        self.found: dict[str, tuple[ObjectID, os.stat_result]] = {}

    def note(self, path: str, sha: ObjectID, stat_result: os.stat_result) -> None:
        """Keep ``path``'s stat data, if its mtime had settled before it was looked at.

        Its change time is left out, as `entry_matches_stat` leaves it out: a copy
        (``cp -a``, a restored backup) sets it, without changing the content.
        """
        mtime = stat_result.st_mtime_ns
        if settled(FileStamp(stat_result.st_ino, stat_result.st_size, mtime, mtime), self.now_ns):
            self.found[path] = (sha, stat_result)


def scan_worktree(
    repo: Repo,
    base_tree: ObjectID | None,
    prefixes: Sequence[str] | None = None,
    stale: StaleStats | None = None,
) -> list[FileStatus]:
    """Compare the work tree with ``base_tree``, sorted by path.

    Args:
        repo: a non-bare repository.
        base_tree: the tree to compare with; ``None`` for an empty tree.
        prefixes: only report these files or directories (checked paths); only their
            part of the tree and of the disk is read.
        stale: where to note tracked files found unchanged by their content though their
            stat data had changed (nothing is noted when not given).
    """
    base = _tree_files(repo, base_tree, prefixes)
    index, index_mtime = read_index_entries(repo)
    unmerged = {path for path in unmerged_paths(repo) if under_prefix(path, prefixes)}
    tracked = set(base) | unmerged | {path for path in index if under_prefix(path, prefixes)}
    root = Path(repo.path)
    filters = _LineEndings(repo)
    found: dict[str, tuple[int, ObjectID] | None] = {
        path: worktree_entry(root, path, index.get(path), index_mtime, filters, stale)
        for path in tracked
    }
    known = tracked | set(index)
    for path in _untracked(repo, root, known, prefixes):
        found[path] = worktree_entry(root, path, None, 0, filters)
    changes = []
    for path in sorted(found):
        old, new = base.get(path), found[path]
        if old != new or path in unmerged:
            if path in unmerged:
                status = "unmerged"
            else:
                status = "added" if old is None else "deleted" if new is None else "modified"
            changes.append(
                FileStatus(
                    path,
                    status,
                    None if old is None else old[1].decode("ascii"),
                    None if new is None else new[1].decode("ascii"),
                )
            )
    return changes


def worktree_entry(
    root: Path,
    path: str,
    entry: IndexEntry | None,
    index_mtime: int,
    filters: WorktreeFilters | _LineEndings | None = None,
    stale: StaleStats | None = None,
) -> tuple[int, ObjectID] | None:
    """The ``(mode, blob id)`` of the file at ``path`` on disk; ``None`` if not a file.

    Args:
        root: the work tree root.
        path: repository-relative path.
        entry: the path's index entry, if any: its id is reused when the stat matches.
        index_mtime: the index file's mtime in nanoseconds.
        filters: the line-ending conversion to apply before hashing, as git does.
        stale: where to note the file if it is hashed and holds ``entry``'s content.
    """
    try:
        stat_result = os.lstat(root / path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not (stat.S_ISREG(stat_result.st_mode) or stat.S_ISLNK(stat_result.st_mode)):
        return None  # a directory; or a FIFO, socket or device, which git never stores
    mode = cleanup_mode(stat_result.st_mode)
    if entry is not None and entry_matches_stat(entry, stat_result, index_mtime):
        return mode, entry.sha
    data = read_worktree_file(root, path)
    if filters is not None and not stat.S_ISLNK(stat_result.st_mode):
        data = filters.clean(path, data)
    sha = Blob.from_string(data).id
    if stale is not None and entry is not None and (entry.mode, entry.sha) == (mode, sha):
        stale.note(path, sha, stat_result)
    return mode, sha


def read_worktree_file(root: Path, path: str) -> bytes:
    """The content git would store for ``path``: a file's bytes or a symlink's target."""
    target = root / path
    if target.is_symlink():
        return os.fsencode(os.readlink(target))
    return target.read_bytes()


def _tree_files(
    repo: Repo, tree: ObjectID | None, prefixes: Sequence[str] | None
) -> dict[str, tuple[int, ObjectID]]:
    """The files of ``tree`` (only under ``prefixes``), submodules left out."""
    files: dict[str, tuple[int, ObjectID]] = {}
    if tree is None:
        return files
    store = repo.object_store
    for prefix in [""] if prefixes is None else prefixes:
        entry = lookup_entry(store, tree, prefix)
        if entry is None or S_ISGITLINK(entry[0]):
            continue
        if not stat.S_ISDIR(entry[0]):
            files[prefix] = entry
            continue
        below = f"{prefix}/" if prefix else ""
        for path, mode, sha in iter_tree_files(store, entry[1], below):
            if not S_ISGITLINK(mode):
                files[path] = (mode, sha)
    return files


def _untracked(
    repo: Repo, root: Path, known: set[str], prefixes: Sequence[str] | None
) -> Iterator[str]:
    """Files on disk (under ``prefixes``) neither known to git nor ignored."""
    ignore = _IgnoreRules(repo)
    for prefix in [""] if prefixes is None else prefixes:
        start = root / prefix
        if not prefix or (start.is_dir() and not start.is_symlink()):
            yield from _walk_untracked(root, start, known, ignore)
        elif os.path.lexists(start) and prefix not in known and not ignore.is_ignored(prefix):
            yield prefix


class _LineEndings:
    """The work tree's line-ending conversion, set up when a file is first hashed.

    A scan whose files all match their index entries (a clean work tree) hashes none, so
    it does not import the attributes machinery.
    """

    __slots__ = ("_filters", "_repo")

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._filters: WorktreeFilters | None = None

    def clean(self, path: str, data: bytes) -> bytes:
        """What git stores for ``path`` holding ``data`` on disk (`WorktreeFilters.clean`)."""
        if self._filters is None:
            from gitworktree.history._worktree.attributes import WorktreeFilters

            self._filters = WorktreeFilters.for_repo(self._repo)
        return self._filters.clean(path, data)


class _IgnoreRules:
    """The repository's ignore rules, read when first asked about a path.

    A scan that meets no untracked file or directory (a clean work tree) asks nothing,
    so it neither reads the ignore files nor imports dulwich's ignore module.
    """

    __slots__ = ("_repo", "_rules")

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._rules: IgnoreFilterManager | None = None

    def is_ignored(self, path: str) -> bool:
        """Whether ``path`` (a directory ends in ``/``) is ignored."""
        if self._rules is None:
            from gitworktree.history._worktree.ignores import ignore_rules

            self._rules = ignore_rules(self._repo)
        return bool(self._rules.is_ignored(path))


def _walk_untracked(
    root: Path, start: Path, known: set[str], ignore: _IgnoreRules
) -> Iterator[str]:
    """Walk ``start``: ignored directories are entered only if they hold tracked files, and
    nested repositories are skipped, as git does."""
    tracked_dirs = {path.rsplit("/", i)[0] for path in known for i in range(1, path.count("/") + 1)}
    for directory, dirnames, filenames in os.walk(start):
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        base = "" if relative == "." else relative + "/"
        keep = []
        for name in sorted(dirnames):
            full = base + name
            if os.path.islink(os.path.join(directory, name)):
                filenames.append(name)  # a symlink to a directory is a file to git
            elif name == ".git" or os.path.exists(os.path.join(directory, name, ".git")):
                continue
            elif full in tracked_dirs or not ignore.is_ignored(full + "/"):
                keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            full = base + name
            if name == ".git":
                continue  # a linked worktree's or submodule's pointer to its git directory
            if full not in known and not is_temporary(name) and not ignore.is_ignored(full):
                yield full
