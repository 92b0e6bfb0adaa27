"""What a restore changes: the tree edits that turn HEAD's tree into a target's.

For a whole-tree restore this is the diff of the two trees. For ``paths`` it is limited
to those files and directory prefixes: each gets the target's content, and files the
target lacks there are deleted. Everything else keeps HEAD's content.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, ObjectID
from dulwich.repo import Repo

from gitworktree.errors import ConflictError, UntrustedTreeError
from gitworktree.history._objects.rawtrees import diff_tree_files, iter_tree_files
from gitworktree.history._objects.trees import lookup_entry
from gitworktree.history._worktree.attributes import WorktreeFilters
from gitworktree.history._worktree.index_entries import read_index_entries
from gitworktree.history._worktree.status import worktree_entry

__all__ = ["FileEntry", "check_unmodified", "restore_edits"]

#: A file in a tree: ``(mode, blob id)``.
FileEntry = tuple[int, ObjectID]


def restore_edits(
    store: BaseObjectStore,
    head_tree: ObjectID | None,
    target_tree: ObjectID,
    prefixes: Sequence[str] | None = None,
) -> dict[str, FileEntry | None]:
    """The edits that make ``head_tree`` (or only ``prefixes`` of it) equal ``target_tree``.

    Args:
        store: the object store.
        head_tree: the current tree; ``None`` on an unborn branch.
        target_tree: the tree to restore.
        prefixes: checked files or directory prefixes; ``None`` for the whole tree.

    Returns:
        path -> the target's ``(mode, blob id)``, or ``None`` to delete the path.

    Raises:
        LookupError: naming a prefix that exists in neither tree.
        UntrustedTreeError: a submodule would replace a file (submodules are never
            written, so the file would stay behind), or an entry breaks git's rules.
    """
    if prefixes is None:
        changes = diff_tree_files(store, head_tree, target_tree)
        for path, (old, new) in changes.items():
            if _is_gitlink(new) and old is not None and not _is_gitlink(old):
                # Never written: the file would stay on disk, no longer what the tree says.
                raise UntrustedTreeError(path, "is a submodule where a file was")
        return {path: new for path, (_old, new) in changes.items() if not _is_gitlink(new)}
    edits: dict[str, FileEntry | None] = {}
    for prefix in prefixes:
        current = _files_at(store, head_tree, prefix)
        wanted = _files_at(store, target_tree, prefix)
        if current is None and wanted is None:
            raise LookupError(prefix)
        current, wanted = current or {}, wanted or {}
        edits.update({path: None for path in current if path not in wanted})
        edits.update({path: entry for path, entry in wanted.items() if current.get(path) != entry})
    return edits


def _files_at(
    store: BaseObjectStore, tree: ObjectID | None, prefix: str
) -> dict[str, FileEntry] | None:
    """The files at ``prefix`` (a file, or every file below a directory), or ``None``."""
    entry = None if tree is None else lookup_entry(store, tree, prefix)
    if entry is None:
        return None
    mode, sha = entry
    if not stat.S_ISDIR(mode):
        return {} if S_ISGITLINK(mode) else {prefix: entry}
    return {
        path: (mode, sha)
        for path, mode, sha in iter_tree_files(store, sha, prefix + "/")
        if not S_ISGITLINK(mode)
    }


def _is_gitlink(edit: FileEntry | None) -> bool:
    return edit is not None and S_ISGITLINK(edit[0])


def check_unmodified(
    repo: Repo,
    edits: Mapping[str, FileEntry | None],
    head_tree: ObjectID | None,
    filters: WorktreeFilters | None = None,
) -> dict[str, str | None]:
    """Refuse to overwrite files whose content on disk is neither HEAD's nor the new one.

    Args:
        repo: the repository whose work tree is about to be written.
        edits: path -> the ``(mode, blob id)`` about to be written, or ``None`` to delete.
        head_tree: the tree of HEAD (what an unmodified file holds); ``None``: no commit.
        filters: the work tree's line-ending conversion (read from ``repo``'s config if
            not given).

    Returns:
        path -> the blob id each file holds on disk (``None``: none), for the write to
        check again under the index lock (`check_disk_blobs`).

    Raises:
        ConflictError: naming every file with uncommitted changes that would be lost.
    """
    index, index_mtime = read_index_entries(repo)
    store, root = repo.object_store, Path(repo.path)
    dirty = []
    seen: dict[str, str | None] = {}
    filters = filters or WorktreeFilters.for_repo(repo)
    for path, wanted in sorted(edits.items()):
        on_disk = worktree_entry(root, path, index.get(path), index_mtime, filters)
        committed = None if head_tree is None else lookup_entry(store, head_tree, path)
        if on_disk is not None and on_disk not in (committed, wanted):
            dirty.append(path)
        seen[path] = None if on_disk is None else on_disk[1].decode("ascii")
    if dirty:
        raise ConflictError(
            f"uncommitted changes would be overwritten: {', '.join(dirty)}; commit or "
            "discard them first",
            paths=dirty,
        )
    return seen
