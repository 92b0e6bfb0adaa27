"""Paths a case-insensitive or normalizing file system would take for other paths.

git sets ``core.ignoreCase`` where the file system cannot hold two names that differ
only in case (macOS, Windows), and ``core.precomposeUnicode`` on macOS, whose file
names may come back decomposed (NFD). Under the first, ``git add work/x.json`` next to
a tracked ``Work/`` records ``Work/x.json``: git folds the new path into the spelling
it tracks. Under the second, git records every path precomposed (NFC).

A commit is given its paths by the caller and writes them as given, so it cannot fold
them as git does: it refuses instead, before anything is written, a path that git and
the file system would read as another (`check_path_spelling`). Otherwise the file
would be written into the tracked file or directory on disk while the tree and index
named it twice, and every checkout on such a system would fight over the two.
"""

from __future__ import annotations

import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID

from gitworktree.errors import UnsafePathError
from gitworktree.history._core.paths import decode_path, encode_path
from gitworktree.history._objects.rawtrees import lookup_path, read_tree

__all__ = ["check_path_spelling"]


def check_path_spelling(
    store: BaseObjectStore,
    tree: ObjectID | None,
    paths: Iterable[str],
    *,
    ignore_case: bool,
    precompose_unicode: bool,
    root: Path,
) -> None:
    """Refuse a path the settings say git would record under another spelling.

    Only paths that ``tree`` does not hold exactly are looked at: one lookup each for
    the usual commit, which writes files the tree already has.

    Args:
        store: the object store.
        tree: the tree the commit is made on (``None``: the first commit).
        paths: the paths the commit writes (not those it deletes).
        ignore_case: ``core.ignoreCase``.
        precompose_unicode: ``core.precomposeUnicode``.
        root: the work tree, for the error.

    Raises:
        UnsafePathError: naming the path, and the spelling git would use or the path it
            would be taken for; nothing was written.
    """
    seen: dict[str, str] = {}
    for path in sorted(paths):
        if precompose_unicode and not unicodedata.is_normalized("NFC", path):
            raise UnsafePathError(
                path,
                "is not in Unicode NFC, and core.precomposeUnicode is true: git records "
                f"it precomposed, as {unicodedata.normalize('NFC', path)!r}; commit it "
                "under that name",
                root=root,
            )
        if not ignore_case:
            continue
        twin = _case_twin(store, tree, path)
        if twin is None:
            twin = _twin_among(seen, path)
        if twin is not None:
            raise UnsafePathError(
                path,
                f"differs only in case from {twin!r}, and core.ignoreCase is true (a file "
                "system that cannot hold both): git would take one for the other; use "
                f"the spelling {twin!r} has",
                root=root,
            )


def _twin_among(seen: dict[str, str], path: str) -> str | None:
    """Another path of this commit (or a folder of one) spelled as ``path`` or a folder of
    it in another case; ``path`` and its folders are then remembered."""
    parts = path.split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/".join(parts[:end])
        other = seen.setdefault(prefix.lower(), prefix)
        if other != prefix:
            return other
    return None


def _case_twin(store: BaseObjectStore, tree: ObjectID | None, path: str) -> str | None:
    """The path in ``tree`` that ``path`` (or a folder of it) names in another case."""
    if tree is None or lookup_path(store, tree, encode_path(path)) is not None:
        return None
    current = tree
    parts = path.split("/")
    for end, part in enumerate(parts, 1):
        found = lookup_path(store, current, encode_path(part))
        if found is None:
            wanted = part.lower()
            for key in read_tree(store, current).keys:
                name = decode_path(key.removesuffix(b"/"))
                if name.lower() == wanted:
                    return "/".join([*parts[: end - 1], name])
            return None
        if not stat.S_ISDIR(found[0]):
            return None  # a file where a folder is wanted: the commit says so itself
        current = found[1]
    return None
