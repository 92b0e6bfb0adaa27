"""JSONValidatedDocument: ``parsed`` is the ``json.loads`` value, parsed strictly."""

from __future__ import annotations

from typing import Any

from gitworktree import errors as core
from gitworktree.compat.wellformed._document import ValidatedDocument
from gitworktree.compat.wellformed.json.exceptions import JSONParseError
from gitworktree.validation.json_format import parse_json

__all__ = ["JSONValidatedDocument"]


class JSONValidatedDocument(ValidatedDocument[Any]):
    """A validated JSON document; subclasses add ``_validate_schema`` and ``_repair``.

    Parsing is gitworktree's strict JSON: ``NaN``, ``Infinity``, duplicate keys and
    nesting deeper than 128 levels are parse errors.
    """

    @classmethod
    def _parse(cls, content: str) -> Any:
        try:
            return parse_json(content)
        except core.DocumentParseError as error:
            raise JSONParseError.from_core(error) from None
