"""The fixing loop: validate, repair, validate again, until the content is valid or we give up.

The loop itself is one generator, :func:`_fixing_steps`, that holds every decision (when to
stop, what to record). It yields a repair request whenever it needs new content and is
driven by :meth:`FixingLoop.run` (sync) or :meth:`FixingLoop.arun` (async); the drivers only
differ in how they call the repair function.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from gitworktree.errors import (
    DocumentParseError,
    InsideRunningLoopError,
    MutationFailedError,
    SchemaValidationError,
)
from gitworktree.validation.issues import IssueSource, ValidationIssue

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "InsideRunningLoopError",
    "RepairFunction",
    "ValidateFunction",
    "arun_fixing_loop",
    "run_awaitable",
    "run_fixing_loop",
]

ValidateFunction: TypeAlias = Callable[[str], Sequence[ValidationIssue]]
"""Takes content, returns its issues; an empty sequence means the content is valid."""

RepairFunction: TypeAlias = Callable[[str, Sequence[ValidationIssue], str], str | Awaitable[str]]
"""Takes ``(content, issues, document_type)``, returns repaired content (sync or async)."""

DEFAULT_MAX_ATTEMPTS = 3
"""How many repair calls a fixing loop makes at most, unless told otherwise."""


class FixingLoopStatus(enum.Enum):
    """How a fixing loop ended."""

    SUCCESS = "success"
    """The content was invalid and a repair made it valid."""
    ALREADY_VALID = "already_valid"
    """The content was valid from the start; no repair was called."""
    FAILED = "failed"
    """The content is still invalid: attempts ran out or the repairs stopped making progress."""


@dataclass(frozen=True, slots=True)
class FixingLoopResult:
    """What a fixing loop did.

    Attributes:
        status: how the loop ended.
        content: the final content: valid unless ``status`` is ``FAILED``, in which case it
            is the last candidate (the last content a repair produced, or the input).
        attempts: how many times the repair function was called.
        issues: the last entry of ``history``; empty unless ``status`` is ``FAILED``.
        history: the issues found at each validation pass, oldest first; the first entry
            is the input's. A repair that raised adds an entry: the unchanged content's
            issues plus one ``source="repair"`` issue naming the exception.
    """

    status: FixingLoopStatus
    content: str
    attempts: int
    issues: tuple[ValidationIssue, ...]
    history: tuple[tuple[ValidationIssue, ...], ...]

    @property
    def ok(self) -> bool:
        """Whether the final content is valid."""
        return self.status is not FixingLoopStatus.FAILED

    def raise_for_status(self, *, artifact: str | None = None) -> None:
        """Raise if the loop failed; do nothing otherwise.

        Args:
            artifact: the artifact path to name in the error, when known.

        Raises:
            MutationFailedError: ``status`` is ``FAILED``; it carries the final issues, the
                last content and the history.
        """
        if self.ok:
            return
        where = f"{artifact}: " if artifact else ""
        raise MutationFailedError(
            f"{where}content still invalid after {self.attempts} repair attempt(s)",
            self.issues,
            artifact=artifact,
            last_content=self.content,
            history=self.history,
        )


@dataclass(frozen=True, slots=True)
class _RepairRequest:
    """What the loop asks its driver for: a repair of ``content`` given ``issues``."""

    content: str
    issues: tuple[ValidationIssue, ...]


_RepairOutcome: TypeAlias = "str | Exception"
_Steps: TypeAlias = Generator[_RepairRequest, _RepairOutcome, FixingLoopResult]


class FixingLoop:
    """Validate content, and while it is invalid, repair it and validate again.

    The loop stops with ``FAILED`` after ``max_attempts`` repair calls, or earlier when a
    repair makes no progress: it returns the content it was given, or the new content has
    exactly the same issues as the previous one. A repair that raises counts as an attempt;
    the content stays as it was and the exception is recorded as a ``source="repair"`` issue.

    Args:
        max_attempts: the most repair calls to make; 0 only validates.

    Raises:
        ValueError: ``max_attempts`` is negative.
    """

    def __init__(self, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        if max_attempts < 0:
            raise ValueError(f"max_attempts must be 0 or more, got {max_attempts}")
        self.max_attempts = max_attempts

    def __repr__(self) -> str:
        return f"FixingLoop(max_attempts={self.max_attempts})"

    def run(
        self,
        content: str,
        validate: ValidateFunction,
        repair: RepairFunction,
        document_type: str = "document",
    ) -> FixingLoopResult:
        """Run the loop, calling ``repair`` synchronously.

        An async ``repair`` is driven with :func:`asyncio.run`, which only works when no
        event loop is running in this thread; inside one, use :meth:`arun`.

        Args:
            content: the content to check and, if needed, repair.
            validate: returns the issues of a piece of content. It may also raise
                ``DocumentParseError`` or ``SchemaValidationError``; their issues are used.
            repair: returns repaired content given ``(content, issues, document_type)``.
            document_type: a short label passed to ``repair`` (e.g. a prompt label).

        Returns:
            The outcome; check ``result.ok`` or call ``result.raise_for_status()``.

        Raises:
            RuntimeError: ``repair`` returned an awaitable while an event loop is running.
        """
        steps = _fixing_steps(content, validate, self.max_attempts)
        try:
            step = _advance(steps, None)
            while isinstance(step, _RepairRequest):
                step = _advance(steps, _repair_sync(repair, step, document_type))
        finally:
            steps.close()
        return step

    async def arun(
        self,
        content: str,
        validate: ValidateFunction,
        repair: RepairFunction,
        document_type: str = "document",
    ) -> FixingLoopResult:
        """Run the loop, awaiting ``repair`` when it is async.

        A sync ``repair`` is called directly and blocks the event loop while it runs.

        Args:
            content: the content to check and, if needed, repair.
            validate: returns the issues of a piece of content (see :meth:`run`).
            repair: returns repaired content, or an awaitable of it.
            document_type: a short label passed to ``repair``.

        Returns:
            The outcome; check ``result.ok`` or call ``result.raise_for_status()``.
        """
        steps = _fixing_steps(content, validate, self.max_attempts)
        try:
            step = _advance(steps, None)
            while isinstance(step, _RepairRequest):
                step = _advance(steps, await _repair_async(repair, step, document_type))
        finally:
            steps.close()
        return step


def run_fixing_loop(
    content: str,
    validate: ValidateFunction,
    repair: RepairFunction,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    document_type: str = "document",
) -> FixingLoopResult:
    """Run a :class:`FixingLoop` once; see :meth:`FixingLoop.run`.

    Args:
        content: the content to check and, if needed, repair.
        validate: returns the issues of a piece of content.
        repair: returns repaired content (sync, or async outside a running event loop).
        max_attempts: the most repair calls to make.
        document_type: a short label passed to ``repair``.

    Returns:
        The outcome of the loop.
    """
    return FixingLoop(max_attempts).run(content, validate, repair, document_type)


async def arun_fixing_loop(
    content: str,
    validate: ValidateFunction,
    repair: RepairFunction,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    document_type: str = "document",
) -> FixingLoopResult:
    """Run a :class:`FixingLoop` once; see :meth:`FixingLoop.arun`.

    Args:
        content: the content to check and, if needed, repair.
        validate: returns the issues of a piece of content.
        repair: returns repaired content, or an awaitable of it.
        max_attempts: the most repair calls to make.
        document_type: a short label passed to ``repair``.

    Returns:
        The outcome of the loop.
    """
    return await FixingLoop(max_attempts).arun(content, validate, repair, document_type)


def _fixing_steps(content: str, validate: ValidateFunction, max_attempts: int) -> _Steps:
    """The loop as a generator: yields repair requests, receives their outcomes."""
    content_issues = _validate(validate, content)
    issues = content_issues
    history = [issues]
    if not issues:
        return _result(FixingLoopStatus.ALREADY_VALID, content, 0, history)
    for attempt in range(1, max_attempts + 1):
        outcome = yield _RepairRequest(content, issues)
        if isinstance(outcome, Exception):
            previous, issues = issues, (*content_issues, _repair_failure(outcome))
            history.append(issues)
            if issues == previous:
                return _result(FixingLoopStatus.FAILED, content, attempt, history)
            continue
        if outcome == content:
            return _result(FixingLoopStatus.FAILED, content, attempt, history)
        previous, content = issues, outcome
        content_issues = issues = _validate(validate, content)
        history.append(issues)
        if not issues:
            return _result(FixingLoopStatus.SUCCESS, content, attempt, history)
        if issues == previous:
            return _result(FixingLoopStatus.FAILED, content, attempt, history)
    return _result(FixingLoopStatus.FAILED, content, max_attempts, history)


def _result(
    status: FixingLoopStatus,
    content: str,
    attempts: int,
    history: Sequence[tuple[ValidationIssue, ...]],
) -> FixingLoopResult:
    return FixingLoopResult(status, content, attempts, history[-1], tuple(history))


def _advance(steps: _Steps, outcome: _RepairOutcome | None) -> _RepairRequest | FixingLoopResult:
    """Send ``outcome`` into the loop (``None`` starts it); return its next request or result."""
    try:
        return next(steps) if outcome is None else steps.send(outcome)
    except StopIteration as stop:
        result: FixingLoopResult = stop.value
        return result


def _validate(validate: ValidateFunction, content: str) -> tuple[ValidationIssue, ...]:
    """Call ``validate``, turning the parse and schema errors it may raise into issues."""
    try:
        return tuple(validate(content))
    except (DocumentParseError, SchemaValidationError) as exc:
        source: IssueSource = "parse" if isinstance(exc, DocumentParseError) else "schema"
        return exc.issues or (ValidationIssue(str(exc), source=source),)


def _repair_failure(exc: Exception) -> ValidationIssue:
    # No attempt number in the message: the same failure twice in a row must compare equal,
    # so that the loop sees that it is making no progress.
    detail = f": {exc}" if str(exc) else ""
    return ValidationIssue(f"repair failed with {type(exc).__name__}{detail}", source="repair")


def _repair_sync(
    repair: RepairFunction, request: _RepairRequest, document_type: str
) -> _RepairOutcome:
    """Call ``repair``; drive an awaitable result with :func:`asyncio.run`."""
    try:
        produced = repair(request.content, request.issues, document_type)
        if inspect.isawaitable(produced):
            produced = run_awaitable(
                produced,
                what="the repair function is async but FixingLoop.run() was called",
                instead="`await loop.arun(...)` (or `await arun_fixing_loop(...)`)",
            )
    except InsideRunningLoopError:
        raise  # a usage error, not a failed attempt
    except Exception as exc:  # a failing repair is a failed attempt, not a crash
        return exc
    return _checked_content(produced)


async def _repair_async(
    repair: RepairFunction, request: _RepairRequest, document_type: str
) -> _RepairOutcome:
    """Call ``repair``; await its result when it is awaitable."""
    try:
        produced = repair(request.content, request.issues, document_type)
        if inspect.isawaitable(produced):
            produced = await produced
    except Exception as exc:  # a failing repair is a failed attempt, not a crash
        return exc
    return _checked_content(produced)


def run_awaitable(awaitable: Awaitable[Any], *, what: str, instead: str) -> Any:
    """Drive ``awaitable`` to completion from sync code (a plain script has no loop).

    Raises:
        InsideRunningLoopError: an event loop is already running here, so blocking on
            it would deadlock; the message says ``what`` happened and to use ``instead``.
    """
    import asyncio  # here, not at the top: ~30 ms at start-up, for async only

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awaited(awaitable))
    if inspect.iscoroutine(awaitable):
        awaitable.close()  # never awaited: close it so Python does not warn about it
    raise InsideRunningLoopError(f"{what} inside a running event loop; use {instead} instead")


async def _awaited(produced: Awaitable[Any]) -> Any:
    return await produced


def _checked_content(produced: object) -> _RepairOutcome:
    if isinstance(produced, str):
        return produced
    return TypeError(f"repair returned {type(produced).__name__}, expected str")
