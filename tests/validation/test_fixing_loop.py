"""FixingLoop: statuses, attempts, history, sync and async repairs, early stops."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gitworktree.errors import DocumentParseError, MutationFailedError
from gitworktree.validation import (
    FixingLoop,
    FixingLoopResult,
    FixingLoopStatus,
    ValidationIssue,
    arun_fixing_loop,
    run_fixing_loop,
)

TARGET = "ok"


def must_be_ok(content: str) -> list[ValidationIssue]:
    """Valid only when the content is exactly "ok"; the issue names the content."""
    return [] if content == TARGET else [ValidationIssue(f"{content!r} is not 'ok'")]


class Recorder:
    """A sync repair that returns its scripted outputs in turn and records its calls."""

    def __init__(self, *outputs: str | Exception) -> None:
        self.outputs = list(outputs)
        self.calls: list[tuple[str, tuple[ValidationIssue, ...], str]] = []

    def __call__(self, content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
        self.calls.append((content, tuple(issues), document_type))
        output = self.outputs.pop(0)
        if isinstance(output, Exception):
            raise output
        return output


class AsyncRecorder(Recorder):
    """The async twin of :class:`Recorder`."""

    async def __call__(  # type: ignore[override]
        self, content: str, issues: Sequence[ValidationIssue], document_type: str
    ) -> str:
        await asyncio.sleep(0)
        return super().__call__(content, issues, document_type)


def test_valid_content_is_already_valid_without_calling_repair() -> None:
    repair = Recorder()

    result = FixingLoop().run(TARGET, must_be_ok, repair)

    assert result.status is FixingLoopStatus.ALREADY_VALID
    assert (result.ok, result.attempts, result.issues, result.content) == (True, 0, (), TARGET)
    assert result.history == ((),)
    assert repair.calls == []


def test_repair_in_two_attempts_succeeds_and_keeps_every_pass_in_history() -> None:
    repair = Recorder("almost", TARGET)

    result = FixingLoop().run("broken", must_be_ok, repair)

    assert result.status is FixingLoopStatus.SUCCESS
    assert (result.ok, result.attempts, result.content, result.issues) == (True, 2, TARGET, ())
    assert result.history == (
        (ValidationIssue("'broken' is not 'ok'"),),
        (ValidationIssue("'almost' is not 'ok'"),),
        (),
    )


def test_repair_receives_the_latest_issues_and_the_document_type() -> None:
    repair = Recorder("almost", TARGET)

    FixingLoop().run("broken", must_be_ok, repair, document_type="todo-list")

    assert repair.calls == [
        ("broken", (ValidationIssue("'broken' is not 'ok'"),), "todo-list"),
        ("almost", (ValidationIssue("'almost' is not 'ok'"),), "todo-list"),
    ]


def test_loop_fails_after_max_attempts_and_keeps_the_last_content() -> None:
    repair = Recorder("a", "b", "c", TARGET)

    result = FixingLoop(max_attempts=3).run("broken", must_be_ok, repair)

    assert result.status is FixingLoopStatus.FAILED
    assert not result.ok
    assert (result.attempts, result.content) == (3, "c")
    assert result.issues == (ValidationIssue("'c' is not 'ok'"),)
    assert len(result.history) == 4
    assert len(repair.calls) == 3


def test_zero_max_attempts_only_validates() -> None:
    repair = Recorder()

    result = FixingLoop(max_attempts=0).run("broken", must_be_ok, repair)

    assert (result.status, result.attempts, repair.calls) == (FixingLoopStatus.FAILED, 0, [])


def test_negative_max_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        FixingLoop(max_attempts=-1)


@pytest.mark.parametrize("repair_kind", [Recorder, AsyncRecorder], ids=["sync", "async"])
def test_repair_that_raises_counts_as_a_failed_attempt_and_keeps_the_content(
    repair_kind: type[Recorder],
) -> None:
    repair = repair_kind(RuntimeError("model timed out"), TARGET)

    result = FixingLoop().run("broken", must_be_ok, repair)

    assert (result.status, result.attempts, result.content) == (
        FixingLoopStatus.SUCCESS,
        2,
        TARGET,
    )
    failed_pass = result.history[1]
    assert failed_pass[0] == ValidationIssue("'broken' is not 'ok'")
    assert failed_pass[1].source == "repair"
    assert "RuntimeError: model timed out" in failed_pass[1].message
    assert repair.calls[1][0] == "broken"


def test_repair_that_keeps_raising_the_same_error_stops_early() -> None:
    repair = Recorder(*(RuntimeError("no key") for _ in range(5)))

    result = FixingLoop(max_attempts=5).run("broken", must_be_ok, repair)

    assert (result.status, result.attempts, result.content) == (
        FixingLoopStatus.FAILED,
        2,
        "broken",
    )
    assert [issue.source for issue in result.issues] == ["schema", "repair"]


def test_repair_returning_a_non_string_counts_as_a_failed_attempt() -> None:
    def returns_none(content: str, issues: object, document_type: str) -> None:
        return None

    result = FixingLoop(max_attempts=1).run("broken", must_be_ok, returns_none)  # type: ignore[arg-type]

    assert result.status is FixingLoopStatus.FAILED
    assert "expected str" in result.issues[-1].message


def test_repair_returning_its_input_stops_early() -> None:
    repair = Recorder("broken", TARGET)

    result = FixingLoop(max_attempts=3).run("broken", must_be_ok, repair)

    assert (result.status, result.attempts) == (FixingLoopStatus.FAILED, 1)
    assert len(repair.calls) == 1


def test_same_issues_twice_in_a_row_stops_early() -> None:
    def always_the_same_issue(content: str) -> list[ValidationIssue]:
        return [] if content == TARGET else [ValidationIssue("title is missing")]

    repair = Recorder("still broken", "broken again", TARGET)

    result = FixingLoop(max_attempts=3).run("broken", always_the_same_issue, repair)

    assert (result.status, result.attempts, result.content) == (
        FixingLoopStatus.FAILED,
        1,
        "still broken",
    )


def test_validate_raising_a_parse_error_is_read_as_its_issues() -> None:
    issue = ValidationIssue("Expecting value", line=1, column=1, source="parse")

    def strict(content: str) -> list[ValidationIssue]:
        if content != TARGET:
            raise DocumentParseError("content is not valid JSON", [issue])
        return []

    result = FixingLoop().run("{", strict, Recorder(TARGET))

    assert result.status is FixingLoopStatus.SUCCESS
    assert result.history[0] == (issue,)


def test_async_repair_works_with_sync_run() -> None:
    result = FixingLoop().run("broken", must_be_ok, AsyncRecorder("almost", TARGET))

    assert (result.status, result.attempts) == (FixingLoopStatus.SUCCESS, 2)


@pytest.mark.parametrize("repair_kind", [Recorder, AsyncRecorder], ids=["sync", "async"])
def test_arun_accepts_sync_and_async_repairs(repair_kind: type[Recorder]) -> None:
    result = asyncio.run(FixingLoop().arun("broken", must_be_ok, repair_kind("almost", TARGET)))

    assert (result.status, result.attempts, result.content) == (
        FixingLoopStatus.SUCCESS,
        2,
        TARGET,
    )


def test_async_repair_that_raises_counts_as_a_failed_attempt_in_arun() -> None:
    repair = AsyncRecorder(ValueError("bad output"), TARGET)

    result = asyncio.run(FixingLoop().arun("broken", must_be_ok, repair))

    assert (result.status, result.attempts) == (FixingLoopStatus.SUCCESS, 2)
    assert result.history[1][-1].source == "repair"


def test_sync_run_with_async_repair_inside_a_running_loop_says_to_use_arun() -> None:
    async def inside_an_event_loop() -> FixingLoopResult:
        return FixingLoop().run("broken", must_be_ok, AsyncRecorder(TARGET))

    with pytest.raises(RuntimeError, match=r"await loop\.arun"):
        asyncio.run(inside_an_event_loop())


def test_sync_run_with_sync_repair_works_inside_a_running_loop() -> None:
    async def inside_an_event_loop() -> FixingLoopResult:
        return FixingLoop().run("broken", must_be_ok, Recorder(TARGET))

    assert asyncio.run(inside_an_event_loop()).status is FixingLoopStatus.SUCCESS


def test_run_fixing_loop_passes_max_attempts_and_document_type() -> None:
    repair = Recorder("a", "b", TARGET)

    result = run_fixing_loop("broken", must_be_ok, repair, max_attempts=2, document_type="note")

    assert (result.status, result.attempts) == (FixingLoopStatus.FAILED, 2)
    assert {call[2] for call in repair.calls} == {"note"}


def test_arun_fixing_loop_runs_the_async_loop() -> None:
    result = asyncio.run(arun_fixing_loop("broken", must_be_ok, AsyncRecorder(TARGET)))

    assert result.status is FixingLoopStatus.SUCCESS


def test_raise_for_status_raises_mutation_failed_with_last_content_and_history() -> None:
    result = FixingLoop(max_attempts=1).run("broken", must_be_ok, Recorder("worse"))

    with pytest.raises(MutationFailedError) as caught:
        result.raise_for_status(artifact="notes/todo.json")

    error = caught.value
    assert (error.artifact, error.last_content) == ("notes/todo.json", "worse")
    # The issue lines name the artifact the error is about.
    assert error.issues == tuple(issue.for_artifact("notes/todo.json") for issue in result.issues)
    assert error.history == result.history


@pytest.mark.parametrize(
    ("content", "outputs"),
    [(TARGET, ()), ("broken", (TARGET,))],
    ids=["already-valid", "success"],
)
def test_raise_for_status_is_silent_when_ok(content: str, outputs: tuple[str, ...]) -> None:
    FixingLoop().run(content, must_be_ok, Recorder(*outputs)).raise_for_status()
