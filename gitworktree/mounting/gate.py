"""The commit gate: every changed artifact is validated, repaired if it can be, or refused.

The gate is pure: it takes rendered bytes and returns the bytes to write. Whatever it
refuses, it refuses all together (``CommitRejectedError``), so a commit lands whole or
not at all.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from gitworktree.errors import CommitRejectedError, DocumentParseError
from gitworktree.tree.items import Artifact
from gitworktree.validation.encoding import decode_utf8
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import (
    FixingLoop,
    FixingLoopResult,
    RepairFunction,
    run_awaitable,
)

__all__ = ["GateItem", "GatePassed", "arun_gate", "run_gate"]


@dataclass(frozen=True)
class GateItem:
    """One changed artifact on its way to storage."""

    path: str
    item_type: type[Artifact[Any]]
    data: bytes
    render_issues: tuple[ValidationIssue, ...] = ()


@dataclass(frozen=True)
class GatePassed:
    """What the gate lets through for one artifact.

    Attributes:
        data: the bytes to write (repaired ones, if a repair ran).
        attempts: how many repair calls it took (0 when it was valid as it was).
    """

    data: bytes
    attempts: int


def _repair_for(item: GateItem, tree_repair: RepairFunction | None) -> RepairFunction | None:
    return item.item_type._repair or tree_repair


def _validator(item: GateItem) -> Any:
    def validate(content: str) -> Sequence[ValidationIssue]:
        return item.item_type._issues_in_text(content, item.path)

    return validate


def _no_repair(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    return content


def _attributed(issues: Sequence[ValidationIssue], path: str) -> tuple[ValidationIssue, ...]:
    return tuple(issue.for_artifact(path) for issue in issues)


def _settle(
    outcomes: Mapping[GateItem, FixingLoopResult | Sequence[ValidationIssue]],
    repaired: Sequence[str] = (),
) -> dict[str, GatePassed]:
    passed: dict[str, GatePassed] = {}
    failures: dict[str, Sequence[ValidationIssue]] = {}
    candidates: dict[str, str] = {}
    histories: dict[str, tuple[tuple[ValidationIssue, ...], ...]] = {}
    for item, outcome in outcomes.items():
        if not isinstance(outcome, FixingLoopResult):
            failures[item.path] = _attributed(outcome, item.path)
        elif outcome.ok:
            data = item.data
            if outcome.attempts:
                # A repair's output (often one line from an LLM) is stored in the
                # artifact's own form, as if the program had written it.
                data = item.item_type._canonical_bytes(outcome.content.encode(), item.path)
            passed[item.path] = GatePassed(data, outcome.attempts)
        else:
            # Keep what the loop tried: the last candidate and every pass's issues, so an
            # agent (or a person) can see what the repair did, not just that it failed.
            failures[item.path] = _attributed(outcome.issues, item.path)
            candidates[item.path] = outcome.content
            histories[item.path] = tuple(_attributed(h, item.path) for h in outcome.history)
    if failures:
        raise CommitRejectedError(
            failures, candidates=candidates, histories=histories, repaired=repaired
        )
    return passed


def _precheck(item: GateItem) -> Sequence[ValidationIssue] | str:
    """Issues that no repair can see (unrenderable value, bytes that are not text)."""
    if item.render_issues:
        return item.render_issues
    try:
        return decode_utf8(item.data)
    except DocumentParseError as error:
        return error.issues


_Outcomes = dict[GateItem, FixingLoopResult | Sequence[ValidationIssue]]
_Repairs = list[tuple[GateItem, str, RepairFunction]]


def _check_all(
    items: Sequence[GateItem], tree_repair: RepairFunction | None
) -> tuple[_Outcomes, _Repairs]:
    """Validate every item; return the settled outcomes and the items a repair must see."""
    outcomes: _Outcomes = {}
    repairs: _Repairs = []
    for item in items:
        text = _precheck(item)
        if not isinstance(text, str):
            outcomes[item] = text
            continue
        checked = _validate_only(text, item)
        repair = _repair_for(item, tree_repair)
        if checked.ok or repair is None:
            outcomes[item] = checked
        else:
            repairs.append((item, text, repair))
    return outcomes, repairs


def run_gate(
    items: Sequence[GateItem], tree_repair: RepairFunction | None, max_attempts: int
) -> dict[str, GatePassed]:
    """Validate (and repair) every item; return what to write, or refuse all.

    Raises:
        CommitRejectedError: at least one item stayed invalid; carries every failure.
    """
    outcomes, repairs = _check_all(items, tree_repair)
    loop = FixingLoop(max_attempts)
    for item, text, repair in repairs:
        kind = item.item_type._get_document_type()
        outcomes[item] = loop.run(text, _validator(item), _driven(repair), document_type=kind)
    return _settle(outcomes, [item.path for item, _, _ in repairs])


def _driven(repair: RepairFunction) -> RepairFunction:
    """``repair`` for a sync commit: an async hook runs to completion, or the caller is
    told to await ``acommit`` (not the fixing loop's ``arun``, which they never called)."""

    def call(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
        produced = repair(content, issues, document_type)
        if inspect.isawaitable(produced):
            produced = run_awaitable(
                produced,
                what="the repair hook is async but commit() was called",
                instead="`await tree.acommit(...)`",
            )
        return cast(str, produced)

    return call


async def arun_gate(
    items: Sequence[GateItem], tree_repair: RepairFunction | None, max_attempts: int
) -> dict[str, GatePassed]:
    """Async twin of ``run_gate``: async repair hooks are awaited."""
    outcomes, repairs = _check_all(items, tree_repair)
    loop = FixingLoop(max_attempts)
    for item, text, repair in repairs:
        kind = item.item_type._get_document_type()
        outcomes[item] = await loop.arun(text, _validator(item), repair, document_type=kind)
    return _settle(outcomes, [item.path for item, _, _ in repairs])


def _validate_only(text: str, item: GateItem) -> FixingLoopResult:
    """Without a repair hook the loop only validates (no repair attempts)."""
    return FixingLoop(0).run(text, _validator(item), _no_repair)
