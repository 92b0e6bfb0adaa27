"""Three-way merge of JSON values, by RFC 6901 JSON Pointer.

Two sides changed a common base. Where only one side changed a value, its change is
taken; where both made the same change, it is taken once; where both changed the same
value differently, that pointer is a conflict. Objects are merged key by key, so edits
to different fields of one document merge cleanly. Arrays are merged element by element
only when all three have the same length (edits in place); an array whose length
changed on both sides is one conflict at the array's pointer, since its elements no
longer line up by index.

A value that is absent (a key removed, a document that does not exist on one side) is
`ABSENT`, never ``None``, which is JSON ``null``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from gitworktree.history._json.pointers import escape_pointer_token

__all__ = [
    "ABSENT",
    "JsonMerge",
    "PointerConflict",
    "Side",
    "json_equal",
    "merge_json",
    "render_json",
]

#: ``"ours"`` or ``"theirs"``: the side whose value wins a conflict, when one is preferred.
Side = Literal["ours", "theirs"]


class _Absent(enum.Enum):
    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: The value at a pointer that does not exist on that side.
ABSENT: Final = _Absent.ABSENT


@dataclass(frozen=True)
class PointerConflict:
    """Both sides changed the value at ``pointer`` differently (values may be `ABSENT`)."""

    pointer: str
    base: Any
    ours: Any
    theirs: Any
    reason: str


@dataclass(frozen=True)
class JsonMerge:
    """The merged value (`ABSENT`: the document was removed) and the conflicts found.

    Where there is a conflict and no side is preferred, ``value`` holds ours there.
    """

    value: Any
    conflicts: tuple[PointerConflict, ...]


def merge_json(base: Any, ours: Any, theirs: Any, *, prefer: Side | None = None) -> JsonMerge:
    """Merge two edits of ``base``; any of the three may be `ABSENT`.

    Args:
        base: the common ancestor's value.
        ours: our side's value.
        theirs: their side's value.
        prefer: resolve every conflict by taking this side's value (as ``git merge -X``
            does); ``None`` records the conflicts instead.
    """
    conflicts: list[PointerConflict] = []
    value = _merge("", base, ours, theirs, prefer, conflicts)
    return JsonMerge(value, tuple(conflicts))


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0``, but ``true`` is not ``1`` and ``{}`` is not ``[]``."""
    if a is ABSENT or b is ABSENT:
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return type(a) is type(b) and bool(a == b)


def render_json(value: Any) -> bytes:
    """Render ``value`` as the artifacts do: 2-space indent, keys in order, final newline."""
    return (json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _merge(
    pointer: str,
    base: Any,
    ours: Any,
    theirs: Any,
    prefer: Side | None,
    conflicts: list[PointerConflict],
) -> Any:
    if json_equal(ours, theirs):
        return ours
    if json_equal(base, ours):
        return theirs
    if json_equal(base, theirs):
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict) and _is(base, dict):
        return _merge_objects(pointer, base, ours, theirs, prefer, conflicts)
    if (
        isinstance(ours, list)
        and isinstance(theirs, list)
        and isinstance(base, list)
        and len(base) == len(ours) == len(theirs)
    ):
        return [
            _merge(f"{pointer}/{index}", old, mine, other, prefer, conflicts)
            for index, (old, mine, other) in enumerate(zip(base, ours, theirs, strict=True))
        ]
    if prefer is not None:
        return ours if prefer == "ours" else theirs
    conflicts.append(PointerConflict(pointer, base, ours, theirs, _reason(base, ours, theirs)))
    return ours


def _merge_objects(
    pointer: str,
    base: dict[str, Any] | Any,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    prefer: Side | None,
    conflicts: list[PointerConflict],
) -> dict[str, Any]:
    """Merge key by key; keys keep our order, keys only they added follow in theirs."""
    old: dict[str, Any] = base if isinstance(base, dict) else {}
    merged: dict[str, Any] = {}
    for key in [*ours, *(key for key in theirs if key not in ours)]:
        value = _merge(
            f"{pointer}/{escape_pointer_token(key)}",
            old.get(key, ABSENT),
            ours.get(key, ABSENT),
            theirs.get(key, ABSENT),
            prefer,
            conflicts,
        )
        if value is not ABSENT:
            merged[key] = value
    return merged


def _is(value: Any, kind: type) -> bool:
    """Whether ``value`` is a ``kind``, or absent (both sides added it: merge what they added)."""
    return value is ABSENT or isinstance(value, kind)


def _reason(base: Any, ours: Any, theirs: Any) -> str:
    if base is ABSENT:
        return "added on both sides with different values"
    if ours is ABSENT:
        return "removed on ours, changed on theirs"
    if theirs is ABSENT:
        return "changed on ours, removed on theirs"
    if isinstance(ours, list) and isinstance(theirs, list):
        return "array resized on both sides"
    return "changed on both sides"
