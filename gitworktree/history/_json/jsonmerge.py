"""Three-way merge of JSON values, by RFC 6901 JSON Pointer.

Two sides changed a common base. Where only one side changed a value, its change is
taken; where both made the same change, it is taken once; where both changed the same
value differently, that pointer is a conflict. Objects are merged key by key, so edits
to different fields of one document merge cleanly. Arrays are merged as sequences, the
way git merges lines (diff3): each side's elements are matched against the base's, the
stretches both sides left alone anchor the merge, and between two anchors a stretch
changed by one side only takes that side's elements. So one side appending, inserting or
removing elements while the other edits a different element merges cleanly. A stretch
both sides changed is merged element by element when it kept its length on all three
(edits in place, merged by pointer); otherwise it is one conflict at the array's pointer,
holding the three stretches. Two sides inserting different elements at the same place
conflict: no order of the two would be chosen the same way from both sides.

A value that is absent (a key removed, a document that does not exist on one side) is
`ABSENT`, never ``None``, which is JSON ``null``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
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
    if isinstance(ours, list) and isinstance(theirs, list) and isinstance(base, list):
        return _merge_arrays(pointer, base, ours, theirs, prefer, conflicts)
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


def _merge_arrays(
    pointer: str,
    base: list[Any],
    ours: list[Any],
    theirs: list[Any],
    prefer: Side | None,
    conflicts: list[PointerConflict],
) -> list[Any]:
    """Merge two edits of an array as git's diff3 merges two edits of a file's lines."""
    merged: list[Any] = []
    for stretch in _stretches(base, ours, theirs):
        old, mine, other = stretch.base, stretch.ours, stretch.theirs
        if json_equal(mine, other) or json_equal(old, other):
            merged += mine
        elif json_equal(old, mine):
            merged += other
        elif len(old) == len(mine) == len(other):
            # Edited in place on both sides: merge element by element, by pointer.
            start = len(merged)
            merged += [
                _merge(f"{pointer}/{start + offset}", *values, prefer, conflicts)
                for offset, values in enumerate(zip(old, mine, other, strict=True))
            ]
        elif prefer is not None:
            merged += mine if prefer == "ours" else other
        else:
            conflicts.append(PointerConflict(pointer, old, mine, other, _stretch_reason(stretch)))
            merged += mine
    return merged


@dataclass(frozen=True)
class _Stretch:
    """Corresponding slices of the three arrays; ``start``: where it begins in the base."""

    start: int
    base: list[Any]
    ours: list[Any]
    theirs: list[Any]


def _stretches(base: list[Any], ours: list[Any], theirs: list[Any]) -> Iterator[_Stretch]:
    """Cut the arrays at the base elements both sides kept (diff3's stable anchors).

    Between two anchors comes the stretch where one side or both changed something; each
    anchor is a stretch of its own, equal on all three.
    """
    keys = [_key(value) for value in base]
    to_ours = _matches(keys, [_key(value) for value in ours])
    to_theirs = _matches(keys, [_key(value) for value in theirs])
    at_base = at_ours = at_theirs = 0
    for anchor in [*sorted(to_ours.keys() & to_theirs.keys()), len(base)]:
        end_ours = to_ours.get(anchor, len(ours))
        end_theirs = to_theirs.get(anchor, len(theirs))
        if (at_base, at_ours, at_theirs) != (anchor, end_ours, end_theirs):
            yield _Stretch(
                at_base, base[at_base:anchor], ours[at_ours:end_ours], theirs[at_theirs:end_theirs]
            )
        if anchor < len(base):
            kept = [base[anchor]]
            yield _Stretch(anchor, kept, [ours[end_ours]], [theirs[end_theirs]])
        at_base, at_ours, at_theirs = anchor + 1, end_ours + 1, end_theirs + 1


def _matches(base: list[Hashable], side: list[Hashable]) -> dict[int, int]:
    """Base index -> side index of the elements a side kept, in order on both."""
    matcher = SequenceMatcher(None, base, side, autojunk=False)
    return {
        block.a + offset: block.b + offset
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
    }


def _key(value: Any) -> Hashable:
    """A hashable stand-in that is equal exactly when the values are `json_equal`."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 and 1.0 are one key, as they are one JSON number
    if isinstance(value, dict):
        return ("object", frozenset((key, _key(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_key(item) for item in value))
    return (type(value).__name__, value)


def _stretch_reason(stretch: _Stretch) -> str:
    """What the two sides did to one stretch of an array, in the base's indices."""
    first, last = stretch.start, stretch.start + len(stretch.base) - 1
    where = f"element {first}" if first == last else f"elements {first}-{last}"
    if not stretch.base:
        return f"both sides inserted different elements at index {first}"
    if not stretch.ours:
        return f"{where} removed on ours, changed on theirs"
    if not stretch.theirs:
        return f"{where} changed on ours, removed on theirs"
    return f"{where} changed on both sides differently (elements added or removed)"


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
    return "changed on both sides"
