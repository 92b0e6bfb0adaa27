"""Three-way merge of two trees, at the granularity of artifacts and JSON fields.

Each file is one artifact. Against their common ancestor (the merge base):

- a file changed on one side only takes that side's version;
- a file changed identically on both sides is kept;
- a ``.json`` file changed differently on both sides is merged by JSON Pointer
  (`gitworktree.history._json.jsonmerge`): edits to different fields merge, edits to the same
  field are conflicts (a file over `FIELD_MERGE_LIMIT` bytes is merged as a whole);
- any other file changed differently on both sides (text, XML, a file deleted on one side
  and changed on the other) is one conflict for the whole file.

Text lines are never merged: a line merge can turn two valid documents into an invalid
one, or silently interleave two edits of the same sentence.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from typing import Any

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, Blob, ObjectID

from gitworktree.errors import MergeConflict
from gitworktree.history._core.damage import load_object
from gitworktree.history._json.jsonmerge import ABSENT, Side, json_equal, merge_json, render_json
from gitworktree.history._objects.sizes import object_size
from gitworktree.history._objects.trees import lookup_entry
from gitworktree.history._worktree.commit import StagedFile
from gitworktree.history._worktree.restore import FileEntry, restore_edits

__all__ = ["FIELD_MERGE_LIMIT", "TreeMerge", "merge_trees"]

# A JSON file larger than this is merged as a whole file, like any other: parsing three
# versions of it would cost many times its size in memory.
FIELD_MERGE_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class TreeMerge:
    """The result of merging two trees.

    Attributes:
        files: the edits that turn our tree into the merged one: path -> the file to
            write (with its mode), or ``None`` to delete it.
        conflicts: what could not be merged (``files`` is then incomplete).
    """

    files: dict[str, StagedFile | None]
    conflicts: tuple[MergeConflict, ...]


def merge_trees(
    store: BaseObjectStore,
    base: ObjectID | None,
    ours: ObjectID,
    theirs: ObjectID,
    *,
    prefer: Side | None = None,
) -> TreeMerge:
    """Merge tree ``theirs`` into tree ``ours``, both descended from tree ``base``.

    Args:
        store: the object store holding all three trees.
        base: the merge base's tree; ``None`` when the histories share no commit (then
            every file counts as added on the side that has it).
        ours: our tree (the checked-out branch).
        theirs: the tree merged in.
        prefer: resolve every conflict by taking this side (``git merge -X ours``);
            ``None`` reports conflicts instead.

    Returns:
        The edits to our tree, and the conflicts.
    """
    our_changes = restore_edits(store, base, ours)
    their_changes = restore_edits(store, base, theirs)
    files: dict[str, StagedFile | None] = {}
    conflicts: list[MergeConflict] = []
    for path, wanted in sorted(their_changes.items()):
        if path not in our_changes:
            files[path] = _staged(store, wanted)
            continue
        mine = our_changes[path]
        if mine == wanted:
            continue
        old = None if base is None else lookup_entry(store, base, path)
        merged = _merge_file(store, path, old, mine, wanted, prefer, conflicts)
        if not isinstance(merged, _Keep):
            files[path] = merged
    return TreeMerge(files, tuple(conflicts))


class _Keep:
    """Marker: our version of the file is the merged one."""


_KEEP_OURS = _Keep()


def _merge_file(
    store: BaseObjectStore,
    path: str,
    base: FileEntry | None,
    ours: FileEntry | None,
    theirs: FileEntry | None,
    prefer: Side | None,
    conflicts: list[MergeConflict],
) -> StagedFile | _Keep | None:
    """Merge one file both sides changed differently; record conflicts."""
    if ours is not None and theirs is not None and ours[1] == theirs[1]:
        # Same content, different modes: take the side that changed the mode.
        changed_by_them = base is not None and ours[0] == base[0]
        return _staged(store, theirs) if changed_by_them else _KEEP_OURS
    if _is_json(path, base, ours, theirs):
        values = [_parse_json(store, entry) for entry in (base, ours, theirs)]
        if all(value is not _UNPARSABLE for value in values):
            return _merge_json_file(store, path, values, ours, theirs, prefer, conflicts)
    if prefer is not None:
        return _KEEP_OURS if prefer == "ours" else _staged(store, theirs)
    old, mine, other = (_text(store, entry) for entry in (base, ours, theirs))
    conflicts.append(MergeConflict(path, None, old, mine, other, _reason(base, ours, theirs)))
    return _KEEP_OURS


def _merge_json_file(
    store: BaseObjectStore,
    path: str,
    values: list[Any],
    ours: FileEntry | None,
    theirs: FileEntry | None,
    prefer: Side | None,
    conflicts: list[MergeConflict],
) -> StagedFile | _Keep | None:
    base_value, our_value, their_value = values
    merged = merge_json(base_value, our_value, their_value, prefer=prefer)
    for found in merged.conflicts:
        conflicts.append(
            MergeConflict(
                path,
                found.pointer,
                _plain(found.base),
                _plain(found.ours),
                _plain(found.theirs),
                reason=found.reason,
            )
        )
    if merged.conflicts or json_equal(merged.value, our_value):
        return _KEEP_OURS
    if json_equal(merged.value, their_value):
        return _staged(store, theirs)
    # Both sides hold the document here (a side without it would have equalled the merged
    # value), so the merge is a document too.
    mode = (ours or theirs or (0o100644, b""))[0]
    return StagedFile(Blob.from_string(render_json(merged.value)), mode)


class _Unparsable:
    """Marker: a side's file is not JSON."""


_UNPARSABLE: Any = _Unparsable()


def _is_json(path: str, *entries: FileEntry | None) -> bool:
    return path.endswith(".json") and all(
        entry is None or stat.S_ISREG(entry[0]) for entry in entries
    )


def _parse_json(store: BaseObjectStore, entry: FileEntry | None) -> Any:
    if entry is None:
        return ABSENT
    size = object_size(store, entry[1])
    if size is not None and size > FIELD_MERGE_LIMIT:
        return _UNPARSABLE  # merged (or conflicting) as a whole file, never parsed
    blob = _blob(store, entry[1])
    if blob.raw_length() > FIELD_MERGE_LIMIT:
        return _UNPARSABLE
    try:
        return json.loads(blob.as_raw_string())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _UNPARSABLE


def _staged(store: BaseObjectStore, entry: FileEntry | None) -> StagedFile | None:
    if entry is None:
        return None
    return StagedFile(_blob(store, entry[1]), entry[0])


def _blob(store: BaseObjectStore, sha: ObjectID) -> Blob:
    return load_object(store, sha, Blob)


def _text(store: BaseObjectStore, entry: FileEntry | None) -> str | bytes | None:
    """A side of a whole-file conflict: its text (``bytes`` if not UTF-8), ``None`` if absent."""
    if entry is None or S_ISGITLINK(entry[0]):
        return None
    data = _blob(store, entry[1]).as_raw_string()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _plain(value: Any) -> Any:
    return None if value is ABSENT else value


def _reason(base: FileEntry | None, ours: FileEntry | None, theirs: FileEntry | None) -> str:
    if base is None:
        return "added on both sides with different content"
    if ours is None:
        return "deleted on ours, changed on theirs"
    if theirs is None:
        return "changed on ours, deleted on theirs"
    return "changed on both sides"
