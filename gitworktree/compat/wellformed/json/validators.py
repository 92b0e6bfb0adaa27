"""Validator builders of the JSON plugin: functions from content to error strings."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from gitworktree.compat.wellformed._errors import issue_text
from gitworktree.compat.wellformed._loop import make_schema_validator as _compose
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_format import make_json_wellformed_validator as _wellformed
from gitworktree.validation.json_schema import JSONSchema
from gitworktree.validation.json_schema import make_json_schema_validator as _schema

__all__ = [
    "make_json_schema_validator",
    "make_json_wellformed_validator",
    "make_schema_validator",
]


def _text(issue: ValidationIssue) -> str:
    # wellformed's schema validators led parse errors with "JSON parse error: ", and
    # repair prompts written for it may look for those words.
    text = issue_text(issue)
    return f"JSON parse error: {text}" if issue.source == "parse" else text


def make_json_schema_validator(
    schema: JSONSchema | str | os.PathLike[str],
) -> Callable[[str], list[str]]:
    """A validator checking strict JSON against a JSON Schema (Draft 2020-12).

    Args:
        schema: the schema, or the path of its file (read once, here).

    Returns:
        A function from content to its errors: parse errors, else schema errors.

    Raises:
        InvalidSchemaError: the schema is invalid.
    """
    check = _schema(schema)
    return lambda content: [_text(issue) for issue in check(content)]


def make_json_wellformed_validator() -> Callable[[str], list[str]]:
    """A validator that only checks that content is strict JSON."""
    check = _wellformed()
    return lambda content: [issue_text(issue) for issue in check(content)]


def make_schema_validator(
    schema_validate: Callable[[str], Sequence[str | ValidationIssue]],
) -> Callable[[str], list[str]]:
    """A validator checking that content is JSON first, then ``schema_validate``.

    Args:
        schema_validate: your own check of parseable content, returning its errors.

    Returns:
        A function from content to its errors: parse errors, else ``schema_validate``'s.
    """
    check = _wellformed()
    return _compose(lambda content: [_text(issue) for issue in check(content)], schema_validate)
