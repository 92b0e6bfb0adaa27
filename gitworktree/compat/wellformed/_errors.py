"""wellformed's exceptions, as subclasses of gitworktree's so either ``except`` catches them.

As in wellformed, ``DocumentIntegrityError`` is the root of them all: ``except
DocumentIntegrityError`` catches parse, schema, mutation and checkpoint failures. Each
also subclasses the gitworktree error of the same name and carries its ``issues``, and
each takes wellformed's constructor arguments (``filepath``, ``line``/``column``,
``errors``, ``repair_attempts``/``final_errors``, ``original_error``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from gitworktree import errors as core
from gitworktree.validation.issues import ValidationIssue

__all__ = [
    "CheckpointError",
    "DocumentIntegrityError",
    "DocumentParseError",
    "InvariantViolationError",
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


def _as_path(filepath: str | os.PathLike[str] | None) -> Path | None:
    return None if filepath is None else Path(filepath)


def _issues(errors: Sequence[ValidationIssue | str]) -> list[ValidationIssue]:
    return [ValidationIssue(e) if isinstance(e, str) else e for e in errors]


class DocumentIntegrityError(core.GitWorktreeError):
    """The root of wellformed's exceptions: a document's integrity could not be kept."""


class DocumentParseError(core.DocumentParseError, DocumentIntegrityError):
    """Content does not parse.

    Args:
        message: what is wrong.
        filepath: the file the content came from, when known.
        line: 1-based line of the problem, when the parser reported one.
        column: 1-based column of the problem, when the parser reported one.

    Attributes:
        filepath, line, column: as given (``line``/``column`` come from the first issue).
        issues: the same problems as gitworktree ``ValidationIssue``s.
    """

    def __init__(
        self,
        message: str,
        filepath: str | os.PathLike[str] | int | None = None,
        line: int | None = None,
        column: int | None = None,
        *,
        issues: Sequence[ValidationIssue] = (),
    ) -> None:
        if isinstance(filepath, int):
            # Called as (message, line, column), the way earlier versions of this
            # class were: the integers are a location, not a path.
            filepath, line, column = None, filepath, line
        self.message = message
        self.filepath = _as_path(filepath)
        # line and column are gitworktree's: read from the first issue.
        found = tuple(issues) or (
            ValidationIssue(message, line=line, column=column, source="parse"),
        )
        super().__init__(message, found)

    def __str__(self) -> str:
        # As wellformed's parser errors read: one message with its place, no issue list.
        return "\n".join(issue_text(issue) for issue in self.issues) or self.message

    @classmethod
    def from_core(cls, error: core.DocumentParseError) -> Self:
        """The same parse error, with the first issue's location as attributes."""
        first = error.issues[0] if error.issues else None
        message = first.message if first else str(error)
        line = first.line if first else None
        column = first.column if first else None
        return cls(message, line=line, column=column, issues=error.issues)


class SchemaValidationError(core.SchemaValidationError, DocumentIntegrityError):
    """Content parses but breaks its schema.

    Args:
        message: what is wrong.
        filepath: the file, when known (wellformed's second argument).
        errors: the schema errors.

    Attributes:
        filepath: as given.
        errors: the schema errors, as text.
    """

    def __init__(
        self,
        message: str,
        filepath: str | os.PathLike[str] | Sequence[ValidationIssue | str] | None = None,
        errors: Sequence[ValidationIssue | str] | None = None,
    ) -> None:
        if filepath is not None and not isinstance(filepath, str | os.PathLike):
            # Called as (message, errors), the way earlier versions of this class were.
            filepath, errors = None, filepath
        self.message = message
        self.filepath = _as_path(filepath)
        self.errors = [issue_text(error) for error in errors or ()]
        super().__init__(message, _issues(errors or ()))


class MutationFailedError(core.MutationFailedError, DocumentIntegrityError):
    """A mutation (or ``load_with_repair``) could not produce valid content.

    Args:
        message: what failed.
        errors: the last candidate's errors (also accepted as wellformed's
            ``final_errors=``).
        original_error: the exception the mutation itself raised, if that was the failure.
        repair_attempts: how many repair calls were made (also ``attempts=``).
        mutation_name: the ``name`` of the mutation, when a mutation failed.
        filepath: the file, when a load failed.
        last_content: the last candidate, kept so nothing is lost.
        history: the issues of every validation pass, oldest first.

    Attributes:
        final_errors, errors: the last candidate's errors, as text (the same list).
        repair_attempts, attempts: how many repair calls were made (the same number).
        original_error, mutation_name, filepath, last_content: as given.
    """

    def __init__(
        self,
        message: str,
        errors: Sequence[ValidationIssue | str] = (),
        *,
        original_error: Exception | None = None,
        repair_attempts: int | None = None,
        final_errors: Sequence[ValidationIssue | str] | None = None,
        mutation_name: str | None = None,
        attempts: int = 0,
        filepath: str | os.PathLike[str] | None = None,
        last_content: str | None = None,
        history: Sequence[Sequence[ValidationIssue]] = (),
    ) -> None:
        found = list(final_errors) if final_errors is not None else list(errors)
        self.message = message
        self.errors = [issue_text(error) for error in found]
        self.final_errors = self.errors
        self.original_error = original_error
        self.mutation_name = mutation_name
        self.attempts = attempts if repair_attempts is None else repair_attempts
        self.repair_attempts = self.attempts
        self.filepath = _as_path(filepath)
        super().__init__(
            message,
            _issues(found),
            artifact=None if filepath is None else os.fspath(filepath),
            last_content=last_content,
            history=history,
        )


class CheckpointError(core.CheckpointError, DocumentIntegrityError):
    """A checkpoint cannot be taken, restored or discarded (or was already used).

    Takes wellformed's single message, or gitworktree's ``(name, message)``.

    Attributes:
        name: the file or directory concerned ("" when only a message was given).
    """

    def __init__(self, name_or_message: str, message: str | None = None) -> None:
        if message is None:
            name_or_message, message = "", name_or_message
        super().__init__(name_or_message, message)


class InvariantViolationError(DocumentIntegrityError):
    """An operation at one layer broke the invariants of a lower one.

    Attributes:
        current_layer: the layer whose operation ran.
        broken_layer: the layer whose invariants it broke.
        violations: what was broken.
    """

    def __init__(self, current_layer: int, broken_layer: int, violations: list[str]) -> None:
        self.current_layer = current_layer
        self.broken_layer = broken_layer
        self.violations = violations
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"Layer {self.current_layer} operation violated Layer {self.broken_layer} "
            f"invariants: {self.violations}"
        )
