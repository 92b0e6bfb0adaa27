"""JSON Schema checks (Draft 2020-12, formats checked) whose errors become located issues.

Remote ``$ref`` s are never fetched: a schema refers only to itself and its ``$defs``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from gitworktree.errors import DocumentParseError, InvalidSchemaError
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_format import parse_json
from gitworktree.validation.json_pointers import locate_json_pointers, to_json_pointer
from gitworktree.validation.loop import ValidateFunction

if TYPE_CHECKING:
    # Importing jsonschema takes ~40 ms: it is imported when a schema is first compiled.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["JSONSchema", "json_schema_issues", "make_json_schema_validator"]

JSONSchema: TypeAlias = Mapping[str, Any] | bool
"""A JSON Schema: an object, or ``true`` / ``false``."""

_MAX_ALTERNATIVES = 6


def json_schema_issues(
    instance: Any, schema: JSONSchema, *, text: str | None = None
) -> list[ValidationIssue]:
    """Check ``instance`` against a JSON Schema (Draft 2020-12, formats checked).

    Compiled validators are cached by the schema's content, so passing the same schema
    again is cheap, and changing a schema dict afterwards cannot affect a cached one.

    Args:
        instance: the parsed document.
        schema: the schema.
        text: the document's text, to give each issue the line and column of its value.

    Returns:
        One issue per schema violation, ordered by pointer; empty when valid.

    Raises:
        InvalidSchemaError: the schema itself is not a valid Draft 2020-12 schema.
    """
    return _schema_issues(_validator_for(schema), instance, text)


def make_json_schema_validator(schema: JSONSchema | str | os.PathLike[str]) -> ValidateFunction:
    """Build a validate function that parses strict JSON and checks it against a schema.

    Args:
        schema: the schema, or the path of a JSON file holding it (read once, here).

    Returns:
        A function from content to its issues (parse issues, else schema issues).

    Raises:
        InvalidSchemaError: the schema is invalid, or its file is not strict JSON.
        OSError: the schema file cannot be read.
    """
    if isinstance(schema, str | os.PathLike):
        schema = _read_schema_file(Path(schema))
    validator = _validator_for(schema)

    def validate(content: str) -> list[ValidationIssue]:
        try:
            instance = parse_json(content)
        except DocumentParseError as exc:
            return list(exc.issues)
        return _schema_issues(validator, instance, content)

    return validate


def _validator_for(schema: JSONSchema) -> Draft202012Validator:
    try:
        canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return _compile(schema)  # not plain JSON: compile it, uncached
    return _compile_canonical(canonical)


@functools.lru_cache(maxsize=64)
def _compile_canonical(canonical: str) -> Draft202012Validator:
    # Compiled from our own copy, so that callers mutating their dict cannot change it.
    schema: JSONSchema = json.loads(canonical)
    return _compile(schema)


def _compile(schema: JSONSchema) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = to_json_pointer(exc.absolute_path)
        issue = ValidationIssue(exc.message, pointer=where or None, source="schema")
        raise InvalidSchemaError(
            f"invalid JSON Schema (Draft 2020-12){f' at {where}' if where else ''}: {exc.message}",
            [issue],
        ) from None
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _read_schema_file(path: Path) -> JSONSchema:
    try:
        schema = parse_json(path.read_bytes())
    except DocumentParseError as exc:
        issues = [issue.for_artifact(str(path)) for issue in exc.issues]
        raise InvalidSchemaError(
            f"schema file {path} is not valid JSON", issues, schema=path
        ) from None
    if not isinstance(schema, dict | bool):
        raise InvalidSchemaError(
            f"schema file {path} holds a {type(schema).__name__}; a JSON Schema is an "
            "object or a boolean",
            schema=path,
        )
    return schema


def _schema_issues(
    validator: Draft202012Validator, instance: Any, text: str | None
) -> list[ValidationIssue]:
    try:
        errors = sorted(validator.iter_errors(instance), key=_error_order)
    except RecursionError:
        message = "document nested too deeply to check against its schema"
        return [ValidationIssue(message, source="schema")]
    locations = locate_json_pointers(text) if text is not None and errors else {}
    return [_schema_issue(error, locations) for error in errors]


def _error_order(error: ValidationError) -> tuple[tuple[tuple[int, int | str], ...], str]:
    # Keys and indices never compare with each other: tag ints 0, strs 1.
    path = tuple((0, part) if isinstance(part, int) else (1, part) for part in error.path)
    return path, error.message


def _schema_issue(
    error: ValidationError, locations: Mapping[str, tuple[int, int]]
) -> ValidationIssue:
    pointer = to_json_pointer(error.absolute_path)
    line, column = locations.get(pointer, (None, None))
    return ValidationIssue(
        _message_with_alternatives(error, pointer),
        pointer=pointer or None,
        line=line,
        column=column,
        source="schema",
    )


def _message_with_alternatives(error: ValidationError, pointer: str) -> str:
    """The message, plus why each alternative of an anyOf / oneOf failed (a repair needs it)."""
    if not error.context:
        return error.message
    reasons = []
    for sub in sorted(error.context, key=_option_order)[:_MAX_ALTERNATIVES]:
        option = sub.relative_schema_path[0] if sub.relative_schema_path else "?"
        inner = to_json_pointer(sub.absolute_path)
        at = f" at {inner}" if inner != pointer else ""
        reasons.append(f"option {option}: {sub.message}{at}")
    more = len(error.context) - _MAX_ALTERNATIVES
    if more > 0:
        reasons.append(f"and {more} more")
    return f"{error.message} ({'; '.join(reasons)})"


def _option_order(error: ValidationError) -> tuple[int, str]:
    """Sub-errors of anyOf / oneOf by the index of the alternative they come from."""
    first = error.relative_schema_path[0] if error.relative_schema_path else None
    return (first if isinstance(first, int) else -1), error.message
