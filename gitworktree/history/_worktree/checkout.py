"""Bringing work-tree files back to HEAD: discarding changes, and finishing a checkout.

- `discard_worktree_changes` throws away uncommitted changes under some paths (``git
  checkout`` plus ``git clean`` for them): a failed transaction uses it for anchors.
- `recover_interrupted_checkout` finishes what a killed commit or restore left undone:
  the branch moved, but some files and index entries were not written yet.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID
from dulwich.repo import Repo

from gitworktree.atomic import is_temporary
from gitworktree.errors import UnsafePathError
from gitworktree.history._core.untrusted import naming_commit
from gitworktree.history._objects.commits import load_commit
from gitworktree.history._objects.rawtrees import blob_content, iter_tree_files
from gitworktree.history._objects.trees import lookup_entry
from gitworktree.history._refs.refs import HEAD, read_ref
from gitworktree.history._worktree.attributes import WorktreeFilters
from gitworktree.history._worktree.index import locked_index
from gitworktree.history._worktree.index_entries import read_index_entries
from gitworktree.history._worktree.index_file import cleanup_mode
from gitworktree.history._worktree.materialize import WorktreeFile, write_worktree
from gitworktree.history._worktree.shapes import check_head
from gitworktree.history._worktree.status import scan_worktree, worktree_entry
from gitworktree.history._worktree.writelock import last_writer_state

__all__ = [
    "ListedDirectory",
    "delete_temporary_files",
    "discard_worktree_changes",
    "find_temporary_files",
    "list_directory_entry",
    "recover_interrupted_checkout",
    "remove_temporary_files",
    "writer_was_interrupted",
]


def discard_worktree_changes(repo: Repo, prefixes: Sequence[str]) -> list[str]:
    """Make the files under ``prefixes`` what HEAD holds; return the paths changed.

    Modified and deleted files are written back from HEAD; files HEAD does not have
    are deleted. Their index entries follow, so ``git status`` is clean for them.
    """
    head = read_ref(repo, HEAD)
    with naming_commit(head):
        return _discard(repo, head, prefixes)


def _discard(repo: Repo, head: ObjectID | None, prefixes: Sequence[str]) -> list[str]:
    store = repo.object_store
    head_tree = None if head is None else load_commit(store, head).tree
    changes = scan_worktree(repo, head_tree, list(prefixes))
    files: dict[str, WorktreeFile | None] = {}
    shas: dict[str, str] = {}
    for change in changes:
        entry = None if head_tree is None else lookup_entry(store, head_tree, change.path)
        if entry is None:
            files[change.path] = None
            continue
        mode, sha = entry
        if stat.S_ISDIR(mode):  # a person put a file or link where HEAD has a directory
            raise UnsafePathError(
                change.path,
                "is a symbolic link or file where HEAD has a directory; nothing was "
                "changed. Remove it, then discard again",
                root=repo.path,
            )
        files[change.path] = WorktreeFile(mode, blob_content(store, sha))
        shas[change.path] = sha.decode("ascii")
    if not files:
        return []
    with locked_index(repo) as index:
        filters = WorktreeFilters.for_repo(repo)
        index.configure(filters)
        written = write_worktree(Path(repo.path), files, filters)
        index.apply(
            {
                path: None if result is None else (shas[path], result)
                for path, result in written.items()
            }
        )
    return sorted(files)


def recover_interrupted_checkout(
    repo: Repo, *, finish_checkout: bool = True, remove_temporaries: bool = True
) -> list[str]:
    """Finish what a killed commit or restore left behind; return the paths repaired.

    Our writers write the files and put the new index in place, then move the branch
    (see `gitworktree.history._worktree.commit`). A process killed in between leaves the index
    ahead of HEAD (or, from older versions, behind it): for each path, one of:

    - the file already as HEAD has it, but a stale index entry: the entry is fixed;
    - the file still as the index has it (the commit that never landed, or the old
      version): it is written from HEAD;
    - anything else: someone edited the file since the checkout — it is left alone.

    Temporary files of interrupted atomic writes are removed. The caller holds the
    writer lock (no other gitworktree writer is mid-write); the index lock is taken too.

    Usually nothing was interrupted, and the index's cached root tree says so in O(1)
    (our writers keep it up to date, as git does). Otherwise every entry is compared
    with HEAD; when all match, complete cached trees are recorded for next time.

    HEAD must name a commit first: an emptied branch or HEAD (a crash's usual damage)
    reads as "no commit", which would make every tracked file look stale and be deleted.
    Such a repository is refused before anything is touched; on an unborn branch of a
    fresh repository there is nothing to finish.

    Args:
        repo: the repository.
        finish_checkout: ``False``: only remove temporary files (no writer was killed
            mid-write, so files that differ from HEAD are not ours to rewrite).
        remove_temporaries: ``False``: leave temporary files to the caller, who calls
            `remove_temporary_files` under the writer lock after a scan of its own.

    Raises:
        UnsupportedRepositoryError: HEAD or its branch does not name a commit, or HEAD
            points at a missing branch while the index tracks files.
    """
    if check_head(repo):
        return []  # a fresh repository: no commit was ever checked out
    store = repo.object_store
    root = Path(repo.path)
    removed_temps = remove_temporary_files(root) if remove_temporaries else []
    if not finish_checkout:
        return sorted(removed_temps)
    with locked_index(repo) as index:
        head = read_ref(repo, HEAD)
        if head is None:  # emptied since check_head: still never "delete everything"
            check_head(repo)
            return sorted(removed_temps)
        head_tree = load_commit(store, head).tree
        if index.matches_tree(head_tree):
            return sorted(removed_temps)
        entries, index_mtime = read_index_entries(repo)
        with naming_commit(head):
            committed = _committed_entries(repo, head_tree)
        filters = WorktreeFilters.for_repo(repo)
        files: dict[str, WorktreeFile | None] = {}
        updates: dict[str, tuple[str, os.stat_result] | None] = {}
        differs = False
        for path in set(committed) | set(entries):
            entry = entries.get(path)
            indexed = None if entry is None else (cleanup_mode(entry.mode), entry.sha)
            target = committed.get(path)
            if indexed == target:
                continue
            differs = True
            on_disk = worktree_entry(root, path, entry, index_mtime, filters)
            if on_disk == target:
                updates[path] = None if target is None else (target[1].decode(), _lstat(root, path))
            elif on_disk == indexed:
                files[path] = None if target is None else _worktree_file(store, target)
        with naming_commit(head):
            written = write_worktree(root, files, filters) if files else {}
        for path, result in written.items():
            target = committed.get(path)
            updates[path] = (
                None if result is None or target is None else (target[1].decode(), result)
            )
        if updates:
            index.apply(updates)
        elif head_tree is not None and not differs:
            index.record_tree(store, head_tree)  # every entry matched: vouch for it
    return sorted({*updates, *removed_temps})


def writer_was_interrupted(control_dir: Path) -> bool:
    """Whether the writer lock's record shows a writer that did not finish.

    Only then can a checkout have been left half-written by us: a record at ``idle`` (or
    none: no gitworktree writer ever ran) proves there is nothing to finish, and files
    that differ from HEAD are someone's edits or someone's branch move, not our debris.
    """
    state = last_writer_state(control_dir).get("state")
    return state is not None and state != "idle"


def _committed_entries(repo: Repo, head_tree: ObjectID | None) -> dict[str, tuple[int, ObjectID]]:
    if head_tree is None:
        return {}
    return {path: (mode, sha) for path, mode, sha in iter_tree_files(repo.object_store, head_tree)}


def _worktree_file(store: BaseObjectStore, target: tuple[int, ObjectID]) -> WorktreeFile:
    return WorktreeFile(target[0], blob_content(store, target[1]))


def _lstat(root: Path, path: str) -> os.stat_result:
    return os.lstat(root / path)


class ListedDirectory(NamedTuple):
    """What a scan of one work-tree directory found that `remove_temporary_files` needs.

    Attributes:
        temporaries: names of temporary files of atomic writes (not directories).
        subdirectories: names of the directories in it (not symlinks, not ``.git``).
    """

    temporaries: list[str]
    subdirectories: list[str]


def list_directory_entry(entry: os.DirEntry[str], into: ListedDirectory) -> None:
    """Note ``entry`` in ``into`` if it is a temporary file or a directory to walk."""
    name = entry.name
    if entry.is_dir(follow_symlinks=False):
        if name != ".git":  # nor a nested repository's: not ours
            into.subdirectories.append(name)
    elif is_temporary(name) and not entry.is_dir():
        into.temporaries.append(name)


def remove_temporary_files(
    root: Path, listed: Mapping[str, ListedDirectory] | None = None
) -> list[str]:
    """Delete the temporary files of atomic writes that a killed process left behind.

    `find_temporary_files`, then `delete_temporary_files`; the caller holds the writer
    lock, so no writer of ours is still using one.

    Returns:
        The paths (relative to ``root``) of the files deleted.
    """
    return delete_temporary_files(root, find_temporary_files(root, listed))


def find_temporary_files(
    root: Path, listed: Mapping[str, ListedDirectory] | None = None
) -> list[str]:
    """The temporary files of atomic writes in the work tree, relative to ``root``.

    Every directory of the work tree is looked at (``.git`` and symlinks left out).
    Only reads: no lock is needed to look.

    Args:
        root: the work tree.
        listed: directories (by path relative to ``root``, ``""`` for the root) that
            the caller has just scanned for other reasons, with what it found: these
            are not listed again. A mount's scan of a map directory of 10,000 items
            costs as much as listing it again here (~4 ms).
    """
    temporaries: list[str] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        found = None if listed is None else listed.get(relative)
        if found is None:
            found = ListedDirectory([], [])
            try:
                with os.scandir(os.path.join(root, relative)) as scan:
                    for entry in scan:
                        list_directory_entry(entry, found)
            except OSError:
                continue  # gone or unreadable: as os.walk, nothing to do there
        prefix = f"{relative}/" if relative else ""
        temporaries.extend(prefix + name for name in found.temporaries)
        pending.extend(prefix + name for name in found.subdirectories)
    return sorted(temporaries)


def delete_temporary_files(root: Path, paths: Sequence[str]) -> list[str]:
    """Delete the temporary files at ``paths`` (relative to ``root``) that are still there.

    The caller holds the writer lock. Returns the paths deleted: a file renamed away
    since it was found (its writer finished) is not among them.
    """
    removed = []
    for path in paths:
        try:
            os.unlink(os.path.join(root, path))
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
