"""Strict JSON parsing: every problem becomes a DocumentParseError with located issues.

:func:`parse_json` is stricter than :func:`json.loads`: it refuses ``NaN`` and
``Infinity``, duplicate object keys, strings holding lone surrogates (they cannot be written
back as UTF-8), nesting deeper than :data:`MAX_JSON_DEPTH`, and bytes that are not UTF-8.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any, cast

from gitworktree.errors import DocumentParseError
from gitworktree.validation.encoding import decode_utf8
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_pointers import (
    JSONValueStart,
    LineCounter,
    locate_json_pointers,
    scan_json_values,
    to_json_pointer,
)
from gitworktree.validation.loop import ValidateFunction

# The pointer helpers are re-exported: the artifact layer takes them with the parser.
__all__ = [
    "MAX_JSON_DEPTH",
    "locate_json_pointers",
    "make_json_wellformed_validator",
    "parse_json",
    "to_json_pointer",
]

MAX_JSON_DEPTH = 128
"""Deepest nesting of arrays and objects :func:`parse_json` accepts by default.

Deeper documents are refused before parsing: Python's parser, JSON Schema validation and
serialization all recurse, and fail with ``RecursionError`` somewhere past 200 levels.
"""

_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _NonFiniteNumberError(Exception):
    """Raised from inside :func:`json.loads` at ``NaN`` / ``Infinity``; never escapes."""


class _DuplicateKeyError(Exception):
    """Raised from inside :func:`json.loads` at a repeated key; never escapes."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_json(data: str | bytes | bytearray, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse strict JSON.

    Args:
        data: the document, as text or as UTF-8 bytes.
        max_depth: the deepest nesting of arrays and objects to accept.

    Returns:
        The parsed value (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``).

    Raises:
        DocumentParseError: the document is not strict JSON; its issues say where
            (line, column, and the JSON Pointer when one is known).
    """
    # The usual document (UTF-8 bytes, shallow) takes no call but the parse's: at a mount
    # of 10,000 artifacts each call here costs ~1% of the whole.
    if type(data) is bytes:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = decode_utf8(data)  # raises, naming the bad byte
    else:
        text = _decoded(data)
    if text.count("[") + text.count("{") > max_depth:
        _check_depth(text, max_depth)
    try:
        value = _decode(text)
    except json.JSONDecodeError as exc:
        issue = ValidationIssue(exc.msg, line=exc.lineno, column=exc.colno, source="parse")
        raise _parse_error(issue) from exc
    except _NonFiniteNumberError as exc:
        raise _parse_error(_non_finite_issue(text, str(exc))) from None
    except _DuplicateKeyError as exc:
        raise _parse_error(_duplicate_key_issue(text, exc.key)) from None
    except RecursionError:
        # Only reachable when the caller is itself deep in the stack.
        issue = ValidationIssue("nesting too deep to parse here", source="parse")
        raise _parse_error(issue) from None
    if "\\u" in text or not text.isascii():
        _check_surrogates(text, value)  # else no surrogate can be anywhere: no scan
    return value


def make_json_wellformed_validator() -> ValidateFunction:
    """Build a validate function that only checks that content is strict JSON.

    Returns:
        A function from content to its parse issues.
    """

    def validate(content: str) -> list[ValidationIssue]:
        try:
            parse_json(content)
        except DocumentParseError as exc:
            return list(exc.issues)
        return []

    return validate


def _parse_error(issue: ValidationIssue) -> DocumentParseError:
    return DocumentParseError("content is not valid JSON", [issue])


def _decoded(data: str | bytes | bytearray) -> str:
    return data if isinstance(data, str) else decode_utf8(data)


def _check_depth(text: str, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` before parsing, at the first bracket too deep.

    The caller looks first whether the text holds more brackets than ``max_depth`` at
    all (two C-speed counts); only then can it be too deep.
    """
    depth = 0
    for match in _BRACKET_OR_STRING.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                line, column = LineCounter(text).at(match.start())
                message = f"nesting deeper than {max_depth} levels is not allowed"
                issue = ValidationIssue(message, line=line, column=column, source="parse")
                raise _parse_error(issue)
        elif token in ("]", "}"):
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise _NonFiniteNumberError(name)


def _object_with_unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


# One scanner for every call: ``json.loads`` with hooks builds a decoder each time, which
# costs as much as parsing a small document. Scanning keeps no state between calls.
_DECODER = json.JSONDecoder(
    parse_constant=_refuse_constant, object_pairs_hook=_object_with_unique_keys
)
_SCAN: Callable[[str, int], tuple[Any, int]] = cast(Any, _DECODER).scan_once  # untyped in typeshed
_JSON_WHITESPACE = " \t\n\r"
_NOT_A_VALUE_START = _JSON_WHITESPACE + "\ufeff"


def _decode(text: str) -> Any:
    """``json.loads(text)`` with the hooks above: the same checks and the same errors."""
    start = 0
    if text[:1] in _NOT_A_VALUE_START:  # (and "": an empty text) else nothing to skip
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    try:
        value, end = _SCAN(text, start)
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text) and not (end == len(text) - 1 and text[end] == "\n"):
        rest = text[end:]
        extra = len(rest) - len(rest.lstrip(_JSON_WHITESPACE))
        if extra != len(rest):
            raise json.JSONDecodeError("Extra data", text, end + extra)
    return value


def _non_finite_issue(text: str, name: str) -> ValidationIssue:
    found = next((v for v in scan_json_values(text) if v.token in _NON_FINITE), None)
    name = found.token if found else name
    message = f"{name} is not allowed in JSON; use a finite number, a string or null"
    return _located_issue(text, found, message)


def _duplicate_key_issue(text: str, key: str) -> ValidationIssue:
    # json.loads reports the innermost object first; the scan finds the first in the text.
    found = next((v for v in scan_json_values(text) if v.duplicate_key is not None), None)
    key = found.duplicate_key if found and found.duplicate_key is not None else key
    return _located_issue(text, found, f"duplicate object key {key!r}")


def _check_surrogates(text: str, value: Any) -> None:
    if not _SURROGATE_ESCAPE.search(text) and not _SURROGATE.search(text):
        return  # the usual case: no surrogate anywhere, so no walk
    pointer = _first_lone_surrogate(value)
    if pointer is None:
        return
    found = next((v for v in scan_json_values(text) if v.pointer == pointer), None)
    message = "string holds a lone surrogate, which cannot be encoded as UTF-8"
    issue = _located_issue(text, found, message, pointer=pointer)
    # The pointer itself may hold the surrogate (a key); keep the issue printable.
    shown = pointer.encode("utf-8", "backslashreplace").decode("utf-8")
    raise _parse_error(dataclasses.replace(issue, pointer=shown or None))


def _first_lone_surrogate(value: Any) -> str | None:
    """The pointer of the first string (key or value) holding a lone surrogate, if any."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        pointer, item = pending.pop()
        if isinstance(item, str) and _SURROGATE.search(item):
            return pointer
        if isinstance(item, dict):
            for key in item:
                if _SURROGATE.search(key):
                    return pointer + to_json_pointer([key])
            pending.extend((pointer + to_json_pointer([k]), v) for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((f"{pointer}/{i}", v) for i, v in enumerate(item))
    return None


def _located_issue(
    text: str, found: JSONValueStart | None, message: str, *, pointer: str | None = None
) -> ValidationIssue:
    if found is None:
        return ValidationIssue(message, pointer=pointer or None, source="parse")
    line, column = LineCounter(text).at(found.offset)
    return ValidationIssue(
        message, pointer=found.pointer or None, line=line, column=column, source="parse"
    )
