"""Diffs between two commits, or a commit and the work tree, as `FileChange` lists.

Each change carries a git-style unified patch (``diff --git`` header, ``--- a/path`` /
``+++ b/path``, ``Binary files ... differ`` for binary content) and, for ``.json`` files
whose both sides parse, the structural changes by JSON Pointer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, Blob, ObjectID
from dulwich.repo import Repo

from gitworktree.history.damage import load_object
from gitworktree.history.paths import decode_path, encode_path, under_prefix
from gitworktree.history.pointers import PointerChange, json_pointer_changes
from gitworktree.history.status import read_worktree_file, scan_worktree
from gitworktree.history.trees import lookup_entry

__all__ = ["FileChange", "diff_trees", "diff_worktree", "file_change"]

_Side = tuple[int, bytes] | None  # (mode, content) of one side, None if absent


@dataclass(frozen=True)
class FileChange:
    """How one file differs between two states.

    Attributes:
        path: repository-relative POSIX path.
        status: ``"added"``, ``"modified"`` or ``"deleted"``.
        old_sha: blob id before, ``None`` if added.
        new_sha: blob id after, ``None`` if deleted.
        patch: unified diff text with git-style headers.
        pointers: for a ``.json`` file whose both sides parse, the changed values by JSON
            Pointer; otherwise empty.
    """

    path: str
    status: str
    old_sha: str | None
    new_sha: str | None
    patch: str
    pointers: tuple[PointerChange, ...] = ()


def diff_trees(
    store: BaseObjectStore,
    old_tree: ObjectID | None,
    new_tree: ObjectID | None,
    prefixes: Sequence[str] | None = None,
) -> list[FileChange]:
    """Changes from ``old_tree`` to ``new_tree`` (``None``: empty), sorted by path."""
    from dulwich.diff_tree import tree_changes

    changes = []
    for change in tree_changes(store, old_tree, new_tree, change_type_same=True):
        old, new = change.old, change.new
        entry = new if new is not None else old
        if entry is None or entry.path is None or S_ISGITLINK(entry.mode or 0):
            continue
        path = decode_path(entry.path)
        if not under_prefix(path, prefixes):
            continue
        old_side = None if old is None else (old.mode or 0, _blob_data(store, old.sha))
        new_side = None if new is None else (new.mode or 0, _blob_data(store, new.sha))
        changes.append(file_change(path, old_side, new_side))
    return sorted(changes, key=lambda change: change.path)


def diff_worktree(
    repo: Repo, old_tree: ObjectID | None, prefixes: Sequence[str] | None = None
) -> list[FileChange]:
    """Changes from ``old_tree`` to the files in the work tree, sorted by path."""
    root = Path(repo.path)
    changes = []
    for status in scan_worktree(repo, old_tree, prefixes):
        old_side: _Side = None
        new_side: _Side = None
        if status.old_sha is not None:
            assert old_tree is not None
            old_side = _tree_side(repo.object_store, old_tree, status.path)
        if status.new_sha is not None:
            mode = 0o120000 if (root / status.path).is_symlink() else _file_mode(root, status.path)
            new_side = (mode, read_worktree_file(root, status.path))
        changes.append(file_change(status.path, old_side, new_side))
    return changes


def file_change(path: str, old: _Side, new: _Side) -> FileChange:
    """Describe the change of ``path`` from side ``old`` to side ``new`` (mode, content)."""
    old_sha = None if old is None else Blob.from_string(old[1]).id.decode("ascii")
    new_sha = None if new is None else Blob.from_string(new[1]).id.decode("ascii")
    status = "added" if old is None else "deleted" if new is None else "modified"
    pointers: tuple[PointerChange, ...] = ()
    if path.endswith(".json") and old is not None and new is not None:
        pointers = json_pointer_changes(old[1], new[1]) or ()
    return FileChange(path, status, old_sha, new_sha, _patch(path, old, new), pointers)


def _patch(path: str, old: _Side, new: _Side) -> str:
    from dulwich.patch import gen_diff_header, is_binary, unified_diff  # with email: only to diff

    raw = encode_path(path)
    out = io.BytesIO()
    out.writelines(
        gen_diff_header(
            (raw, raw),
            (None if old is None else old[0], None if new is None else new[0]),
            (
                None if old is None else Blob.from_string(old[1]).id,
                None if new is None else Blob.from_string(new[1]).id,
            ),
        )
    )
    before = b"" if old is None else old[1]
    after = b"" if new is None else new[1]
    from_name = b"/dev/null" if old is None else b"a/" + raw
    to_name = b"/dev/null" if new is None else b"b/" + raw
    if is_binary(before) or is_binary(after):
        out.write(b"Binary files " + from_name + b" and " + to_name + b" differ\n")
    else:
        out.writelines(
            unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                from_name,
                to_name,
            )
        )
    return out.getvalue().decode("utf-8", "replace")


def _blob_data(store: BaseObjectStore, sha: ObjectID | None) -> bytes:
    assert sha is not None  # a side that exists has an id
    return load_object(store, sha, Blob).as_raw_string()


def _tree_side(store: BaseObjectStore, tree: ObjectID, path: str) -> _Side:
    entry = lookup_entry(store, tree, path)
    if entry is None:
        return None
    return entry[0], _blob_data(store, entry[1])


def _file_mode(root: Path, path: str) -> int:
    return 0o100755 if (root / path).stat().st_mode & 0o100 else 0o100644
