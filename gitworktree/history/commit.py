"""The write half of the commit pipeline: objects, compare-and-swap, reflogs, work tree.

Order matters for the guarantee that a failed commit leaves no trace a reader can see:

1. blobs, then the trees along the changed paths, then the commit object are stored
   (unreferenced objects are invisible, and ``git gc`` collects them);
2. the index lock is taken first (it serializes writers of the work tree), and the
   work tree targets are checked, so that a blocked path or a stale ``index.lock``
   fails before anything is published;
3. the branch moves by compare-and-swap from the expected parent (`ConflictError` if it
   moved), logged for the branch and for HEAD;
4. the changed files are written atomically and their index entries updated.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dulwich.objects import Blob, Commit, ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import ConflictError
from gitworktree.history.commits import load_commit
from gitworktree.history.identity import Signature
from gitworktree.history.index import IndexLock, locked_index
from gitworktree.history.locks import add_object, lock_errors, wait_for_lock
from gitworktree.history.materialize import (
    WorktreeFile,
    check_worktree_targets,
    write_worktree,
)
from gitworktree.history.refs import advance_branch, branch_ref, read_ref
from gitworktree.history.treebuild import FILE_MODE, TreeEdit, apply_tree_edits
from gitworktree.history.trees import lookup_entry

__all__ = [
    "ANY_HEAD",
    "CommitText",
    "ExpectedHead",
    "StagedFile",
    "publish_commit",
    "reset_branch",
]


class ExpectedHead(enum.Enum):
    """Sentinel type for ``expected_head``: `ANY_HEAD` skips the caller's check."""

    ANY = "any"


#: ``expected_head=ANY_HEAD``: commit on whatever the branch points at when the commit
#: starts (the ref update is still a compare-and-swap against that value).
ANY_HEAD: Final = ExpectedHead.ANY


@dataclass(frozen=True)
class StagedFile:
    """A file to commit: its blob, and its mode (``None``: keep the old file's mode)."""

    blob: Blob
    mode: int | None = None


@dataclass(frozen=True)
class CommitText:
    """What the commit says and who signs it."""

    message: bytes
    author: Signature
    committer: Signature


def publish_commit(
    repo: Repo,
    files: Mapping[str, StagedFile | None],
    text: CommitText,
    *,
    expected_head: str | ExpectedHead | None,
    materialize: bool,
    base_blobs: Mapping[str, str | None] | None = None,
) -> Commit:
    """Commit ``files`` on the checked-out branch (see the module docstring for the steps).

    Args:
        repo: a non-bare repository with HEAD on a branch.
        files: checked repository-relative path -> file to write, or ``None`` to delete.
        text: the message and signatures.
        expected_head: the commit the branch must point at (``None``: no commit yet), or
            `ANY_HEAD`.
        materialize: also write the files into the work tree and index.
        base_blobs: path -> the blob id the caller's change was based on (``None``: the
            file did not exist). Checked against the branch tip under the index lock, so
            a change built on a version someone else has since replaced is refused,
            while changes to other files simply land on top of theirs.

    Returns:
        The new commit.

    Raises:
        ConflictError: if the branch is not (or no longer) at ``expected_head``, or a
            file in ``base_blobs`` changed at the tip.
        NodeKindError, UnsafePathError: if a path cannot be written in the tree or on disk.
        RepositoryError: for a detached HEAD or a held lock file.
    """
    ref = branch_ref(repo)
    # The index lock serializes writers of this work tree from the first read of the tip
    # to the last index entry, so the checks below cannot go stale before the move.
    with lock_errors(), locked_index(repo) if materialize else nullcontext() as index:
        current = read_ref(repo, ref)
        _check_expected_head(ref, current, expected_head)
        if base_blobs:
            _check_base_blobs(repo, current, base_blobs)
        commit, modes = _store_objects(repo, files, text, current)
        subject = text.message.decode("utf-8", "replace").split("\n", 1)[0]
        action = "commit" if current is not None else "commit (initial)"
        move = _Move(ref, current, commit.id, text.committer, f"{action}: {subject}")
        _move_branch(repo, move, files, modes, index if isinstance(index, IndexLock) else None)
    return commit


def _check_expected_head(
    ref: Ref, current: ObjectID | None, expected_head: str | ExpectedHead | None
) -> None:
    if expected_head is ANY_HEAD:
        return
    expected = None if expected_head is None else expected_head.encode("ascii")
    if expected != current:
        name = ref.decode("utf-8", "replace")
        raise ConflictError(
            f"{name} is at {(current or b'no commit').decode()}, not at "
            f"{expected_head or 'no commit'}; re-sync and retry",
            ref=name,
        )


def _check_base_blobs(
    repo: Repo, current: ObjectID | None, base_blobs: Mapping[str, str | None]
) -> None:
    store = repo.object_store
    tree = None if current is None else load_commit(store, current).tree
    changed = []
    for path, base in sorted(base_blobs.items()):
        entry = None if tree is None else lookup_entry(store, tree, path)
        at_tip = None if entry is None else entry[1].decode("ascii")
        if at_tip != base:
            changed.append(path)
    if changed:
        raise ConflictError(
            f"changed in another commit since you read them: {', '.join(changed)}; "
            "nothing was written. sync() to load the new versions, re-apply your change, "
            "and commit again",
            paths=changed,
        )


def reset_branch(
    repo: Repo,
    target: ObjectID,
    files: Mapping[str, StagedFile | None],
    *,
    expected_head: ObjectID | None,
    signature: Signature,
    message: str,
) -> None:
    """Point the checked-out branch at ``target`` and write ``files`` into the work tree.

    Args:
        repo: a non-bare repository with HEAD on a branch.
        target: the commit to move the branch to.
        files: the edits from the old tree to the target's (modes given).
        expected_head: the commit the branch must still point at.
        signature: who moves it, and when (for the reflogs).
        message: the reflog message, e.g. ``reset: moving to before``.

    Raises:
        ConflictError: if the branch moved.
        RepositoryError: for a detached HEAD or a held lock file.
    """
    modes = {path: file.mode or FILE_MODE for path, file in files.items() if file is not None}
    move = _Move(branch_ref(repo), expected_head, target, signature, message)
    with lock_errors(), locked_index(repo) as index:
        _move_branch(repo, move, files, modes, index)


@dataclass(frozen=True)
class _Move:
    ref: Ref
    old: ObjectID | None
    new: ObjectID
    signature: Signature
    message: str


def _move_branch(
    repo: Repo,
    move: _Move,
    files: Mapping[str, StagedFile | None],
    modes: Mapping[str, int],
    index: IndexLock | None,
) -> None:
    """Check the work tree, move the branch, then write files and index (if ``index``)."""
    worktree = {
        path: None if file is None else WorktreeFile(modes[path], file.blob.as_raw_string())
        for path, file in files.items()
    }
    root = Path(repo.path)
    if index is not None:
        check_worktree_targets(root, worktree)
    wait_for_lock(
        lambda: advance_branch(
            repo, move.ref, move.old, move.new, signature=move.signature, message=move.message
        )
    )
    if index is not None:
        _materialize(root, worktree, files, index)


def _store_objects(
    repo: Repo,
    files: Mapping[str, StagedFile | None],
    text: CommitText,
    parent: ObjectID | None,
) -> tuple[Commit, dict[str, int]]:
    """Store blobs, trees and the commit object; return the commit and the files' modes."""
    store = repo.object_store
    edits: dict[str, TreeEdit] = {}
    for path, file in files.items():
        if file is not None:
            add_object(store, file.blob)
        edits[path] = None if file is None else (file.mode, file.blob.id)
    base_tree = None if parent is None else load_commit(store, parent).tree
    tree, modes = apply_tree_edits(store, base_tree, edits)
    commit = Commit()
    commit.tree = tree
    commit.parents = [] if parent is None else [parent]
    commit.author = text.author.raw
    commit.author_time = text.author.timestamp
    commit.author_timezone = text.author.offset
    commit.committer = text.committer.raw
    commit.commit_time = text.committer.timestamp
    commit.commit_timezone = text.committer.offset
    commit.message = text.message
    add_object(store, commit)
    return commit, modes


def _materialize(
    root: Path,
    worktree: Mapping[str, WorktreeFile | None],
    files: Mapping[str, StagedFile | None],
    index: IndexLock,
) -> None:
    stats = write_worktree(root, worktree)
    updates: dict[str, tuple[str, os.stat_result] | None] = {}
    for path, stat_result in stats.items():
        file = files[path]
        if stat_result is None or file is None:
            updates[path] = None
        else:
            updates[path] = (file.blob.id.decode("ascii"), stat_result)
    index.apply(updates)
