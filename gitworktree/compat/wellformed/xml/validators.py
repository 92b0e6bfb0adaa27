"""Validator builders of the XML plugin: functions from content to error strings."""

from __future__ import annotations

import os
from collections.abc import Callable

from gitworktree.compat.wellformed._errors import issue_text
from gitworktree.validation.xml_format import make_xml_schema_validator as _schema
from gitworktree.validation.xml_format import make_xml_wellformed_validator as _wellformed

__all__ = ["make_xml_schema_validator", "make_xml_wellformed_validator"]


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
    return lambda content: [issue_text(issue) for issue in check(content)]


def make_xml_wellformed_validator() -> Callable[[str], list[str]]:
    """A validator that only checks that content is well-formed, safe XML."""
    check = _wellformed()
    return lambda content: [issue_text(issue) for issue in check(content)]
