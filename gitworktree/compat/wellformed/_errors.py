"""wellformed's exceptions, as subclasses of gitworktree's so either ``except`` catches them.

Each carries the attributes wellformed documents (``line``/``column``, ``errors``,
``repair_attempts``/``filepath``) besides gitworktree's ``issues``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Self

from gitworktree import errors as core
from gitworktree.validation.issues import ValidationIssue

__all__ = [
    "DocumentIntegrityError",
    "DocumentParseError",
    "MutationFailedError",
    "SchemaValidationError",
    "issue_text",
]


def issue_text(issue: ValidationIssue | str) -> str:
    """An issue as wellformed's error strings read: its message, led by its location."""
    if isinstance(issue, str):
        return issue
    if issue.line is None:
        return issue.message
    column = f", column {issue.column}" if issue.column is not None else ""
    return f"line {issue.line}{column}: {issue.message}"


class DocumentParseError(core.DocumentParseError):
    """Content does not parse.

    Attributes:
        line: 1-based line of the problem, when the parser reported one.
        column: 1-based column of the problem, when the parser reported one.
        issues: the same problems as gitworktree ``ValidationIssue``s.
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        issues: Sequence[ValidationIssue] = (),
    ) -> None:
        self.message = message
        # line and column are gitworktree's: read from the first issue.
        found = tuple(issues) or (
            ValidationIssue(message, line=line, column=column, source="parse"),
        )
        super().__init__(message, found)

    @classmethod
    def from_core(cls, error: core.DocumentParseError) -> Self:
        """The same parse error, with the first issue's location as attributes."""
        first = error.issues[0] if error.issues else None
        message = first.message if first else str(error)
        line = first.line if first else None
        column = first.column if first else None
        return cls(message, line=line, column=column, issues=error.issues)


class SchemaValidationError(core.SchemaValidationError):
    """Content parses but breaks its schema.

    Attributes:
        errors: the schema errors, as text.
    """

    def __init__(self, message: str, errors: Sequence[ValidationIssue | str] = ()) -> None:
        self.message = message
        self.errors = [issue_text(error) for error in errors]
        issues = [ValidationIssue(e) if isinstance(e, str) else e for e in errors]
        super().__init__(message, issues)


class MutationFailedError(core.MutationFailedError):
    """A mutation left the document invalid and the fixing loop could not repair it.

    Attributes:
        errors: the last candidate's errors, as text.
        mutation_name: the ``name`` of the mutation that failed.
        attempts: how many repair calls were made.
        last_content: the last candidate (also ``issues`` and ``history``, as in gitworktree).
    """

    def __init__(
        self,
        message: str,
        errors: Sequence[ValidationIssue | str] = (),
        *,
        mutation_name: str | None = None,
        attempts: int = 0,
        last_content: str | None = None,
        history: Sequence[Sequence[ValidationIssue]] = (),
    ) -> None:
        self.message = message
        self.errors = [issue_text(error) for error in errors]
        self.mutation_name = mutation_name
        self.attempts = attempts
        issues = [ValidationIssue(e) if isinstance(e, str) else e for e in errors]
        super().__init__(message, issues, last_content=last_content, history=history)


class DocumentIntegrityError(core.MutationFailedError):
    """A stored document is invalid and ``load_with_repair`` could not repair it.

    Attributes:
        filepath: the file that was loaded.
        repair_attempts: how many repair calls were made.
        errors: the last candidate's errors, as text.
    """

    def __init__(
        self,
        message: str,
        filepath: str | os.PathLike[str] | None = None,
        repair_attempts: int = 0,
        errors: Sequence[ValidationIssue | str] = (),
        *,
        last_content: str | None = None,
    ) -> None:
        self.message = message
        self.filepath = None if filepath is None else os.fspath(filepath)
        self.repair_attempts = repair_attempts
        self.errors = [issue_text(error) for error in errors]
        issues = [ValidationIssue(e) if isinstance(e, str) else e for e in errors]
        super().__init__(message, issues, artifact=self.filepath, last_content=last_content)
