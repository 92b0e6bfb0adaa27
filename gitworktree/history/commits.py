"""Reading commits: a dulwich `Commit` as a `CommitInfo`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dulwich.diff_tree import tree_changes
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID

from gitworktree.history.info import CommitInfo
from gitworktree.history.paths import decode_path
from gitworktree.history.trailers import split_message

__all__ = ["changed_paths", "commit_info", "load_commit"]


def load_commit(store: BaseObjectStore, sha: ObjectID) -> Commit:
    """The commit ``sha`` (which must be a commit id present in ``store``)."""
    commit = store[sha]
    if not isinstance(commit, Commit):
        raise TypeError(f"{sha.decode()} is a {commit.type_name.decode()}, not a commit")
    return commit


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


def changed_paths(store: BaseObjectStore, commit: Commit) -> tuple[str, ...]:
    """Paths that ``commit`` changed against its first parent (all paths for a root)."""
    parent_tree: ObjectID | None = None
    if commit.parents:
        parent_tree = load_commit(store, commit.parents[0]).tree
    paths: set[str] = set()
    for change in tree_changes(store, parent_tree, commit.tree):
        for entry in (change.old, change.new):
            if entry is not None and entry.path is not None:
                paths.add(decode_path(entry.path))
    return tuple(sorted(paths))
