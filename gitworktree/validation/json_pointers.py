"""JSON Pointers (RFC 6901), and where each value starts in a JSON text.

The scanner is lexical and keeps its own stack, so it handles any nesting depth and text
that :func:`json.loads` would refuse (it yields what it can). Strict parsing uses it to
locate what it refuses; schema checks use it to give each issue a line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "JSONValueStart",
    "LineCounter",
    "locate_json_pointers",
    "scan_json_values",
    "to_json_pointer",
]

_STRING = r'"(?:[^"\\]++|\\.)*+"'
_TOKEN = re.compile(rf'{_STRING}|[\[\]{{}}:,]|[^ \t\n\r\[\]{{}}:,"]++', re.DOTALL)


def to_json_pointer(parts: Iterable[str | int]) -> str:
    """Build an RFC 6901 JSON Pointer from path parts (``~`` → ``~0``, ``/`` → ``~1``).

    Args:
        parts: object keys and array indices from the root down.

    Returns:
        The pointer: ``""`` for the root, else ``"/a/0/b~1c"``.
    """
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def locate_json_pointers(text: str) -> dict[str, tuple[int, int]]:
    """Map the JSON Pointer of every value in ``text`` to where that value starts.

    Args:
        text: a JSON document (it should parse; on other text the map is best effort).

    Returns:
        pointer → (1-based line, 1-based column) of the value's first character; the root
        value's pointer is ``""``. For a repeated key the first occurrence is kept.
    """
    lines = LineCounter(text)
    locations: dict[str, tuple[int, int]] = {}
    for value in scan_json_values(text):
        if value.pointer not in locations:
            locations[value.pointer] = lines.at(value.offset)
    return locations


@dataclass(frozen=True, slots=True)
class JSONValueStart:
    """Where one value starts in a JSON text.

    Attributes:
        pointer: the value's JSON Pointer (``""`` for the root).
        offset: the index of its first character in the text.
        token: its first token: ``{``, ``[``, a quoted string, or a number or literal.
        duplicate_key: the member's key when that key already appeared in the same object.
    """

    pointer: str
    offset: int
    token: str
    duplicate_key: str | None = None


@dataclass(slots=True)
class _Container:
    pointer: str
    is_object: bool
    index: int = 0
    key: str = ""
    keys: set[str] = field(default_factory=set)
    duplicate: bool = False

    def child_pointer(self) -> str:
        part = self.key if self.is_object else str(self.index)
        return f"{self.pointer}/{part.replace('~', '~0').replace('/', '~1')}"


def scan_json_values(text: str) -> Iterator[JSONValueStart]:
    """Yield where every value of a JSON text starts, in document order, without recursion.

    The scan is lexical and tolerant: on text that does not parse it yields what it can.

    Args:
        text: the JSON text.

    Yields:
        One :class:`JSONValueStart` per value, containers before their members.
    """
    stack: list[_Container] = []
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        top = stack[-1] if stack else None
        if token == ",":
            if top is not None and top.is_object:
                expect_key = True
            elif top is not None:
                top.index += 1
        elif token in ("]", "}"):
            if stack:
                stack.pop()
            expect_key = False
        elif token == ":":
            continue
        elif top is not None and top.is_object and expect_key:
            top.key = _key_of(token)
            top.duplicate = top.key in top.keys
            top.keys.add(top.key)
            expect_key = False
        else:
            pointer = top.child_pointer() if top is not None else ""
            duplicate = top.key if top is not None and top.is_object and top.duplicate else None
            yield JSONValueStart(pointer, match.start(), token, duplicate)
            if token in ("[", "{"):
                stack.append(_Container(pointer, is_object=token == "{"))
                expect_key = token == "{"


def _key_of(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        key: str = json.loads(token)
    except ValueError:  # not a string after all; the text does not parse anyway
        return token
    return key


class LineCounter:
    """Turns offsets into 1-based (line, column); increasing offsets count each newline once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        """The (line, column) of ``offset``: cheap when offsets come in increasing order."""
        if offset < self._offset:  # going back: start counting again from the top
            self._offset, self._line, self._line_start = 0, 1, 0
        newlines = self._text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = self._text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        return self._line, offset - self._line_start + 1
