"""wellformed's error-formatting helpers, with wellformed's signatures and output.

wellformed's errors are strings; these helpers find the location a parser wrote into a
message and show the content around it, the line marked ``>>>`` and a caret under the
column, for logs and repair prompts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gitworktree.compat.wellformed._errors import issue_text
from gitworktree.validation.issues import ValidationIssue

__all__ = [
    "ErrorLocation",
    "FormattedError",
    "LocationExtractor",
    "extract_line_column_from_message",
    "format_error_with_context",
    "format_validation_errors",
    "summarize_errors",
]

# "line 3, column 5" (lxml, ours), "line 3 column 5 (char 20)" (json), "3:5" (compilers).
_LINE_WORDS = re.compile(r"\bline[:\s]+(\d+)(?:[,;]?\s*(?:column|col)[:\s]+(\d+))?", re.I)
_LINE_COLON = re.compile(r"(?<![\d.])(\d+):(\d+)(?![\d.])")


LocationExtractor = Callable[[str], tuple[int | None, int | None]]
"""Finds ``(line, column)`` in an error message; each ``None`` when absent."""


@dataclass
class ErrorLocation:
    """Where an error is: 1-based ``line`` and ``column``, each ``None`` when unknown."""

    line: int | None = None
    column: int | None = None
    xpath: str | None = None


@dataclass
class FormattedError:
    """An error with its context, as ``format_error_with_context`` shows it."""

    message: str
    location: ErrorLocation = field(default_factory=ErrorLocation)
    context_lines: str = ""

    def __str__(self) -> str:
        return self.context_lines or f"Error: {self.message}"


def extract_line_column_from_message(message: str) -> tuple[int | None, int | None]:
    """Find the line and column a parser wrote into an error message.

    Recognizes ``line 3, column 5``, ``line 3 column 5``, ``line 3`` and ``3:5``.

    Returns:
        ``(line, column)``; ``(None, None)`` when the message names no location.
    """
    # lxml names the opening tag's line too ("tag mismatch: a line 1 and b, line 2,
    # column 9"): the place with a column is where the error is.
    matches = list(_LINE_WORDS.finditer(message))
    match = next((m for m in matches if m.group(2)), matches[0] if matches else None)
    if match:
        column = match.group(2)
        return int(match.group(1)), int(column) if column else None
    match = _LINE_COLON.search(message)
    if match:
        return int(match.group(1)), int(match.group(2))
    return None, None


def format_error_with_context(
    error_message: str | ValidationIssue,
    content: str,
    line: int | None = None,
    column: int | None = None,
    context_window: int = 5,
) -> str:
    """Show one error with the lines of ``content`` around its line, as wellformed did.

    The error's line is marked ``>>>`` and a caret points at its column::

        Error: Element 'marker' missing required attribute 'name'
        Line 47, column 12:
            45 |   <p id="intro-p3">
        >>> 47 |     <marker/>
                         ^

    Args:
        error_message: the error (a gitworktree issue brings its own line and column).
        content: the document the error was found in.
        line: 1-based line of the error; without one only the message is shown.
        column: 1-based column, for the caret.
        context_window: how many lines to show before and after the error's line.
    """
    if isinstance(error_message, ValidationIssue):
        line = error_message.line if line is None else line
        column = error_message.column if column is None else column
        error_message = error_message.message
    parts = [f"Error: {error_message}"]
    if line is None:
        return "\n".join(parts)
    parts.append(f"Line {line}" + (f", column {column}" if column is not None else "") + ":")
    lines = content.splitlines()
    first, last = max(1, line - context_window), min(len(lines), line + context_window)
    width = len(str(max(last, line)))
    for number in range(first, max(last, line) + 1):
        text = lines[number - 1] if number <= len(lines) else ""
        marker = ">>> " if number == line else "    "
        parts.append(f"{marker}{number:>{width}} | {text}")
        if number == line and column is not None:
            parts.append(" " * (len(marker) + width + 3 + column - 1) + "^")
    return "\n".join(parts)


def format_validation_errors(
    errors: Sequence[str | ValidationIssue],
    content: str,
    context_window: int = 3,
    location_extractor: LocationExtractor | None = None,
) -> str:
    """Show every error with its context, numbered, as wellformed did.

    Args:
        errors: the errors (their locations are read from the messages).
        content: the document they were found in.
        context_window: how many lines to show around each error.
        location_extractor: finds ``(line, column)`` in a message; by default
            ``extract_line_column_from_message``.
    """
    if not errors:
        return "No errors"
    extract = location_extractor or extract_line_column_from_message
    parts = [f"Found {len(errors)} validation error(s):\n"]
    for number, error in enumerate(errors, start=1):
        parts.append(f"--- Error {number} of {len(errors)} ---")
        if isinstance(error, ValidationIssue):
            parts.append(format_error_with_context(error, content, context_window=context_window))
        else:
            line, column = extract(error)
            parts.append(format_error_with_context(error, content, line, column, context_window))
        parts.append("")
    return "\n".join(parts)


def summarize_errors(errors: Sequence[str | ValidationIssue], max_errors: int = 5) -> str:
    """A short list for logs: the first ``max_errors`` errors and how many more."""
    if not errors:
        return "No errors"
    texts = [issue_text(error) for error in errors]
    lines = [f"  - {text}" for text in texts[:max_errors]]
    if len(texts) > max_errors:
        lines.append(f"  ... and {len(texts) - max_errors} more error(s)")
    return "\n".join(lines)
