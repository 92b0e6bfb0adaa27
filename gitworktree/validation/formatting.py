"""Issues as people and LLMs read them: source context with a caret, and repair prompts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from gitworktree.validation.issues import ValidationIssue

__all__ = ["format_issue", "format_issues", "repair_prompt"]

_BACKTICK_RUN = re.compile(r"`{3,}")


def format_issue(issue: ValidationIssue, content: str, *, context: int = 2) -> str:
    """Show an issue the way a compiler shows an error: its line, numbered, with a caret.

    ::

        notes.json:3:12: at /title: 42 is not of type 'string' (schema)
            2 |   "done": false,
        >   3 |   "title": 42
              |            ^
            4 | }

    Args:
        issue: the issue to show.
        content: the content the issue was found in.
        context: how many lines to show before and after the issue's line.

    Returns:
        The issue's one-line form, followed by the source excerpt when the issue has a line
        inside ``content``.
    """
    lines = _source_lines(content)
    if issue.line is None or not 1 <= issue.line <= len(lines):
        return str(issue)
    first = max(1, issue.line - max(context, 0))
    last = min(len(lines), issue.line + max(context, 0))
    if last > issue.line and last == len(lines) and not lines[-1]:
        last -= 1  # the empty "line" after a final newline is noise
    width = len(str(last))
    out = [str(issue)]
    for number in range(first, last + 1):
        marker = ">" if number == issue.line else " "
        out.append(f"{marker} {number:>{width}} | {lines[number - 1]}".rstrip())
        if number == issue.line and issue.column is not None:
            out.append(f"  {'':>{width}} | {_caret(lines[number - 1], issue.column)}")
    return "\n".join(out)


def format_issues(issues: Sequence[ValidationIssue], content: str, *, context: int = 2) -> str:
    """Format several issues with :func:`format_issue`, separated by blank lines.

    Args:
        issues: the issues to show, in order.
        content: the content they were found in.
        context: lines of context around each issue.

    Returns:
        The formatted issues; an empty string when there are none.
    """
    return "\n\n".join(format_issue(issue, content, context=context) for issue in issues)


def repair_prompt(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    """Build a prompt asking an LLM to repair ``content``.

    The prompt lists every issue (with its line, column and pointer), then the content in
    a fenced block, and asks for the complete corrected document and nothing else.

    Args:
        content: the invalid content.
        issues: its issues, e.g. from the last validation pass of a fixing loop.
        document_type: what the content is (``"todo-list"``, ``"JSON config"``).

    Returns:
        The prompt text.
    """
    listed = "\n".join(
        f"{number}. {_issue_line(issue)}" for number, issue in enumerate(issues, start=1)
    )
    fence = _fence_for(content)
    return (
        f"The {document_type} below is invalid. Fix every issue listed and keep everything "
        f"else unchanged.\nReply with the complete corrected {document_type} only: no "
        f"explanation, no code fences.\n\n"
        f"Issues ({len(issues)}):\n{listed}\n\n"
        f"Current {document_type}:\n{fence}\n{content}\n{fence}\n"
    )


def _source_lines(content: str) -> list[str]:
    # Parsers count lines by "\n" only; str.splitlines would also split at U+2028 and
    # friends, which JSON strings may hold raw, and put the caret on the wrong line.
    return [line.removesuffix("\r") for line in content.split("\n")]


def _caret(line: str, column: int) -> str:
    """Spaces (tabs kept, so the caret lines up) up to ``column``, then a caret."""
    before = line[: max(column, 1) - 1]
    padding = "".join("\t" if char == "\t" else " " for char in before)
    return padding + " " * (max(column, 1) - 1 - len(before)) + "^"


def _issue_line(issue: ValidationIssue) -> str:
    where = []
    if issue.artifact:
        where.append(issue.artifact)
    if issue.line is not None:
        where.append(f"line {issue.line}")
        if issue.column is not None:
            where.append(f"column {issue.column}")
    if issue.pointer:
        where.append(f"at {issue.pointer}")
    prefix = f"{', '.join(where)}: " if where else ""
    return f"{prefix}{issue.message} ({issue.source})"


def _fence_for(content: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(content)), default=2)
    return "`" * (longest + 1)
