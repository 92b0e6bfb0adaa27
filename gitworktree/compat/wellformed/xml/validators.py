"""Validator builders of the XML plugin: functions from content to error strings."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from gitworktree.compat.wellformed._errors import issue_text
from gitworktree.compat.wellformed._loop import make_schema_validator as _compose
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.xml_format import make_xml_schema_validator as _schema
from gitworktree.validation.xml_format import make_xml_wellformed_validator as _wellformed

__all__ = [
    "make_relax_ng_validator",
    "make_schema_validator",
    "make_xml_schema_validator",
    "make_xml_wellformed_validator",
]


def _text(issue: ValidationIssue) -> str:
    # wellformed's schema validators led parse errors with "XML parse error: ", and
    # repair prompts written for it may look for those words.
    text = issue_text(issue)
    return f"XML parse error: {text}" if issue.source == "parse" else text


def make_xml_schema_validator(path: str | os.PathLike[str]) -> Callable[[str], list[str]]:
    """A validator parsing XML safely and checking it against an XSD or RELAX NG file.

    Args:
        path: an ``.xsd`` or ``.rng`` file, loaded once, here.

    Returns:
        A function from content to its errors: parse errors, else schema errors.

    Raises:
        InvalidSchemaError: the schema cannot be used.
    """
    check = _schema(path)
    return lambda content: [_text(issue) for issue in check(content)]


def make_xml_wellformed_validator() -> Callable[[str], list[str]]:
    """A validator that only checks that content is well-formed, safe XML."""
    check = _wellformed()
    return lambda content: [issue_text(issue) for issue in check(content)]


def make_schema_validator(
    schema_validate: Callable[[str], Sequence[str | ValidationIssue]],
) -> Callable[[str], list[str]]:
    """A validator checking that content is XML first, then ``schema_validate``.

    Args:
        schema_validate: your own check of parseable content, returning its errors.

    Returns:
        A function from content to its errors: parse errors, else ``schema_validate``'s.
    """
    check = _wellformed()
    return _compose(lambda content: [_text(issue) for issue in check(content)], schema_validate)


def make_relax_ng_validator(path: str | os.PathLike[str]) -> Callable[[str], list[str]]:
    """A validator parsing XML safely and checking it against a RELAX NG (``.rng``) file.

    The same as ``make_xml_schema_validator``, which tells the two kinds apart itself.

    Raises:
        InvalidSchemaError: the schema cannot be used.
    """
    return make_xml_schema_validator(path)
