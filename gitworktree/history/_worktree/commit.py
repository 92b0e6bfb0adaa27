"""The write half of the commit pipeline: objects, index lock, files, index, branch.

The order is what makes a failed commit leave no trace, and a landed one safe from a
person committing with plain ``git`` at the same moment:

1. ``index.lock`` is taken (it serializes every writer of the index and work tree,
   ours and git's), and everything that can refuse is checked under it: which branch is
   checked out and its tip (read now, so no check goes stale before the move: a
   ``git switch`` holds the lock while it rewrites the checkout), the artifacts' bases
   at that tip, that the files to be overwritten still hold what the caller read, the
   work tree targets. A held ``index.lock`` fails here, before anything is written;
2. blobs, the trees along the changed paths and the commit object are stored
   (unreferenced objects are invisible, and ``git gc`` collects them);
3. the changed files are written atomically (what was there is kept in memory), and
   the new index is renamed into place — while ``index.lock`` is still held;
4. the branch moves by compare-and-swap from the tip read in step 1, logged for the
   branch and for HEAD. If it cannot (it moved, a lock, a full disk), the files and
   the index are put back: nothing was published. From here on nothing raises: a
   commit whose branch moved is reported as landed, and what cannot be finished (HEAD's
   reflog entry, removing the lock) is logged as a warning;
5. ``index.lock`` is removed.

Why the index goes in place *before* the branch moves (git's own ``commit`` moves the
branch first and renames its ``index.lock`` last): ``git commit`` reads HEAD, then the
index, both without a lock, and only then takes ``index.lock``; ``git commit -a`` holds
it until after its own branch update, but a plain ``git commit`` releases it *before*
moving the branch. In every interleaving with this order:

- git takes ``index.lock`` while we hold it: git stops ("index.lock exists");
- git read HEAD before our move: its branch update expects the old tip and fails
  ("cannot lock ref"), whatever index it read, so nothing of ours is undone;
- git read HEAD after our move: it read the index after that, and our index was in
  place before the move, so its commit contains our files (``-a`` also re-reads the work
  tree, which was written before the index);
- git moved the branch after reading HEAD but before our move (a plain ``git commit``
  that let go of ``index.lock``): our compare-and-swap fails, files and index are put
  back, and with ``ANY_HEAD`` the commit starts again on git's tip.

Moving the branch first, as git does, left a window in which git read our new HEAD
with the old index and committed the old index on top of ours, silently undoing it.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import NamedTuple

from dulwich.file import FileLocked
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import ConflictError, RepositoryError
from gitworktree.history._core.fserrors import vanished, write_errors
from gitworktree.history._core.identity import Signature
from gitworktree.history._core.locks import lock_errors, wait_for_lock
from gitworktree.history._core.untrusted import check_link_target
from gitworktree.history._objects.commits import (
    commit_tree,
    load_commit,
    remember_changed_paths,
    remember_commit_tree,
)
from gitworktree.history._objects.rawtrees import diff_tree_files, has_object, write_object
from gitworktree.history._objects.treebuild import FILE_MODE, TreeEdit, apply_tree_edits
from gitworktree.history._objects.trees import lookup_entry
from gitworktree.history._refs.refs import advance_branch, branch_ref, read_ref
from gitworktree.history._worktree.attributes import WorktreeFilters
from gitworktree.history._worktree.expected import ANY_HEAD, ExpectedHead
from gitworktree.history._worktree.index import IndexLock, TreeChange, locked_index
from gitworktree.history._worktree.inprogress import check_no_operation_in_progress
from gitworktree.history._worktree.materialize import (
    ParkedFiles,
    WorktreeFile,
    check_worktree_targets,
    park_worktree,
    write_worktree,
)
from gitworktree.history._worktree.shapes import check_head
from gitworktree.history._worktree.writelock import record_ref_update

__all__ = [
    "ANY_HEAD",
    "CommitText",
    "ExpectedHead",
    "StagedFile",
    "check_disk_blobs",
    "check_staged_links",
    "publish_commit",
    "reset_branch",
]

log = logging.getLogger("gitworktree")


#: How often a commit is tried when the branch moved under it (``ANY_HEAD`` only) or a
#: file vanished under it (a concurrent ``git gc`` pruning a directory or a pack).
_ATTEMPTS = 3

#: A commit with this many new blobs or more stores them as one pack instead of loose
#: objects (the line git's ``fetch.unpackLimit`` draws too): a first commit of 10,000
#: artifacts is then two files in ``objects/pack``, not 10,000 file creations.
_PACK_THRESHOLD = 100

_SYMLINK_MODE = 0o120000


class StagedFile(NamedTuple):
    """A file to commit: its blob, and its mode (``None``: keep the old file's mode)."""

    blob: Blob
    mode: int | None = None


def check_staged_links(files: Mapping[str, StagedFile | None]) -> None:
    """Refuse symbolic links among ``files`` that lead anywhere but down (`check_link_target`).

    Called before any object of a restore or merge is stored, so that a refusal leaves
    not even unreferenced objects behind.
    """
    for path, file in files.items():
        if file is not None and file.mode == _SYMLINK_MODE:
            check_link_target(path, file.blob.as_raw_string())


class CommitText(NamedTuple):
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
    filters: WorktreeFilters | None = None,
    disk_blobs: Mapping[str, str | None] | None = None,
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
        filters: the work tree's line-ending filters, if the caller read them for this
            commit already (the config files are then read once per commit).
        disk_blobs: path -> the blob id (as git would store it) the file on disk held
            when the caller read it (``None``: no file). Checked under the index lock,
            just before anything is written: a file someone edited since is not
            overwritten (a file already holding the new content is fine).

    Returns:
        The new commit.

    Raises:
        ConflictError: if the branch is not (or no longer) at ``expected_head``, a
            file in ``base_blobs`` changed at the tip, or one in ``disk_blobs`` on disk.
        NodeKindError, UnsafePathError: if a path cannot be written in the tree or on disk.
        RepositoryError: for a detached HEAD, a held lock file, or a file-system error
            (a full disk, a permission) before the branch moved: nothing was changed. A
            file that vanished under a concurrent ``git gc`` is retried first.
    """
    attempts = _ATTEMPTS if expected_head is ANY_HEAD else 1
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with write_errors(repo.path):
                return _publish_once(
                    repo, files, text, expected_head, materialize, base_blobs, filters, disk_blobs
                )
        except ConflictError as error:
            # With ANY_HEAD the commit goes on whatever the tip is: when only the branch
            # moved (a person's `git commit` moves it without holding the index lock),
            # start again from the new tip (the artifacts' bases are checked there).
            if error.paths or attempt >= attempts:
                raise
            log.info("the branch moved while committing; committing on the new tip")
        except RepositoryError as error:
            # A directory pruned or a pack deleted by a concurrent `git gc`.
            if attempt == _ATTEMPTS or not vanished(error):
                raise
        except KeyError as error:
            # A loose object packed and deleted by a concurrent `git gc` between dulwich's
            # look in the packs and its look at the loose objects reads as missing.
            if attempt == _ATTEMPTS:
                raise _missing(repo, error) from error
            log.info("a file vanished while committing (git gc?); committing again")
        time.sleep(0.005 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _check_spelling(
    repo: Repo,
    tree: ObjectID | None,
    files: Mapping[str, StagedFile | None],
    filters: WorktreeFilters,
) -> None:
    """Refuse paths git would record under another spelling (see `check_path_spelling`)."""
    ignore_case, precompose_unicode = filters.path_spelling()
    if ignore_case or precompose_unicode:
        from gitworktree.history._worktree.spelling import check_path_spelling

        check_path_spelling(
            repo.object_store,
            tree,
            [path for path, file in files.items() if file is not None],
            ignore_case=ignore_case,
            precompose_unicode=precompose_unicode,
            root=Path(repo.path),
        )


def _missing(repo: Repo, error: KeyError) -> RepositoryError:
    return RepositoryError(
        repo.path,
        f"object {error} cannot be found; nothing was changed. If no `git gc` is running, "
        "run `git fsck` to find the damage",
        reason="damaged",
    )


def _publish_once(
    repo: Repo,
    files: Mapping[str, StagedFile | None],
    text: CommitText,
    expected_head: str | ExpectedHead | None,
    materialize: bool,
    base_blobs: Mapping[str, str | None] | None,
    filters: WorktreeFilters | None,
    disk_blobs: Mapping[str, str | None] | None,
) -> Commit:
    # The index lock serializes writers of this work tree from the first read of the tip
    # to the move of the branch, so the checks below cannot go stale before the move.
    with lock_errors(), locked_index(repo) if materialize else nullcontext() as index:
        # Which branch is checked out is read under the lock too: a `git switch` (or
        # `checkout --detach`, `branch -m`) holds it while it rewrites the work tree and
        # index, and a branch read before would be moved while its files went into the
        # other branch's checkout, staged there as the person's change.
        ref = branch_ref(repo)
        current = read_ref(repo, ref)
        if current is None and materialize and not repo.refs.keys(base=Ref(b"refs/heads/")):
            # No commit on any branch: fine in a fresh repository; but where the only
            # branch was deleted under a work tree that tracks files (`git update-ref
            # -d`), a new root commit of our files alone would leave the history on no
            # branch at all, only in HEAD's reflog. Refused as a mount refuses it. (An
            # orphan branch beside others starts a new history on purpose, as in git.)
            check_head(repo)
        _check_expected_head(ref, current, expected_head)
        base_tree = None if current is None else commit_tree(repo.object_store, current)
        if filters is not None:
            _check_spelling(repo, base_tree, files, filters)
        if base_blobs:
            _check_base_blobs(repo, base_tree, base_blobs)
        if disk_blobs and materialize:
            check_disk_blobs(repo, files, disk_blobs, filters)
        commit, modes = _store_objects(repo, files, text, current, base_tree)
        changed = _changed(repo, files, base_tree, commit.tree)
        subject = text.message.decode("utf-8", "replace").split("\n", 1)[0]
        action = "commit" if current is not None else "commit (initial)"
        move = _Move(ref, current, commit.id, text.committer, f"{action}: {subject}")
        trees = TreeChange(repo.object_store, base_tree, commit.tree)
        locked = index if isinstance(index, IndexLock) else None
        _move_branch(repo, move, files, modes, locked, trees, filters)
    remember_changed_paths(commit.id, changed)
    remember_commit_tree(repo.object_store, commit.id, commit.tree)
    return commit


def check_disk_blobs(
    repo: Repo,
    files: Mapping[str, StagedFile | None],
    disk_blobs: Mapping[str, str | None],
    filters: WorktreeFilters | None,
) -> None:
    """Refuse to overwrite or delete a file whose content changed on disk since it was read.

    Called under the index lock, right before the first write: the caller's own check
    (the pipeline's, before its gate and repairs ran; a restore's, before it stored its
    objects) can be minutes old, and a person's edit made since would be lost. Each file
    is read whole (no stat shortcut: an edit within the same second keeps its size).

    Raises:
        ConflictError: naming every such file; nothing was written.
    """
    from gitworktree.history._worktree.status import worktree_entry

    root = Path(repo.path)
    filters = filters or WorktreeFilters.for_repo(repo)
    changed = []
    for path, expected in sorted(disk_blobs.items()):
        found = worktree_entry(root, path, None, 0, filters)
        now = None if found is None else found[1].decode("ascii")
        file = files.get(path)
        new = None if file is None else file.blob.id.decode("ascii")
        if found is None and expected is None and _special_file(root / path):
            # A FIFO, socket or device reads as no file (git stores none); made since
            # the caller saw nothing there, it is someone's, and the rename would drop it.
            changed.append(path)
        elif now not in (expected, new) and not _read_through_link_as(
            root, path, expected, filters
        ):
            changed.append(path)
    if changed:
        raise ConflictError(
            f"changed on disk since it was read: {', '.join(changed)}; nothing was written "
            "and the edit on disk is kept. Load it (sync(), or `git diff` to see it) and "
            "try again",
            paths=changed,
        )


def _special_file(full: Path) -> bool:
    """Whether ``full`` is a FIFO, socket or device (not a file, link or directory)."""
    try:
        mode = os.lstat(full).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode))


def _read_through_link_as(
    root: Path, path: str, expected: str | None, filters: WorktreeFilters
) -> bool:
    """Whether ``path`` is a symbolic link whose target's content is blob ``expected``.

    A mounted tree reads a link in an anchor's directory through it, as a file (its
    digests say so); git's view of the link is its target's path. Either is the file
    as the caller read it.
    """
    full = root / path
    if expected is None or not full.is_symlink():
        return False
    try:
        data = full.read_bytes()
    except OSError:
        return False
    return Blob.from_string(filters.clean(path, data)).id.decode("ascii") == expected


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
    repo: Repo, tree: ObjectID | None, base_blobs: Mapping[str, str | None]
) -> None:
    store = repo.object_store
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
    disk_blobs: Mapping[str, str | None] | None = None,
) -> None:
    """Point the checked-out branch at ``target`` and write ``files`` into the work tree.

    Args:
        repo: a non-bare repository with HEAD on a branch.
        target: the commit to move the branch to.
        files: the edits from the old tree to the target's (modes given).
        expected_head: the commit the branch must still point at.
        signature: who moves it, and when (for the reflogs).
        message: the reflog message, e.g. ``reset: moving to before``.
        disk_blobs: as for `publish_commit`: what the files on disk held when checked.

    Raises:
        ConflictError: if the branch moved, or a file in ``disk_blobs`` changed on disk.
        RepositoryError: for a detached HEAD, a held lock file, or a file-system error
            before the branch moved (nothing was changed).
    """
    modes = {path: file.mode or FILE_MODE for path, file in files.items() if file is not None}
    store = repo.object_store
    old_tree = None if expected_head is None else load_commit(store, expected_head).tree
    new_tree = load_commit(store, target).tree
    # The cached trees can follow the reset only if every differing file is written
    # (submodule entries, for one, are not).
    whole = set(diff_tree_files(store, old_tree, new_tree)) <= set(files)
    trees = TreeChange(store, old_tree, new_tree) if whole else None
    with write_errors(repo.path), lock_errors(), locked_index(repo) as index:
        # Read under the lock, as in `_publish_once`: a branch switched meanwhile is not
        # the one whose files are on disk.
        move = _Move(branch_ref(repo), expected_head, target, signature, message)
        if disk_blobs:
            check_disk_blobs(repo, files, disk_blobs, None)
        _move_branch(repo, move, files, modes, index, trees)


class _Move(NamedTuple):
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
    trees: TreeChange | None,
    filters: WorktreeFilters | None = None,
) -> None:
    """Check the work tree, write files and index (if ``index``), then move the branch.

    ``trees`` is the move of the tree the files complete (see `IndexLock.apply`). If the
    move fails (the branch moved, a lock, a full disk) the files are put back as they
    were and `locked_index` puts the old index back: nothing was published. Once the
    branch has moved, nothing here raises.
    """
    if index is None:
        check_no_operation_in_progress(repo, None)
        _advance(repo, move)
        return
    worktree = {
        path: None if file is None else WorktreeFile(modes[path], file.blob.as_raw_string())
        for path, file in files.items()
    }
    root = Path(repo.path)
    # A git merge, rebase, cherry-pick or revert left unfinished owns the branch and the
    # work tree until the person finishes it (checked under the index lock git takes too).
    check_no_operation_in_progress(repo, index.read())
    check_worktree_targets(root, worktree)
    parked = park_worktree(root, Path(repo.controldir()), worktree)
    try:
        _materialize(filters or WorktreeFilters.for_repo(repo), worktree, files, index, trees)
        _advance(repo, move)
    except BaseException:
        _put_back(parked)
        raise
    index.keep()
    parked.drop()


def _advance(repo: Repo, move: _Move) -> None:
    """Move the branch; an error raised once it points at the new commit is only logged."""
    record_ref_update(Path(repo.controldir()), move.ref, move.new)
    try:
        wait_for_lock(
            lambda: advance_branch(
                repo, move.ref, move.old, move.new, signature=move.signature, message=move.message
            )
        )
    except (OSError, FileLocked) as error:
        if read_ref(repo, move.ref) != move.new:
            raise
        log.warning(
            "%s moved to %s, but finishing the move failed: %s",
            move.ref.decode("utf-8", "replace"),
            move.new.decode("ascii"),
            error,
        )


def _put_back(parked: ParkedFiles) -> None:
    """Put the files back as they were before a commit that did not land."""
    try:
        parked.put_back()
    except OSError as error:
        log.warning(
            "a commit that did not land could not put back the files it wrote (%s); "
            "`git status` shows them, `git checkout -- <path>` puts HEAD's back",
            error,
        )


def _store_objects(
    repo: Repo,
    files: Mapping[str, StagedFile | None],
    text: CommitText,
    parent: ObjectID | None,
    base_tree: ObjectID | None,
) -> tuple[Commit, dict[str, int]]:
    """Store blobs, trees and the commit object; return the commit and the files' modes."""
    store = repo.object_store
    edits: dict[str, TreeEdit] = {}
    for path, file in files.items():
        edits[path] = None if file is None else (file.mode, file.blob.id)
    _store_blobs(store, [file.blob for file in files.values() if file is not None])
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
    write_object(store, Commit, commit.as_raw_string())
    return commit, modes


def _store_blobs(store: BaseObjectStore, blobs: list[Blob]) -> None:
    """Store the blobs the store lacks: loose, or as one pack when there are many.

    A few blobs go straight to `write_object`, which finds the ones already stored
    loose with one system call (looking in the packs first would list the pack
    directory again for every new blob).
    """
    unique = {blob.id: blob for blob in blobs}
    if len(unique) < _PACK_THRESHOLD:
        for blob in unique.values():
            write_object(store, Blob, blob.as_raw_string())
        return
    new = [blob for sha, blob in unique.items() if not has_object(store, sha)]
    if len(new) >= _PACK_THRESHOLD:
        wait_for_lock(lambda: store.add_objects([(blob, None) for blob in new]))
        return
    for blob in new:
        write_object(store, Blob, blob.as_raw_string())


def _changed(
    repo: Repo, files: Mapping[str, StagedFile | None], old: ObjectID | None, new: ObjectID
) -> list[str]:
    """The paths of ``files`` whose entry differs between the two trees (O(files))."""
    store = repo.object_store
    return [
        path
        for path in files
        if (None if old is None else lookup_entry(store, old, path))
        != lookup_entry(store, new, path)
    ]


def _materialize(
    filters: WorktreeFilters,
    worktree: Mapping[str, WorktreeFile | None],
    files: Mapping[str, StagedFile | None],
    index: IndexLock,
    trees: TreeChange | None,
) -> None:
    index.configure(filters)
    # Written with the line endings git would check them out with; the index records
    # the blob (LF) with the stat of the file as written, as git's checkout does.
    stats = write_worktree(filters.root, worktree, filters)
    if len(stats) != len(worktree):
        trees = None  # a submodule entry was skipped: the index does not become the tree
    updates: dict[str, tuple[str, os.stat_result] | None] = {}
    for path, stat_result in stats.items():
        file = files[path]
        if stat_result is None or file is None:
            updates[path] = None
        else:
            updates[path] = (file.blob.id.decode("ascii"), stat_result)
    index.apply(updates, trees=trees)
