"""wellformed's ``FixingLoop``: validators and repairs speak strings; gitworktree's loop runs.

wellformed validators return ``list[str]`` and its repairs receive ``list[str]``. This
adapter turns those strings into ``ValidationIssue``s for
``gitworktree.validation.FixingLoop`` and the outcome back into strings.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from gitworktree.compat.wellformed._errors import MutationFailedError, issue_text
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import DEFAULT_MAX_ATTEMPTS
from gitworktree.validation.loop import FixingLoop as _EngineLoop
from gitworktree.validation.loop import FixingLoopResult as EngineResult

__all__ = [
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "RepairFunction",
    "ValidateFunction",
    "as_issues",
    "log_outcome",
    "make_schema_validator",
    "run_fixing_loop",
]

logger = logging.getLogger("gitworktree.compat.wellformed")

ValidateFunction = Callable[[str], Sequence[str | ValidationIssue]]
"""Takes content, returns its errors (strings); an empty list means valid."""

RepairFunction = Callable[[str, list[str], str], "str | Awaitable[str]"]
"""Takes ``(content, errors, document_type)``, returns repaired content (usually async)."""


class FixingLoopStatus(enum.StrEnum):
    """How a fixing loop ended; compares equal to its value (``"success"``, ...) too."""

    SUCCESS = "success"
    """The content was invalid and a repair made it valid."""
    ALREADY_VALID = "already_valid"
    """The content was valid from the start; no repair was called."""
    FAILED = "failed"
    """The content is still invalid: attempts ran out or the repairs made no progress."""


def log_outcome(result: EngineResult, document_type: str) -> None:
    """Log each repair attempt's error counts, as wellformed traced its loop."""
    counts = [len(step) for step in result.history]
    for attempt in range(1, len(counts)):
        logger.info(
            "%s: repair attempt %d: %d -> %d error(s)",
            document_type,
            attempt,
            counts[attempt - 1],
            counts[attempt],
        )
    if result.attempts == len(counts):  # the last repair changed nothing: no new pass
        logger.info(
            "%s: repair attempt %d returned the content unchanged", document_type, result.attempts
        )
    if not result.ok:
        logger.warning(
            "%s: still invalid after %d repair attempt(s)", document_type, result.attempts
        )


def as_issues(errors: Sequence[str | ValidationIssue]) -> list[ValidationIssue]:
    """wellformed's error strings as gitworktree issues (issues pass through unchanged)."""
    return [ValidationIssue(e, source="custom") if isinstance(e, str) else e for e in errors]


@dataclass(frozen=True)
class FixingLoopResult:
    """What a fixing loop did.

    Attributes:
        status: ``SUCCESS``, ``ALREADY_VALID`` or ``FAILED``.
        content: the final content (the last candidate when ``FAILED``).
        attempts: how many times the repair function was called.
        final_errors: the errors that remain; empty unless ``FAILED``.
        history: the errors found at each validation pass, the input's first.
    """

    status: FixingLoopStatus
    content: str
    attempts: int
    final_errors: list[str]
    history: list[list[str]]

    @property
    def success(self) -> bool:
        """Whether the final content is valid."""
        return self.status is not FixingLoopStatus.FAILED

    @property
    def final_content(self) -> str:
        """The same as ``content``."""
        return self.content

    @property
    def repair_history(self) -> list[str]:
        """One line per repair attempt, as wellformed kept it: ``"Attempt 1: 2 error(s)"``."""
        return [
            f"Attempt {attempt}: {len(self.history[attempt - 1])} error(s)"
            for attempt in range(1, min(self.attempts, len(self.history)) + 1)
        ]


class FixingLoop:
    """Validate, and while invalid, repair and validate again: wellformed's signature.

    Args:
        max_attempts: the most repair calls one ``run`` makes (``max_fix_attempts=``
            is the same).
        repair_fn: the repair ``run`` uses when it is given none.
    """

    def __init__(
        self,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        repair_fn: RepairFunction | None = None,
        *,
        max_fix_attempts: int | None = None,
    ) -> None:
        limit = max_attempts if max_fix_attempts is None else max_fix_attempts
        self._engine = _EngineLoop(limit)
        self.max_attempts = self.max_fix_attempts = limit
        self.repair_fn = repair_fn

    async def run(
        self,
        content: str,
        validate_fn: ValidateFunction,
        document_type: str,
        repair_fn: RepairFunction | None = None,
        max_fix_attempts: int | None = None,
    ) -> FixingLoopResult:
        """Run the loop; ``repair_fn`` may be async (awaited) or plain.

        ``max_fix_attempts`` overrides the loop's own limit for this run. With no
        ``repair_fn`` here or on the loop, invalid content is ``FAILED`` after 0 attempts.

        Like gitworktree's loop it stops early when a repair returns its input unchanged
        or the same errors come back, and a repair that raises counts as a failed attempt.

        Returns:
            The outcome, with the remaining errors as strings in ``final_errors``.
        """
        chosen = repair_fn if repair_fn is not None else self.repair_fn

        def validate(text: str) -> list[ValidationIssue]:
            return as_issues(validate_fn(text))

        def repair(text: str, issues: Sequence[ValidationIssue], kind: str) -> str | Awaitable[str]:
            if chosen is None:  # never called: a loop without a repair makes no attempts
                return text
            return chosen(text, [issue_text(issue) for issue in issues], kind)

        if chosen is None:
            engine = _EngineLoop(0)
        elif max_fix_attempts is None:
            engine = self._engine
        else:
            engine = _EngineLoop(max_fix_attempts)
        result = await engine.arun(content, validate, repair, document_type)
        log_outcome(result, document_type)
        return FixingLoopResult(
            status=FixingLoopStatus(result.status.value),
            content=result.content,
            attempts=result.attempts,
            final_errors=[issue_text(issue) for issue in result.issues],
            history=[[issue_text(issue) for issue in step] for step in result.history],
        )


async def run_fixing_loop(
    content: str,
    validate_fn: ValidateFunction,
    repair_fn: RepairFunction,
    document_type: str,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> str:
    """Run a fixing loop and return the valid content (wellformed's shortcut).

    Raises:
        MutationFailedError: the content is still invalid after the repairs.
    """
    result = await FixingLoop(max_attempts).run(content, validate_fn, document_type, repair_fn)
    if result.status is FixingLoopStatus.FAILED:
        raise MutationFailedError(
            f"{document_type} is still invalid after {result.attempts} repair attempt(s)",
            result.final_errors,
            repair_attempts=result.attempts,
            last_content=result.content,
        )
    return result.content


def make_schema_validator(*validators: ValidateFunction) -> Callable[[str], list[str]]:
    """Compose validators into one: the errors of the first that finds any.

    Order them from the most basic check to the most specific (well-formedness, then a
    schema, then semantic rules), so that a schema is never checked on content that does
    not parse.

    Args:
        validators: functions from content to its errors.

    Returns:
        A validator returning the first non-empty error list, as strings, else ``[]``.
    """

    def validate(content: str) -> list[str]:
        for validator in validators:
            errors = validator(content)
            if errors:
                return [issue_text(error) for error in errors]
        return []

    return validate
