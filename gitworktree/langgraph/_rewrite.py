"""Dropping checkpoints out of a thread's history (``delete_for_runs``), as git would.

Each commit of the ref is visited parents first. A dropped commit (a checkpoint of a
deleted run, or the writes of one) is replaced, wherever it was a parent, by its own
nearest kept ancestors, so every kept commit stays reachable and
``git log --first-parent`` still follows each checkpoint's lineage, minus the dropped
steps. A commit whose parents did not change keeps its id; the others are copied with
their new parents (same author, committer and message; same tree, but for a writes
commit, whose tree is its first parent's plus its ``writes/``). The ref then moves by
compare-and-swap from the tip the rewrite started from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from dulwich.objects import Commit, ObjectID

from gitworktree.history._objects.rawtrees import RawTree, write_object
from gitworktree.langgraph._layout import WRITES_DIR, parse_trailers
from gitworktree.langgraph._store import ThreadStore

__all__ = ["rewrite_without"]


def rewrite_without(store: ThreadStore, tip: ObjectID, checkpoints: set[str]) -> ObjectID | None:
    """The new tip of the history ``tip`` without the commits (checkpoint or writes) of
    ``checkpoints``; ``None`` if every commit is dropped. The ref itself is not moved."""

    def dropped(commit: Commit) -> bool:
        trailers = parse_trailers(commit.message)
        return trailers is not None and trailers.checkpoint_id in checkpoints

    replaced: dict[ObjectID, list[ObjectID]] = {}
    for sha in _parents_first(store, tip):
        commit = store.commit(sha)
        parents = _unique(new for old in commit.parents for new in replaced[old])
        if dropped(commit):
            replaced[sha] = parents
        elif parents == list(commit.parents):
            replaced[sha] = [sha]
        else:
            replaced[sha] = [_copy(store, commit, parents)]
    heads = replaced[tip]
    if len(heads) <= 1:
        return heads[0] if heads else None
    # The tip was dropped and had several kept ancestors: the newest checkpoint among them
    # becomes the tip, with the others as extra parents, so that none becomes unreachable.
    # A checkpoint, not a newer writes commit (writes stored late, with async durability,
    # sit after the next checkpoint): `git log --first-parent` then follows checkpoints.
    newest = max(heads, key=lambda sha: _rank(store.commit(sha)))
    others = [sha for sha in heads if sha != newest]
    commit = store.commit(newest)
    return _copy(store, commit, _unique([*commit.parents, *others]))


def _parents_first(store: ThreadStore, tip: ObjectID) -> list[ObjectID]:
    """Every commit reachable from ``tip``, each after all of its parents."""
    order: list[ObjectID] = []
    visited: set[ObjectID] = set()
    stack: list[tuple[ObjectID, bool]] = [(tip, False)]
    while stack:
        sha, parents_done = stack.pop()
        if parents_done:
            order.append(sha)
            continue
        if sha in visited:
            continue
        visited.add(sha)
        stack.append((sha, True))
        stack.extend((parent, False) for parent in store.commit(sha).parents)
    return order


def _copy(store: ThreadStore, commit: Commit, parents: list[ObjectID]) -> ObjectID:
    copy = cast(Commit, commit.copy())
    copy.parents = parents
    trailers = parse_trailers(commit.message)
    if trailers is not None and trailers.kind == "writes":
        copy.tree = _writes_tree(store, commit, parents)
    return write_object(store.repo.object_store, Commit, copy.as_raw_string())


def _writes_tree(store: ThreadStore, commit: Commit, parents: list[ObjectID]) -> ObjectID:
    """A writes commit's tree is its first parent's with its own ``writes/``: on a new
    first parent, take that one's files, so nothing of a dropped checkpoint stays."""
    root = RawTree([], [])
    if parents:
        root = store.tree(store.commit(parents[0]).tree).tree.copy()
    own = store.tree(commit.tree).tree.get(WRITES_DIR.encode())
    if own is None:
        root.delete(WRITES_DIR.encode())
    else:
        root.set(WRITES_DIR.encode(), own[0], own[1])
    return store.write_tree(root)


def _rank(commit: Commit) -> tuple[bool, int]:
    """Checkpoints before writes commits, then the later on the ref first."""
    trailers = parse_trailers(commit.message)
    if trailers is None:
        return False, -1
    return trailers.kind == "checkpoint", trailers.seq


def _unique(shas: Iterable[ObjectID]) -> list[ObjectID]:
    """``shas`` without repeats, in their first order (a commit lists a parent once)."""
    return list(dict.fromkeys(shas))
