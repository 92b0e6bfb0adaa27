"""Walking history lazily, newest first, optionally limited to one path.

Commits come out of a priority queue ordered by committer time, as ``git log`` orders
them by default, and only as far as the caller reads: ``log(limit=20)`` on a long history
reads about 20 commits. With a path, git's default history simplification applies: a
commit is shown when the path differs from every parent, and a merge that kept the path
of one parent is followed through that parent only.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID

from gitworktree.history._objects.commits import load_commit, parents_of
from gitworktree.history._objects.trees import lookup_entry

__all__ = ["walk_commits"]


def walk_commits(
    store: BaseObjectStore,
    start: ObjectID,
    path: str | None = None,
    shallow: frozenset[ObjectID] = frozenset(),
) -> Iterator[Commit]:
    """Yield the commits reachable from ``start``, newest first.

    Args:
        store: the object store.
        start: the commit to start from.
        path: a checked file or directory path; only commits that changed it are yielded.
        shallow: a shallow clone's boundary commits: history ends at them, as in git.
    """
    order = itertools.count()
    first = load_commit(store, start)
    queue = [(-first.commit_time, next(order), first)]
    seen = {start}
    entries = _PathEntries(store, path) if path is not None else None
    while queue:
        _, _, commit = heapq.heappop(queue)
        parents = parents_of(commit, shallow)
        show = True
        if entries is not None:
            show, parents = entries.simplify(commit, parents)
        if show:
            yield commit
        for parent_id in parents:
            if parent_id not in seen:
                seen.add(parent_id)
                parent = load_commit(store, parent_id)
                heapq.heappush(queue, (-parent.commit_time, next(order), parent))


class _PathEntries:
    """What one path is in each commit's tree, looked up once per commit."""

    def __init__(self, store: BaseObjectStore, path: str) -> None:
        self._store = store
        self._path = path
        self._cache: dict[ObjectID, tuple[int, ObjectID] | None] = {}

    def simplify(self, commit: Commit, parents: list[ObjectID]) -> tuple[bool, list[ObjectID]]:
        """Whether to show ``commit``, and which parents to follow."""
        mine = self._entry(commit)
        if not parents:
            return mine is not None, []
        for parent_id in parents:
            if self._entry(load_commit(self._store, parent_id)) == mine:
                return False, [parent_id]
        return True, parents

    def _entry(self, commit: Commit) -> tuple[int, ObjectID] | None:
        if commit.id not in self._cache:
            self._cache[commit.id] = lookup_entry(self._store, commit.tree, self._path)
        return self._cache[commit.id]
