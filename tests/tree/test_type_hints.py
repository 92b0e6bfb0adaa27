"""The tree layer's signatures resolve at run time: tool builders need them.

An agent framework that turns a method into a tool (an MCP server's ``tool()``, a
LangChain ``StructuredTool``, pydantic's ``validate_call``) reads its parameters and
return type with `typing.get_type_hints`, which fails with ``NameError`` on a name the
module imports only for type checkers.

Not covered: `Repository`'s remote, diff and status methods, whose result types are
imported when first used so that history commands start fast, and the error classes,
whose ``ValidationIssue`` would make `gitworktree.errors` import the validation layer.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable

import pytest

import gitworktree
import gitworktree.history
from gitworktree import Checkpoint, CommitInfo
from gitworktree.tree.items import Syncable, Worktree

_NOT_COVERED = {"Repository", "PydanticArtifact"}  # see the module docstring


def _public_callables() -> list[tuple[str, Callable[..., object]]]:
    found: list[tuple[str, Callable[..., object]]] = []
    for name in gitworktree.__all__:
        value = getattr(gitworktree, name)
        if inspect.isfunction(value):
            found.append((name, value))
        elif (
            inspect.isclass(value)
            and name not in _NOT_COVERED
            and not issubclass(value, gitworktree.GitWorktreeError)
        ):
            found += [
                (f"{name}.{attribute}", member)
                for attribute, member in inspect.getmembers(value, callable)
                if not attribute.startswith("_") and not inspect.isclass(member)
            ]
    return found


@pytest.mark.parametrize(
    "function", [pytest.param(function, id=name) for name, function in _public_callables()]
)
def test_public_signatures_resolve_at_run_time(function: Callable[..., object]) -> None:
    typing.get_type_hints(function)


@pytest.mark.parametrize(
    ("function", "returned"),
    [
        (Worktree.commit, CommitInfo),  # CommitInfo | None: None when nothing changed
        (Worktree.checkpoint, Checkpoint),
        (Syncable.commit, CommitInfo),
    ],
    ids=["Worktree.commit", "Worktree.checkpoint", "Syncable.commit"],
)
def test_what_commit_and_checkpoint_return_is_the_real_class(
    function: Callable[..., object], returned: type
) -> None:
    hint = typing.get_type_hints(function)["return"]
    assert hint is returned or returned in typing.get_args(hint)


def _public_records() -> list[tuple[str, type]]:
    found: dict[str, type] = {}
    for module in (gitworktree, gitworktree.history):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and dataclasses.is_dataclass(value):
                found[name] = value
    return sorted(found.items())


@pytest.mark.parametrize(
    "record", [pytest.param(record, id=name) for name, record in _public_records()]
)
def test_public_records_fields_resolve_at_run_time(record: type) -> None:
    """A public dataclass's fields resolve too (pydantic and serializers read them), even
    where its module imports lazily to keep history commands' start-up short."""
    typing.get_type_hints(record)
