"""Reading commits: a dulwich `Commit` as a `CommitInfo`."""

from __future__ import annotations

import codecs
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID
from dulwich.repo import Repo

from gitworktree.history._core.damage import MalformedCommitError, load_object
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.trailers import split_message
from gitworktree.history._core.untrusted import naming_commit
from gitworktree.history._objects.rawtrees import diff_tree_paths

__all__ = [
    "changed_paths",
    "commit_info",
    "commit_tree",
    "known_commit_tree",
    "load_commit",
    "parents_of",
    "remember_changed_paths",
    "remember_commit_tree",
    "shallow_commits",
]


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
    return _checked(load_object(store, sha, Commit))


def _checked(commit: Commit) -> Commit:
    """``commit``, if each header line git's ``fsck`` requires is there and readable.

    dulwich leaves a missing author or committer, an ident without a date (no email:
    the date is then not found), or a message with no empty line before it as ``None``;
    code that reads names, dates or messages would fail on it with a bare `TypeError`.
    A missing ``tree`` line, a bad parent id or time zone dulwich refuses itself.
    """
    for line, ident, when in (
        ("author", commit.author, commit.author_time),
        ("committer", commit.committer, commit.commit_time),
    ):
        if ident is None:
            raise MalformedCommitError(commit.id, f"has no {line} line", f"missing{line.title()}")
        if when is None:
            raise MalformedCommitError(
                commit.id, f"has an {line} line without an email and date", "missingEmail"
            )
    if commit.message is None:
        raise MalformedCommitError(
            commit.id, "has no empty line between its header and message", "unterminatedHeader"
        )
    return commit


#: The root trees of recently read or written commits, by store and commit id: exact
#: forever (a commit names its tree), so a commit on top of the last one, or a mount of
#: HEAD, does not read the commit object back.
_TREES: OrderedDict[tuple[str, ObjectID], ObjectID] = OrderedDict()
_TREES_KEPT = 256
_TREES_LOCK = threading.Lock()


def _tree_key(store: BaseObjectStore, commit_id: ObjectID) -> tuple[str, ObjectID]:
    return str(getattr(store, "path", "") or id(store)), commit_id


def known_commit_tree(store: BaseObjectStore, commit_id: ObjectID) -> ObjectID | None:
    """The root tree of ``commit_id`` if it was read or written lately, else ``None``."""
    key = _tree_key(store, commit_id)
    with _TREES_LOCK:
        tree = _TREES.get(key)
        if tree is not None:
            _TREES.move_to_end(key)
        return tree


def remember_commit_tree(store: BaseObjectStore, commit_id: ObjectID, tree: ObjectID) -> None:
    """Record the root tree of a commit just read or written."""
    with _TREES_LOCK:
        _TREES[_tree_key(store, commit_id)] = tree
        while len(_TREES) > _TREES_KEPT:
            _TREES.popitem(last=False)


def commit_tree(store: BaseObjectStore, commit_id: ObjectID) -> ObjectID:
    """The root tree of the commit ``commit_id`` (read once, then remembered).

    Raises:
        MissingObjectError: if ``store`` has no object ``commit_id`` (a `KeyError`).
        dulwich.errors.WrongObjectException: if it is not a commit.
    """
    tree = known_commit_tree(store, commit_id)
    if tree is None:
        tree = ObjectID(load_commit(store, commit_id).tree)
        remember_commit_tree(store, commit_id, tree)
    return tree


def shallow_commits(repo: Repo) -> frozenset[ObjectID]:
    """The commits of a shallow clone whose parents were not fetched (``.git/shallow``).

    git treats them as root commits: history ends there (``git log`` stops, ``HEAD~N``
    past them does not exist). Empty for a full clone.
    """
    try:
        data = (Path(repo.commondir()) / "shallow").read_bytes()
    except FileNotFoundError:
        return frozenset()
    return frozenset(ObjectID(line.strip()) for line in data.splitlines() if line.strip())


def parents_of(commit: Commit, shallow: frozenset[ObjectID] = frozenset()) -> list[ObjectID]:
    """The parents of ``commit`` as git sees them: none at a shallow clone's boundary."""
    return [] if commit.id in shallow else list(commit.parents)


def commit_info(
    store: BaseObjectStore, commit: Commit, shallow: frozenset[ObjectID] = frozenset()
) -> CommitInfo:
    """Describe ``commit``, including the paths it changed against its first parent.

    A commit in ``shallow`` is described as git does, as a root: no parents.
    """
    encoding = _encoding(commit)
    message, trailers = split_message(commit.message.decode(encoding, "replace"))
    return CommitInfo(
        sha=commit.id.decode("ascii"),
        message=message,
        author=commit.author.decode(encoding, "replace"),
        committer=commit.committer.decode(encoding, "replace"),
        time=_author_time(commit),
        parents=tuple(parent.decode("ascii") for parent in parents_of(commit, shallow)),
        paths=changed_paths(store, commit, shallow),
        trailers=trailers,
    )


def _encoding(commit: Commit) -> str:
    """The commit's ``encoding`` header, or UTF-8 for none or one Python does not know
    (git shows the bytes unconverted when iconv does not know it either)."""
    name = (commit.encoding or b"utf-8").decode("ascii", "replace")
    try:
        codecs.lookup(name)
    except LookupError:
        return "utf-8"
    return name


def _author_time(commit: Commit) -> datetime:
    """When ``commit`` was authored, in its author's zone.

    An offset of a day or more (``+9999``: git's fsck accepts any four digits) has no
    `timezone`: the instant is kept, shown in UTC. A date before year 1 or after 9999 has
    no `datetime` at all; git's ``fsck`` flags such dates only past its integer range, and
    ``git log`` shows them, but no true date can be reported here, so it is damage.
    """
    offset = commit.author_timezone
    zone = timezone(timedelta(seconds=offset)) if abs(offset) < 86_400 else UTC
    try:
        return datetime.fromtimestamp(commit.author_time, zone)
    except (OverflowError, OSError, ValueError):
        raise MalformedCommitError(
            commit.id,
            f"has an author date ({commit.author_time}) outside the years 1 to 9999",
            "badDateOverflow only once past its own integer range",
        ) from None


def remember_changed_paths(commit_id: ObjectID, paths: Iterable[str]) -> tuple[str, ...]:
    """Record the paths a commit changed against its first parent; return them sorted."""
    known = tuple(sorted(paths))
    _KNOWN.put(commit_id, known)
    return known


def changed_paths(
    store: BaseObjectStore, commit: Commit, shallow: frozenset[ObjectID] = frozenset()
) -> tuple[str, ...]:
    """Paths that ``commit`` changed against its first parent (all paths for a root)."""
    known = _KNOWN.get(commit.id)
    if known is not None:
        return known
    parent_tree: ObjectID | None = None
    parents = parents_of(commit, shallow)
    if parents:
        parent_tree = load_commit(store, parents[0]).tree
    with naming_commit(commit.id):  # a log of a hostile commit says which one it is
        paths = diff_tree_paths(store, parent_tree, commit.tree)
    return remember_changed_paths(commit.id, paths)
