"""Sharing a mounted tree through a Git remote: clone, pull through the gate, push.

`Repository.pull` merges at artifact granularity but knows nothing about artifact types.
A mounted tree does: `pull` here hands the repository a gate that validates (and
repairs) every incoming artifact with the tree's own classes and repair hooks, exactly as
``commit()`` does, so a merge can never land content the tree could not load. Afterwards
the tree is re-synced from what landed.

On a conflict or a refused merge nothing changes: not the branch, not the work tree, not
the tree in memory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from gitworktree.errors import ConflictError, ReadOnlyError, RepositoryError
from gitworktree.history import CommitInfo, PushResult, Repository, SyncResult
from gitworktree.history._json.jsonmerge import Side
from gitworktree.history._remote.integrate import MergeGate
from gitworktree.history._remote.remotes import Progress
from gitworktree.mounting.gate import GateItem, run_gate
from gitworktree.mounting.mount import MountSession, mount
from gitworktree.storage.base import check_size
from gitworktree.storage.git import GitRevisionStorage, GitStorage
from gitworktree.tree.items import Worktree

__all__ = ["clone_and_mount", "pull", "push", "sync_with"]

T = TypeVar("T", bound=Worktree)


def pull(
    tree: Worktree,
    remote: str = "origin",
    *,
    branch: str | None = None,
    prefer: Side | None = None,
    message: str | None = None,
    author: str | None = None,
    progress: Progress | None = None,
) -> CommitInfo | None:
    """Fetch from ``remote`` and merge its branch into the mounted tree, through the gate.

    A fast-forward when only they moved; otherwise a merge commit whose artifacts merge
    three-way: artifacts changed on one side only merge cleanly, and a JSON or Pydantic
    artifact changed on both sides merges field by field (JSON Pointer) when the fields
    differ. Every incoming artifact is validated (and repaired with the artifact's or the
    tree's repair hook) before anything lands; the tree is re-synced afterwards.

    Args:
        tree: the mounted tree (what ``mount()`` returned), on Git.
        remote: a configured remote's name, or a URL or path.
        branch: the remote branch; by default the tracked one, else the same name.
        prefer: ``"ours"`` or ``"theirs"`` resolves every conflict with that side.
        message: the merge commit's message.
        author: ``"Name <email>"`` of the merge commit (the agent); by default the
            tree's own (``mount(author=...)``), else the repository's identity.
        progress: receives the remote's progress messages.

    Returns:
        What the branch now points at, or ``None`` if there was nothing to bring in.

    Raises:
        ConflictError: both sides changed the same field or file (``conflicts`` lists
            each with base, ours and theirs), or the tree has uncommitted changes.
            Nothing changed: branch, work tree and the tree in memory are as they were.
        CommitRejectedError: merged content is invalid even after repair; nothing changed.
        ArtifactTooLargeError: an artifact it brings in is over the tree's size limit
            (``mount(max_artifact_bytes=...)``); nothing changed.
        RemoteError: the remote is unknown, unreachable, or lacks the branch.
    """
    session, repo = _git_session(tree, "pull")
    with _session_lock(session):
        _refuse_uncommitted(tree, session)
        info = repo.pull(
            remote,
            branch=branch,
            gate=_tree_gate(tree, session),
            prefer=prefer,
            message=message,
            author=author or session.author,
            progress=progress,
        )
        if info is not None:
            tree.sync()
    return info


def push(
    tree: Worktree,
    remote: str = "origin",
    *,
    checkpoints: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> PushResult:
    """Push the mounted tree's committed history (a fast-forward only); see `Repository.push`.

    Uncommitted in-memory changes are not pushed: ``commit()`` first.

    Raises:
        ConflictError: the remote has commits we lack: `pull` first; nothing was pushed.
        RemoteError: the remote is unknown, unreachable, or refused the push.
    """
    _session, repo = _git_session(tree, "push")
    return repo.push(remote, checkpoints=checkpoints, force=force, progress=progress)


def sync_with(
    tree: Worktree,
    remote: str = "origin",
    *,
    prefer: Side | None = None,
    attempts: int = 16,
    backoff: float = 0.05,
    max_backoff: float = 2.0,
    author: str | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Land the tree's commits on ``remote``: pull through the gate, push, retry fairly.

    The loop for many agents sharing one branch (`Repository.sync_with`): every pull goes
    through the tree's gate, as `pull` does, and a push that another agent's push beat
    is retried after a random, growing backoff, up to ``attempts`` pushes. The tree is
    re-synced with what landed; the tree's lock is held throughout, so other threads'
    commits to it wait for the sync.

    Returns:
        What happened: refs pushed, what each pull brought in, attempts, time waited.

    Raises:
        ConflictError: a merge conflict (``conflicts``), uncommitted changes in the tree,
            or the host kept moving for ``attempts`` pushes (``ref`` is set; nothing is
            lost, call again later). Nothing of the tree changed for a conflict.
        CommitRejectedError: merged content is invalid even after repair; nothing changed.
        RemoteError: the remote is unknown, unreachable, or refused the push.
    """
    session, repo = _git_session(tree, "sync")
    with _session_lock(session):
        _refuse_uncommitted(tree, session)
        try:
            result = repo.sync_with(
                remote,
                gate=_tree_gate(tree, session),
                prefer=prefer,
                attempts=attempts,
                backoff=backoff,
                max_backoff=max_backoff,
                author=author or session.author,
                progress=progress,
            )
        finally:
            tree.sync()  # whatever landed before a refusal is the tree's now
    return result


def clone_and_mount(
    tree_cls: type[T],
    path: str | os.PathLike[str],
    url: str,
    *,
    remote: str = "origin",
    branch: str | None = None,
    progress: Progress | None = None,
    **mount_options: Any,
) -> T:
    """Mount ``tree_cls`` on a clone of ``url`` at ``path``, cloning only if needed.

    When ``path`` holds no repository yet it is cloned from ``url`` (an empty remote gives
    an empty repository, which the first mount initializes); when it does, it is mounted
    as it is, so a script can run again and again. What ``mount`` would do next is
    unchanged: missing artifacts are initialized and committed, and ``push`` publishes them.

    Args:
        tree_cls: the ``Worktree`` subclass.
        path: where the working copy lives.
        url: what to clone (local path, ``file://``, ``git://``, ``http(s)://``, ssh).
        remote: the name the remote gets.
        branch: the branch to check out; the remote's default otherwise.
        progress: receives the remote's progress messages while cloning.
        mount_options: passed on to ``mount`` (``initial_states``, ``repair``, ...).
    """
    if not (Path(path) / ".git").exists():
        Repository.clone(url, path, remote=remote, branch=branch, progress=progress).close()
    return mount(tree_cls, path, **mount_options)


def _git_session(tree: Worktree, action: str) -> tuple[MountSession, Repository]:
    if not isinstance(tree, Worktree):
        raise TypeError(f"{action}() takes a mounted Worktree, not {type(tree).__name__}")
    session = tree._gwt_require_session()
    if not isinstance(session, MountSession):
        raise TypeError(f"{action}() takes a tree mounted with gitworktree.mount")
    storage = getattr(session, "storage", None)
    if isinstance(storage, GitRevisionStorage):
        raise ReadOnlyError(f"this tree is mounted read-only at {storage.rev[:7]}; cannot {action}")
    if not isinstance(storage, GitStorage):
        raise RepositoryError(
            type(storage).__name__,
            f"{action} needs a tree mounted on Git (the default backend of mount(Tree, path))",
        )
    return session, storage.repository


def _session_lock(session: MountSession) -> AbstractContextManager[Any]:
    # Serializes with commits of the same mounted tree from other threads.
    return session.lock


def _refuse_uncommitted(tree: Worktree, session: MountSession) -> None:
    """Refuse to pull over in-memory changes: the re-sync afterwards would drop them."""
    dirty = session.uncommitted_paths()
    if dirty:
        raise ConflictError(
            f"the tree has uncommitted changes: {', '.join(dirty)}; commit() them (or "
            "sync() to drop them) before pulling. Nothing was changed",
            paths=dirty,
        )


def _tree_gate(tree: Worktree, session: MountSession) -> MergeGate:
    """The commit gate, for files arriving by merge: each is checked by its artifact class."""

    def gate(files: Mapping[str, bytes]) -> Mapping[str, bytes]:
        items = [
            GateItem(path, kind, data)
            for path, data in sorted(files.items())
            if (kind := session.artifact_type_for(path)) is not None
        ]
        for item in items:  # refused here, before the merge lands, not by the re-sync after
            check_size(item.path, len(item.data), session.max_artifact_bytes)
        passed = run_gate(items, session.repair, session.max_repair_attempts)
        return {path: result.data for path, result in passed.items()}

    return gate
