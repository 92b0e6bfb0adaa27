"""The objects a transfer must copy, found in time that follows what is new, not history.

dulwich finds what to send by collecting *every* ancestor of what the other side has,
and looks for reusable deltas by reading through whole packs: a push or a local fetch
then costs the whole history (1.1 s and 1.9 s at 2,000 commits, growing with each). Here:

- the commits to copy are those reachable from the wanted commits and not from the
  ones the other side has, found by painting both down in generation order
  (`gitworktree.history._objects.mergebase`) and stopping as soon as only "theirs" is left — or,
  for a fetch, by walking down from the wanted commits until one we already have (a
  repository holds every ancestor of every commit it holds);
- the trees and blobs to copy are, for each such commit, the entries of its tree that
  no parent has at the same path, found by descending only into subtrees that differ.

An object the other side happens to have already may be sent again (a file reverted to
an old content): harmless, and far cheaper than proving it is not needed.
"""

from __future__ import annotations

import heapq
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, Commit, ObjectID, ShaFile, Tree
from dulwich.pack import UnpackedObject, full_unpacked_object

from gitworktree.history._objects.mergebase import CommitGraph, shared_graph

__all__ = ["commits_to_fetch", "commits_to_send", "new_objects", "unpacked_objects"]

T = TypeVar("T", bound=ShaFile)

_WANT = 1
_HAVE = 2


def commits_to_send(
    store: BaseObjectStore,
    wants: Iterable[ObjectID],
    haves: Iterable[ObjectID],
    graph: CommitGraph | None = None,
) -> list[ObjectID]:
    """Commits reachable from ``wants`` but not from ``haves``, newest first.

    ``haves`` not in ``store`` are ignored: they cannot be ancestors of ours.

    Raises:
        KeyError: a wanted commit, or an ancestor of one, is not in ``store``.
    """
    graph = graph or shared_graph()
    flags: dict[ObjectID, int] = {}
    for sha in wants:
        flags[sha] = flags.get(sha, 0) | _WANT
    for sha in haves:
        if sha in store:
            flags[sha] = flags.get(sha, 0) | _HAVE
    queue = [(-graph.generation(store, sha), sha) for sha in flags]
    heapq.heapify(queue)
    queued = set(flags)
    wanting = sum(1 for sha in flags if flags[sha] == _WANT)  # queued, painted WANT only
    found: list[ObjectID] = []
    while wanting:
        _, sha = heapq.heappop(queue)
        queued.discard(sha)
        painted = flags[sha]
        if painted == _WANT:
            wanting -= 1
            found.append(sha)
        for parent in graph.parents(store, sha):
            current = flags.get(parent, 0)
            if current | painted == current:
                continue
            flags[parent] = current | painted
            if parent not in queued:
                queued.add(parent)
                heapq.heappush(queue, (-graph.generation(store, parent), parent))
                wanting += flags[parent] == _WANT
            elif current == _WANT:
                wanting -= 1  # it was wanted only, and now the other side has it
    return found


def commits_to_fetch(
    source: BaseObjectStore, wants: Iterable[ObjectID], have: Callable[[ObjectID], bool]
) -> list[ObjectID]:
    """Commits of ``source`` reachable from ``wants`` that ``have`` says we lack.

    A commit we have comes with all its ancestors, so the walk stops there.

    Raises:
        KeyError: a commit needed is not in ``source``.
    """
    found: list[ObjectID] = []
    seen: set[ObjectID] = set()
    stack = [sha for sha in wants if not have(sha)]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        commit = _load(source, sha, Commit)
        found.append(sha)
        stack.extend(parent for parent in commit.parents if not have(parent))
    return found


def new_objects(store: BaseObjectStore, commits: Iterable[ObjectID]) -> list[ObjectID]:
    """Each commit, and the trees and blobs of its tree that none of its parents has."""
    found: dict[ObjectID, None] = {}
    for sha in commits:
        commit = _load(store, sha, Commit)
        found[sha] = None
        parent_trees = [_load(store, parent, Commit).tree for parent in commit.parents]
        for obj in _new_in_tree(store, commit.tree, parent_trees):
            found[obj] = None
    return list(found)


def _new_in_tree(
    store: BaseObjectStore, tree_id: ObjectID, parent_trees: list[ObjectID]
) -> Iterator[ObjectID]:
    if tree_id in parent_trees:
        return
    yield tree_id
    tree = _load(store, tree_id, Tree)
    parents = [_entries(store, sha) for sha in parent_trees]
    for name, mode, sha in tree.iteritems():
        if any(entries.get(name, (0, b""))[1] == sha for entries in parents):
            continue
        if stat.S_ISDIR(mode):
            below = [
                entries[name][1]
                for entries in parents
                if name in entries and stat.S_ISDIR(entries[name][0])
            ]
            yield from _new_in_tree(store, sha, below)
        elif not S_ISGITLINK(mode):  # a submodule's commit is not in this repository
            yield sha


def _entries(store: BaseObjectStore, tree_id: ObjectID) -> dict[bytes, tuple[int, ObjectID]]:
    return {name: (mode, sha) for name, mode, sha in _load(store, tree_id, Tree).iteritems()}


def _load(store: BaseObjectStore, sha: ObjectID, kind: type[T]) -> T:
    """The object ``sha``, which must be a ``kind``.

    Raises:
        KeyError: it is missing, or not a ``kind`` (a damaged or hostile repository).
    """
    obj = store[sha]
    if not isinstance(obj, kind):
        raise KeyError(sha)
    return obj


def unpacked_objects(
    store: BaseObjectStore, object_ids: list[ObjectID]
) -> tuple[int, Iterator[UnpackedObject]]:
    """Pack data of whole objects (no deltas: the objects are few and new)."""
    return len(object_ids), (full_unpacked_object(store[sha]) for sha in object_ids)
