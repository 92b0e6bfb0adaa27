"""wellformed's error-formatting helpers, drawn by gitworktree's ``format_issue``.

wellformed's errors are strings; these helpers find the location a parser wrote into a
message and show the content around it with a caret, for logs and repair prompts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from gitworktree.compat.wellformed._errors import issue_text
from gitworktree.validation.formatting import format_issue
from gitworktree.validation.issues import ValidationIssue

__all__ = [
    "ErrorLocation",
    "FormattedError",
    "extract_line_column_from_message",
    "format_error_with_context",
    "format_validation_errors",
    "summarize_errors",
]

# "line 3, column 5" (lxml, ours), "line 3 column 5 (char 20)" (json), "3:5" (compilers).
_LINE_WORDS = re.compile(r"\bline[:\s]+(\d+)(?:[,;]?\s*(?:column|col)[:\s]+(\d+))?", re.I)
_LINE_COLON = re.compile(r"(?<![\d.])(\d+):(\d+)(?![\d.])")


class ErrorLocation(NamedTuple):
    """Where an error is: 1-based ``line`` and ``column``, each ``None`` when unknown."""

    line: int | None = None
    column: int | None = None


class FormattedError(NamedTuple):
    """An error shown in its context.

    Attributes:
        message: the error as given.
        location: where it is, as found in the message.
        context: the message followed by the numbered source lines around it, with a
            caret under the column; just the message when no location is known.
    """

    message: str
    location: ErrorLocation
    context: str

    def __str__(self) -> str:
        return self.context


def extract_line_column_from_message(message: str) -> ErrorLocation:
    """Find the line and column a parser wrote into an error message.

    Recognizes ``line 3, column 5``, ``line 3 column 5``, ``line 3`` and ``3:5``.

    Returns:
        The location; ``ErrorLocation(None, None)`` when the message names none.
    """
    # lxml names the opening tag's line too ("tag mismatch: a line 1 and b, line 2,
    # column 9"): the place with a column is where the error is.
    matches = list(_LINE_WORDS.finditer(message))
    match = next((m for m in matches if m.group(2)), matches[0] if matches else None)
    if match:
        column = match.group(2)
        return ErrorLocation(int(match.group(1)), int(column) if column else None)
    match = _LINE_COLON.search(message)
    if match:
        return ErrorLocation(int(match.group(1)), int(match.group(2)))
    return ErrorLocation()


def format_error_with_context(
    content: str, error: str | ValidationIssue, context_lines: int = 2
) -> FormattedError:
    """Show one error with the lines of ``content`` around its location.

    Args:
        content: the document the error was found in.
        error: the error message (its location is read from it) or a gitworktree issue.
        context_lines: how many lines to show before and after the error's line.
    """
    if isinstance(error, ValidationIssue):
        message, location, issue = issue_text(error), ErrorLocation(error.line, error.column), error
    else:
        message, location = error, extract_line_column_from_message(error)
        issue = ValidationIssue(
            message, line=location.line, column=location.column, source="custom"
        )
    shown = format_issue(issue, content, context=context_lines)
    # format_issue leads with the issue's one-line form; wellformed's leads with the message.
    body = shown.split("\n", 1)[1] if "\n" in shown else ""
    return FormattedError(message, location, f"{message}\n{body}" if body else message)


def format_validation_errors(
    content: str, errors: Sequence[str | ValidationIssue], context_lines: int = 2
) -> str:
    """Show every error with its context, numbered, separated by blank lines."""
    shown = [
        f"{number}. {format_error_with_context(content, error, context_lines).context}"
        for number, error in enumerate(errors, start=1)
    ]
    return "\n\n".join(shown)


def summarize_errors(errors: Sequence[str | ValidationIssue], max_errors: int = 5) -> str:
    """One short paragraph: how many errors, the first ``max_errors``, how many more."""
    if not errors:
        return "No errors."
    texts = [issue_text(error) for error in errors]
    noun = "error" if len(texts) == 1 else "errors"
    lines = [f"{len(texts)} {noun}:"] + [f"- {text}" for text in texts[:max_errors]]
    if len(texts) > max_errors:
        lines.append(f"... and {len(texts) - max_errors} more")
    return "\n".join(lines)
