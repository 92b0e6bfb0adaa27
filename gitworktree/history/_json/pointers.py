"""Structural diff of two JSON documents, by RFC 6901 JSON Pointer.

Objects are compared key by key and arrays index by index, recursively; anything else
(or a change of type) is one change at its pointer. ``true`` and ``1`` differ, ``1`` and
``1.0`` do not (they are the same JSON number).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

__all__ = [
    "PointerChange",
    "PointerDiff",
    "bounded_pointer_changes",
    "escape_pointer_token",
    "json_pointer_changes",
]

# How many changed values a diff lists, and how many values it compares at most: a
# document of a million elements is summarized, not listed (nor compared) to the end.
LISTED_POINTERS = 1000
COMPARED_VALUES = 2_000_000


@dataclass(frozen=True)
class PointerChange:
    """One change inside a JSON document.

    Attributes:
        pointer: RFC 6901 JSON Pointer of the changed value (``""`` is the whole document).
        old: the value before; ``None`` when ``kind`` is ``"added"``.
        new: the value after; ``None`` when ``kind`` is ``"removed"``.
        kind: ``"added"``, ``"removed"`` or ``"changed"``.
    """

    pointer: str
    old: Any
    new: Any
    kind: str


class PointerDiff:
    """The changes between two JSON documents, bounded.

    Never changed once made. A slotted class rather than a frozen dataclass, whose
    generated methods would be built when a diff first meets a JSON file.

    Attributes:
        listed: the first changes, in document order (at most the ``listed`` asked for).
        omitted: how many more changes were found and not listed.
        complete: ``False`` if the comparison stopped at its bound on compared values;
            ``omitted`` is then a lower bound.
    """

    __slots__ = ("complete", "listed", "omitted")

    def __init__(
        self, listed: tuple[PointerChange, ...], omitted: int = 0, complete: bool = True
    ) -> None:
        self.listed = listed
        self.omitted = omitted
        self.complete = complete


def json_pointer_changes(old: bytes, new: bytes) -> tuple[PointerChange, ...] | None:
    """Every structural change from ``old`` to ``new``, or ``None`` if either is not JSON.

    Unbounded: for documents from elsewhere use `bounded_pointer_changes`.

    Args:
        old: the document before (UTF-8 JSON).
        new: the document after.
    """
    diff = bounded_pointer_changes(old, new, listed=None, compared=None)
    return None if diff is None else diff.listed


def bounded_pointer_changes(
    old: bytes,
    new: bytes,
    *,
    listed: int | None = LISTED_POINTERS,
    compared: int | None = COMPARED_VALUES,
) -> PointerDiff | None:
    """The structural changes from ``old`` to ``new``, or ``None`` if either is not JSON.

    Args:
        old: the document before (UTF-8 JSON).
        new: the document after.
        listed: list at most this many changes, count the rest (``None``: list all).
        compared: compare at most this many values, then stop (``None``: no bound).
    """
    # Imported here: a diff imports this module for `PointerChange`, and most diffs meet
    # no JSON file (stdlib json costs ~1 ms of a history command's start).
    import json

    try:
        before, after = json.loads(old), json.loads(new)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    walk = _Walk(listed, compared)
    try:
        walk.compare("", before, after)
    except RecursionError:  # nested deeper than this stack can walk: as far as it got
        walk.stopped = True
    return PointerDiff(tuple(walk.found), walk.omitted, not walk.stopped)


def escape_pointer_token(token: str) -> str:
    """Escape one reference token: ``~`` -> ``~0``, ``/`` -> ``~1`` (RFC 6901, section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


class _Walk:
    """One comparison: the changes listed, those counted, and the values compared.

    Plain recursion over containers with an inline test for scalar members: this walks
    a million-element array in well under a second, where a generator per value took
    many seconds.
    """

    def __init__(self, listed: int | None, compared: int | None) -> None:
        self.found: list[PointerChange] = []
        self.omitted = 0
        self.listed = listed
        self.left = -1 if compared is None else compared  # -1: no bound
        self.stopped = False

    def record(self, pointer: str, old: Any, new: Any, kind: str) -> None:
        if self.listed is None or len(self.found) < self.listed:
            self.found.append(PointerChange(pointer, old, new, kind))
        else:
            self.omitted += 1

    def take(self, count: int) -> int:
        """How many of ``count`` more values may be compared (all, short of the bound)."""
        if self.left < 0:
            return count
        granted = min(count, self.left)
        self.left -= granted
        if granted < count:
            self.stopped = True
        return granted

    def compare(self, pointer: str, old: Any, new: Any) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            self._compare_objects(pointer, old, new)
        elif isinstance(old, list) and isinstance(new, list):
            self._compare_arrays(pointer, old, new)
        elif not _same_value(old, new):
            self.record(pointer, old, new, "changed")

    def _compare_objects(self, pointer: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        granted, partial = self.take(len(old) + len(new)), self.stopped
        for key, value in islice(old.items(), granted):
            child = f"{pointer}/{escape_pointer_token(key)}"
            if key not in new:
                self.record(child, value, None, "removed")
            else:
                self._member(child, value, new[key])
            if self.stopped and not partial:
                return  # a member used up the bound
        for key, value in islice(new.items(), max(0, granted - len(old))):
            if key not in old:
                self.record(f"{pointer}/{escape_pointer_token(key)}", None, value, "added")

    def _compare_arrays(self, pointer: str, old: list[Any], new: list[Any]) -> None:
        granted, partial = self.take(max(len(old), len(new))), self.stopped
        common = min(len(old), len(new), granted)
        for index in range(common):
            self._member(f"{pointer}/{index}", old[index], new[index])
            if self.stopped and not partial:
                return  # a member used up the bound
        for index in range(common, min(len(old), granted)):
            self.record(f"{pointer}/{index}", old[index], None, "removed")
        for index in range(common, min(len(new), granted)):
            self.record(f"{pointer}/{index}", None, new[index], "added")

    def _member(self, pointer: str, old: Any, new: Any) -> None:
        if type(old) is type(new) and type(old) in _SCALARS:
            if old != new:  # same scalar type: plain equality is JSON equality
                self.record(pointer, old, new, "changed")
        else:
            self.compare(pointer, old, new)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _same_value(old: Any, new: Any) -> bool:
    """JSON equality: booleans are not numbers, and containers never equal scalars."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return bool(old == new)
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return False  # a container against a non-container (same kinds were recursed into)
    return type(old) is type(new) and bool(old == new)
