"""GitSaver against LangGraph's own conformance suite (langgraph-checkpoint-conformance)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator

import pytest
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import (
    BASE_CAPABILITIES,
    EXTENDED_CAPABILITIES,
    Capability,
    DetectedCapabilities,
)

from gitworktree.langgraph import GitSaver


@checkpointer_test(name="GitSaver")
async def git_saver() -> AsyncIterator[GitSaver]:
    with tempfile.TemporaryDirectory() as root, GitSaver(root) as saver:  # fresh per capability
        yield saver


with tempfile.TemporaryDirectory() as _root:
    DECLARED = DetectedCapabilities.from_instance(GitSaver(_root)).detected
EXTENDED_DECLARED = sorted(EXTENDED_CAPABILITIES & DECLARED, key=lambda cap: cap.value)


@pytest.mark.parametrize(
    "capability",
    sorted(BASE_CAPABILITIES, key=lambda cap: cap.value) + EXTENDED_DECLARED,
    ids=lambda cap: cap.value,
)
def test_every_declared_capability_passes_the_conformance_suite(capability: Capability) -> None:
    report = asyncio.run(validate(git_saver, capabilities={capability.value}))
    result = report.results[capability.value]
    assert result.detected, f"{capability.value} is not implemented"
    assert result.tests_passed > 0
    assert result.passed, "\n".join(str(failure) for failure in result.failures)


def test_the_saver_declares_every_capability_base_and_extended() -> None:
    assert BASE_CAPABILITIES | EXTENDED_CAPABILITIES <= DECLARED
