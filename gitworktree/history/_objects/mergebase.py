"""Merge bases as git computes them: the best common ancestors of two commits.

A common ancestor of ``ours`` and ``theirs`` is *best* when no other common ancestor
descends from it (``git merge-base --all``). Merging against an older common ancestor
than a best one makes edits both sides already share look like edits of both sides, so
they conflict, and resolving those conflicts with ``prefer=`` can undo a change the other
side made alone.

The walk is git's ``paint_down_to_common`` (commit-reach.c): starting from both commits,
paint every ancestor with the side(s) it is reachable from, in decreasing *generation
number* (1 for a root, else one more than its highest parent), so that every commit is
visited after all the commits above it that reach it. A commit painted by both sides is a
common ancestor; its own ancestors are then *stale* (not best), and the walk stops once
only stale commits are left. Candidates that still reach one another are then dropped
(git's ``remove_redundant``).

Generation numbers and parents are remembered per process, by commit id (a commit never
changes), so repeated pulls over a growing history only read the commits that are new:
the cost of a merge base follows what happened since the last one, not the whole history.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID

__all__ = ["CommitGraph", "is_ancestor", "merge_bases", "shared_graph"]

_ONE = 1
_TWO = 2
_STALE = 4
_BOTH = _ONE | _TWO


class CommitGraph:
    """Parents and generation numbers of commits, read once from a store and remembered.

    Bounded: past ``limit`` commits the memory is cleared and refilled as needed (a
    generation number is recomputed from the store then, never guessed).
    """

    def __init__(self, limit: int = 500_000) -> None:
        self._limit = limit
        self._parents: dict[ObjectID, tuple[ObjectID, ...]] = {}
        self._generation: dict[ObjectID, int] = {}
        self._lock = threading.Lock()

    def parents(self, store: BaseObjectStore, sha: ObjectID) -> tuple[ObjectID, ...]:
        """The parents of commit ``sha``.

        Raises:
            KeyError: the commit is not in ``store``.
        """
        with self._lock:
            known = self._parents.get(sha)
        if known is not None:
            return known
        commit = store[sha]
        if not isinstance(commit, Commit):
            raise KeyError(sha)
        parents = tuple(commit.parents)
        with self._lock:
            if len(self._parents) >= self._limit:
                self._parents.clear()
                self._generation.clear()
            self._parents[sha] = parents
        return parents

    def generation(self, store: BaseObjectStore, sha: ObjectID) -> int:
        """The generation number of commit ``sha`` (1 for a root commit).

        Computed without recursion (histories are deep), reading each commit once.

        Raises:
            KeyError: the commit or one of its ancestors is not in ``store``.
        """
        with self._lock:
            known = self._generation.get(sha)
        if known is not None:
            return known
        stack = [sha]
        found: dict[ObjectID, int] = {}
        while stack:
            top = stack[-1]
            if top in found:
                stack.pop()
                continue
            missing = []
            highest = 0
            for parent in self.parents(store, top):
                value = found.get(parent)
                if value is None:
                    with self._lock:
                        value = self._generation.get(parent)
                if value is None:
                    missing.append(parent)
                else:
                    highest = max(highest, value)
            if missing:
                stack.extend(missing)
                continue
            found[top] = highest + 1
            stack.pop()
        with self._lock:
            self._generation.update(found)
        return found[sha]


#: Shared by every repository of this process: commit ids name their content.
_GRAPH = CommitGraph()


def shared_graph() -> CommitGraph:
    """The process's `CommitGraph`, shared by every repository (ids name content)."""
    return _GRAPH


def merge_bases(
    store: BaseObjectStore, ours: ObjectID, theirs: ObjectID, graph: CommitGraph | None = None
) -> list[ObjectID]:
    """The best common ancestors of ``ours`` and ``theirs`` (``git merge-base --all``).

    Returns:
        The merge bases, sorted by id; empty when the histories share no commit.

    Raises:
        KeyError: a commit of either history is not in ``store``.
    """
    graph = graph or _GRAPH
    if ours == theirs:
        return [ours]
    candidates = _paint_down_to_common(store, graph, ours, [theirs])
    return sorted(_remove_redundant(store, graph, candidates))


def is_ancestor(
    store: BaseObjectStore,
    ancestor: ObjectID,
    descendant: ObjectID,
    graph: CommitGraph | None = None,
) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors.

    The walk from ``descendant`` never goes below ``ancestor``'s generation.

    Raises:
        KeyError: a commit needed is not in ``store``.
    """
    graph = graph or _GRAPH
    if ancestor == descendant:
        return True
    floor = graph.generation(store, ancestor)
    return ancestor in _reachable_above(store, graph, [descendant], floor)


def _paint_down_to_common(
    store: BaseObjectStore, graph: CommitGraph, one: ObjectID, twos: Iterable[ObjectID]
) -> list[ObjectID]:
    flags: dict[ObjectID, int] = {one: _ONE}
    for two in twos:
        flags[two] = flags.get(two, 0) | _TWO
    # Max-heap on generation; ties broken by id, so the walk is the same every time.
    queue = [(-graph.generation(store, sha), sha) for sha in flags]
    heapq.heapify(queue)
    queued = set(flags)
    fresh = len(queued)  # queued commits not stale: the walk ends when none is left
    result: list[ObjectID] = []
    while fresh:
        _, sha = heapq.heappop(queue)
        queued.discard(sha)
        painted = flags[sha] & (_BOTH | _STALE)
        if not painted & _STALE:
            fresh -= 1
        if painted == _BOTH:
            if sha not in result:
                result.append(sha)
            painted |= _STALE
        for parent in graph.parents(store, sha):
            current = flags.get(parent, 0)
            if current & painted == painted:
                continue
            flags[parent] = current | painted
            if parent not in queued:
                queued.add(parent)
                heapq.heappush(queue, (-graph.generation(store, parent), parent))
                fresh += 0 if painted & _STALE else 1
            elif painted & _STALE and not current & _STALE:
                fresh -= 1
    return [sha for sha in result if not flags[sha] & _STALE]


def _remove_redundant(
    store: BaseObjectStore, graph: CommitGraph, candidates: list[ObjectID]
) -> list[ObjectID]:
    """Drop every candidate that another candidate reaches."""
    if len(candidates) < 2:
        return candidates
    floor = min(graph.generation(store, sha) for sha in candidates)
    kept = []
    for sha in candidates:
        others = [other for other in candidates if other != sha]
        if sha not in _reachable_above(store, graph, others, floor):
            kept.append(sha)
    return kept


def _reachable_above(
    store: BaseObjectStore,
    graph: CommitGraph,
    starts: list[ObjectID],
    floor: int,
) -> set[ObjectID]:
    """Commits reachable from ``starts`` (included) whose generation is at least ``floor``."""
    seen: set[ObjectID] = set()
    stack = list(starts)
    while stack:
        sha = stack.pop()
        if sha in seen or graph.generation(store, sha) < floor:
            continue
        seen.add(sha)
        stack.extend(graph.parents(store, sha))
    return seen
