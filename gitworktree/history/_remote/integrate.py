"""Bringing another line of history into the checked-out branch: fast-forward or merge.

`integrate` is what ``pull`` and ``merge`` do once the other side's commits are in the
object store:

1. if their commit is already in our history, nothing happens;
2. if ours is in theirs (or we have no commit yet), the branch fast-forwards;
3. otherwise the trees are merged three-way (`gitworktree.history._remote.merge`), and any
   conflict raises `ConflictError` carrying each one, before anything is written.

Then the *gate* sees every file whose content is new to our branch and returns the bytes
to commit: a mounted tree validates and repairs them there, exactly as in ``commit()``,
and refuses the whole merge (``CommitRejectedError``) if anything stays invalid. Repaired
files make a merge commit differ from a plain merge, or add a commit on top of a
fast-forward, with a ``Gitworktree-Repaired`` trailer. Last, the branch moves by
compare-and-swap from the commit we started from and the changed files are written into
the work tree, refusing to overwrite uncommitted edits. Until that moment nothing is
visible: a refused or conflicting merge leaves branch, index and work tree untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from dulwich.objects import Blob, Commit, ObjectID
from dulwich.repo import Repo

from gitworktree.errors import (
    ConflictError,
    MergeConflict,
    NodeKindError,
    RepositoryError,
    UntrustedTreeError,
)
from gitworktree.history._core.damage import load_object
from gitworktree.history._core.identity import Signature
from gitworktree.history._core.locks import add_object
from gitworktree.history._core.trailers import compose_message
from gitworktree.history._core.untrusted import naming_commit
from gitworktree.history._json.jsonmerge import Side
from gitworktree.history._objects.commits import load_commit
from gitworktree.history._objects.mergebase import merge_bases
from gitworktree.history._objects.treebuild import apply_tree_edits
from gitworktree.history._refs.refs import branch_ref, forget_move, read_ref
from gitworktree.history._remote.merge import merge_trees
from gitworktree.history._remote.transfer import is_ancestor
from gitworktree.history._worktree.commit import StagedFile, check_staged_links, reset_branch
from gitworktree.history._worktree.restore import FileEntry, check_unmodified, restore_edits

__all__ = ["REPAIRED", "MergeGate", "MergeRequest", "integrate"]

REPAIRED = "Gitworktree-Repaired"

_SYMLINK_MODE = 0o120000

#: Receives every file about to land whose content is new to our branch (path -> bytes)
#: and returns the bytes to commit for the files it checks (repaired, or as they were);
#: raises ``CommitRejectedError`` to refuse the merge. A symbolic link among the files it
#: returns is refused (`UntrustedTreeError`): what a gate checks must be a regular file.
MergeGate = Callable[[Mapping[str, bytes]], Mapping[str, bytes]]


@dataclass(frozen=True)
class MergeRequest:
    """What to merge into the checked-out branch, and how.

    Attributes:
        theirs: the commit to bring in.
        label: how to name it in messages, e.g. ``origin/main``.
        message: the merge commit's message (without trailers).
        author: who merges (the agent), and when.
        committer: who records it, and when (also signs the reflog entries).
        gate: checks (and may repair) the incoming files; ``None`` lets them through.
        prefer: resolve every conflict by taking this side; ``None`` refuses on conflict.
    """

    theirs: ObjectID
    label: str
    message: str
    author: Signature
    committer: Signature
    gate: MergeGate | None = None
    prefer: Side | None = None


def integrate(repo: Repo, request: MergeRequest) -> Commit | None:
    """Fast-forward or merge ``request.theirs`` into the checked-out branch.

    Returns:
        The commit the branch now points at, or ``None`` if it already contained theirs.

    Raises:
        ConflictError: both sides changed the same artifact field or file (``conflicts``
            lists them), uncommitted edits would be overwritten, or the branch moved
            meanwhile; nothing was written.
        CommitRejectedError: the gate refused the result; nothing was written.
        UntrustedTreeError: their tree holds an entry git would refuse, or a symbolic
            link that leads out; nothing was written.
    """
    ours = read_ref(repo, branch_ref(repo))
    theirs = request.theirs
    if ours == theirs or (ours is not None and is_ancestor(repo, theirs, ours)):
        return None
    # Their trees are read (and every entry checked) before anything is written.
    with naming_commit(theirs):
        if ours is None or is_ancestor(repo, ours, theirs):
            return _fast_forward(repo, ours, request)
        return _merge(repo, ours, request)


def _fast_forward(repo: Repo, ours: ObjectID | None, request: MergeRequest) -> Commit:
    store = repo.object_store
    our_tree = None if ours is None else load_commit(store, ours).tree
    target = load_commit(store, request.theirs)
    files = _staged(repo, restore_edits(store, our_tree, target.tree))
    check_staged_links(files)
    repaired = _run_gate(request.gate, files)
    if repaired:
        # Their commit stays as they made it; the repairs are a commit of ours on top.
        files.update(repaired)
        message = f"Repair what {request.label} brought in"
        target = _store_commit(repo, target.tree, repaired, [target.id], request, message)
    reflog = f"merge {request.label}: Fast-forward"
    _land(repo, ours, our_tree, target, files, request.committer, reflog)
    return target


def _merge(repo: Repo, ours: ObjectID, request: MergeRequest) -> Commit:
    store = repo.object_store
    our_tree = load_commit(store, ours).tree
    their_tree = load_commit(store, request.theirs).tree
    base_tree = _base_tree(repo, ours, request.theirs, request.label)
    merged = merge_trees(store, base_tree, our_tree, their_tree, prefer=request.prefer)
    if merged.conflicts:
        _refuse(request.label, merged.conflicts)
    files = dict(merged.files)
    check_staged_links(files)
    files.update(_run_gate(request.gate, files))
    commit = _store_commit(repo, our_tree, files, [ours, request.theirs], request, request.message)
    reflog = f"merge {request.label}: Merge made by gitworktree"
    _land(repo, ours, our_tree, commit, files, request.committer, reflog)
    return commit


def _base_tree(repo: Repo, ours: ObjectID, theirs: ObjectID, label: str) -> ObjectID | None:
    """The tree to merge against: the merge base's, or the merged bases' when several.

    Histories that criss-cross have several best common ancestors; as git's recursive
    strategy does, they are merged (against their own merge base) into one virtual
    base. Should the bases themselves conflict, the merge is refused: no base could say
    which side changed what.
    """
    store = repo.object_store
    try:
        bases = merge_bases(store, ours, theirs)
    except KeyError as err:
        raise RepositoryError(
            repo.path,
            f"the history of {label} is incomplete here (commit {err.args[0]!r} is "
            "missing); fetch again",
        ) from err
    if not bases:
        return None
    tree: ObjectID = load_commit(store, bases[0]).tree
    for other in bases[1:]:
        inner = _base_tree(repo, bases[0], other, label)
        merged = merge_trees(store, inner, tree, load_commit(store, other).tree)
        if merged.conflicts:
            _refuse_criss_cross(label, merged.conflicts)
        for file in merged.files.values():
            if file is not None:
                add_object(store, file.blob)
        edits = {p: None if f is None else (f.mode, f.blob.id) for p, f in merged.files.items()}
        try:
            tree, _modes = apply_tree_edits(store, tree, edits)
        except NodeKindError as err:
            reason = "a file in one merge base, a directory in another"
            _refuse_criss_cross(label, (MergeConflict(err.path, None, None, None, None, reason),))
    return tree


def _run_gate(
    gate: MergeGate | None, files: Mapping[str, StagedFile | None]
) -> dict[str, StagedFile]:
    """Pass the incoming files through the gate; return those whose bytes it changed."""
    incoming = {path: file.blob.as_raw_string() for path, file in files.items() if file}
    if gate is None or not incoming:
        return {}
    checked = gate(incoming)
    repaired: dict[str, StagedFile] = {}
    for path, data in checked.items():
        file = files.get(path)
        if file is not None and file.mode == _SYMLINK_MODE:
            # The gate checked it: the path is a declared artifact, which must be a file.
            raise UntrustedTreeError(path, "is a symbolic link where a file is declared")
        if file is not None and data != incoming[path]:
            repaired[path] = _Repaired(Blob.from_string(data), file.mode)
    return repaired


class _Repaired(StagedFile):
    """A file whose bytes the gate changed (named in the ``Gitworktree-Repaired`` trailer)."""

    __slots__ = ()


def _store_commit(
    repo: Repo,
    base_tree: ObjectID,
    files: Mapping[str, StagedFile | None],
    parents: list[ObjectID],
    request: MergeRequest,
    message: str,
) -> Commit:
    """Store the blobs, the trees along the changed paths, and the commit object."""
    store = repo.object_store
    for file in files.values():
        if file is not None:
            add_object(store, file.blob)
    edits = {path: None if f is None else (f.mode, f.blob.id) for path, f in files.items()}
    try:
        tree, _modes = apply_tree_edits(store, base_tree, edits)
    except NodeKindError as err:
        reason = "a file on one side, a directory on the other"
        _refuse(request.label, (MergeConflict(err.path, None, None, None, None, reason),))
    repaired = sorted(path for path, file in files.items() if isinstance(file, _Repaired))
    author, committer = request.author, request.committer
    commit = Commit()
    commit.tree = tree
    commit.parents = parents
    commit.author = author.raw
    commit.author_time, commit.author_timezone = author.timestamp, author.offset
    commit.committer = committer.raw
    commit.commit_time, commit.commit_timezone = committer.timestamp, committer.offset
    commit.message = compose_message(message, {REPAIRED: ", ".join(repaired)} if repaired else None)
    add_object(store, commit)
    return commit


def _land(
    repo: Repo,
    ours: ObjectID | None,
    our_tree: ObjectID | None,
    target: Commit,
    files: Mapping[str, StagedFile | None],
    signature: Signature,
    reflog: str,
) -> None:
    """Move the branch from ``ours`` to ``target`` and write ``files`` into the work tree."""
    edits = {path: None if f is None else (f.mode or 0, f.blob.id) for path, f in files.items()}
    on_disk = check_unmodified(repo, edits, our_tree)
    reset_branch(
        repo,
        target.id,
        files,
        expected_head=ours,
        signature=signature,
        message=reflog,
        disk_blobs=on_disk,  # checked again under the index lock, which may be waited for
    )
    # Whatever it brought in is another writer's: a checkpoint's guard must not undo it.
    forget_move(repo, target.id)


def _staged(repo: Repo, edits: Mapping[str, FileEntry | None]) -> dict[str, StagedFile | None]:
    store = repo.object_store
    files: dict[str, StagedFile | None] = {}
    for path, entry in edits.items():
        if entry is None:
            files[path] = None
        else:
            files[path] = StagedFile(load_object(store, entry[1], Blob), entry[0])
    return files


def _refuse_criss_cross(label: str, conflicts: tuple[MergeConflict, ...]) -> NoReturn:
    shown = "".join(f"\n  - {conflict}" for conflict in conflicts[:20])
    raise ConflictError(
        f"merging {label} stopped, nothing was changed: the histories criss-cross (several "
        f"merge bases) and those bases disagree, so no base can tell which side changed "
        f"what (prefer= cannot choose either):{shown}\nTo resolve: restore {label}'s tree "
        "(restore() adds a commit with it), commit your changes again on top, and merge again",
        conflicts=conflicts,
        reason="criss-cross",
    )


def _refuse(label: str, conflicts: tuple[MergeConflict, ...]) -> NoReturn:
    shown = "".join(f"\n  - {conflict}" for conflict in conflicts[:20])
    more = f"\n  ... and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
    raise ConflictError(
        f"merging {label} stopped, nothing was changed: {len(conflicts)} conflict(s) where "
        f"both sides changed the same thing differently:{shown}{more}\n"
        "To resolve: merge again with prefer='ours' or prefer='theirs' to keep one side at "
        "every conflict, or change your side to agree with theirs, commit, and merge again",
        conflicts=conflicts,
    )
