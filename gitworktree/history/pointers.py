"""Structural diff of two JSON documents, by RFC 6901 JSON Pointer.

Objects are compared key by key and arrays index by index, recursively; anything else
(or a change of type) is one change at its pointer. ``true`` and ``1`` differ, ``1`` and
``1.0`` do not (they are the same JSON number).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["PointerChange", "escape_pointer_token", "json_pointer_changes"]


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


def json_pointer_changes(old: bytes, new: bytes) -> tuple[PointerChange, ...] | None:
    """The structural changes from ``old`` to ``new``, or ``None`` if either is not JSON.

    Args:
        old: the document before (UTF-8 JSON).
        new: the document after.
    """
    try:
        before, after = json.loads(old), json.loads(new)
    except (ValueError, UnicodeDecodeError):
        return None
    return tuple(_changes("", before, after))


def escape_pointer_token(token: str) -> str:
    """Escape one reference token: ``~`` -> ``~0``, ``/`` -> ``~1`` (RFC 6901, section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def _changes(pointer: str, old: Any, new: Any) -> Iterator[PointerChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            child = f"{pointer}/{escape_pointer_token(key)}"
            if key not in new:
                yield PointerChange(child, old[key], None, "removed")
            else:
                yield from _changes(child, old[key], new[key])
        for key in new:
            if key not in old:
                yield PointerChange(
                    f"{pointer}/{escape_pointer_token(key)}", None, new[key], "added"
                )
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            child = f"{pointer}/{index}"
            if index >= len(new):
                yield PointerChange(child, old[index], None, "removed")
            elif index >= len(old):
                yield PointerChange(child, None, new[index], "added")
            else:
                yield from _changes(child, old[index], new[index])
    elif not _same_value(old, new):
        yield PointerChange(pointer, old, new, "changed")


def _same_value(old: Any, new: Any) -> bool:
    """JSON equality: booleans are not numbers, and containers never equal scalars."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return bool(old == new)
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return False  # a container against a non-container (same kinds were recursed into)
    return type(old) is type(new) and bool(old == new)
