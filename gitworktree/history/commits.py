"""Reading commits: a dulwich `Commit` as a `CommitInfo`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID

from gitworktree.history.damage import load_object
from gitworktree.history.info import CommitInfo
from gitworktree.history.rawtrees import diff_tree_paths
from gitworktree.history.trailers import split_message

__all__ = ["changed_paths", "commit_info", "load_commit", "remember_changed_paths"]


class _ChangedPaths:
    """The paths commits changed, by commit id, bounded by the number of paths held.

    Recorded for the commits this process makes (no diff needed), and remembered once
    computed: a commit's parent and tree never change, so an entry cannot go stale.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held = 0
        self._paths: OrderedDict[ObjectID, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, commit_id: ObjectID) -> tuple[str, ...] | None:
        with self._lock:
            return self._paths.get(commit_id)

    def put(self, commit_id: ObjectID, paths: tuple[str, ...]) -> None:
        with self._lock:
            if commit_id in self._paths:
                return
            self._paths[commit_id] = paths
            self._held += len(paths)
            while self._held > self._limit and len(self._paths) > 1:
                _, dropped = self._paths.popitem(last=False)
                self._held -= len(dropped)


_KNOWN = _ChangedPaths(limit=200_000)


def load_commit(store: BaseObjectStore, sha: ObjectID) -> Commit:
    """The commit ``sha``.

    Raises:
        MissingObjectError: if ``store`` has no object ``sha`` (a `KeyError`).
        dulwich.errors.WrongObjectException: if ``sha`` is not a commit.
    """
    return load_object(store, sha, Commit)


def commit_info(store: BaseObjectStore, commit: Commit) -> CommitInfo:
    """Describe ``commit``, including the paths it changed against its first parent."""
    encoding = (commit.encoding or b"utf-8").decode("ascii", "replace")
    message, trailers = split_message(commit.message.decode(encoding, "replace"))
    zone = timezone(timedelta(seconds=commit.author_timezone))
    return CommitInfo(
        sha=commit.id.decode("ascii"),
        message=message,
        author=commit.author.decode(encoding, "replace"),
        committer=commit.committer.decode(encoding, "replace"),
        time=datetime.fromtimestamp(commit.author_time, zone),
        parents=tuple(parent.decode("ascii") for parent in commit.parents),
        paths=changed_paths(store, commit),
        trailers=trailers,
    )


def remember_changed_paths(commit_id: ObjectID, paths: Iterable[str]) -> tuple[str, ...]:
    """Record the paths a commit changed against its first parent; return them sorted."""
    known = tuple(sorted(paths))
    _KNOWN.put(commit_id, known)
    return known


def changed_paths(store: BaseObjectStore, commit: Commit) -> tuple[str, ...]:
    """Paths that ``commit`` changed against its first parent (all paths for a root)."""
    known = _KNOWN.get(commit.id)
    if known is not None:
        return known
    parent_tree: ObjectID | None = None
    if commit.parents:
        parent_tree = load_commit(store, commit.parents[0]).tree
    return remember_changed_paths(commit.id, diff_tree_paths(store, parent_tree, commit.tree))
