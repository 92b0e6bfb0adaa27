"""JsonDocument: a JSON document checked against a JSON Schema (Draft 2020-12)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from gitworktree.artifacts.document import Document
from gitworktree.artifacts.pydantic import render_json
from gitworktree.errors import DocumentParseError, InvalidSchemaError
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_format import parse_json
from gitworktree.validation.json_schema import JSONSchema, make_json_schema_validator
from gitworktree.validation.loop import ValidateFunction

__all__ = ["JsonDocument", "resolve_class_path", "schema_file"]


def resolve_class_path(cls: type, path: str | Path) -> Path:
    """A path given on a class, relative to the file that defines the class."""
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    module = sys.modules.get(cls.__module__)
    source = getattr(module, "__file__", None) or inspect.getfile(cls)
    return Path(source).resolve().parent / candidate


def schema_file(cls: type, path: str | Path) -> Path:
    """The schema file ``path`` (a class's ``schema_path``) names, checked to be there.

    Raises:
        InvalidSchemaError: there is no file at that path (not a raw ``FileNotFoundError``
            from deep in a commit: it says which class, which path, and where it looked).
    """
    found = resolve_class_path(cls, path)
    if not found.is_file():
        raise InvalidSchemaError(
            f"{cls.__name__}.schema_path {str(path)!r}: no schema file at {found} (a "
            f"relative schema_path is read from the directory of the file that defines "
            f"{cls.__name__}); put the schema there, or correct the path",
            schema=found,
        )
    return found


class JsonDocument(Document[Any]):
    """A JSON document stored as ``<field name>.json``.

    Class attributes:
        schema: a JSON Schema (Draft 2020-12) as a dict, or
        schema_path: the path of a schema file, relative to the module defining the class.
        default: the initial value (any JSON value) for a missing file.

    The parsed value is ``.data`` (settable; in-place changes are saved); the text is
    ``.content``. Changed content, however it was made (``.data``, ``.content``, a
    repair), is stored with a 2-space indent and a trailing newline; a file read and left
    alone is never rewritten. ``canonical_form = False`` on a subclass stores text
    exactly as written.
    """

    suffix: ClassVar[str] = ".json"
    canonical_form: ClassVar[bool] = True
    schema: ClassVar[JSONSchema | None] = None
    schema_path: ClassVar[str | Path | None] = None

    @property
    def data(self) -> Any:
        """The parsed JSON value (a dict, list, str, number, bool or None)."""
        return self.parsed()

    @data.setter
    def data(self, value: Any) -> None:
        self._set_parsed(value)

    @classmethod
    def _parse(cls, content: str) -> Any:
        return parse_json(content)

    @classmethod
    def _render(cls, parsed: Any) -> str:
        try:
            return render_json(parsed).decode("utf-8")
        except (TypeError, ValueError) as error:
            raise DocumentParseError(
                f"the value cannot be written as JSON: {error}",
                [ValidationIssue(f"cannot be written as JSON: {error}", source="parse")],
            ) from None

    @classmethod
    def _initial_content(cls, state: Any) -> str | None:
        value = cls.default if state is None else state
        return None if value is None else cls._render(value)

    @classmethod
    def _schema_validator(cls) -> ValidateFunction | None:
        """The compiled check for ``schema`` (else ``schema_path``), built once per class."""
        if "_compiled_schema" not in cls.__dict__:
            source: JSONSchema | Path | None = cls.schema
            if source is None and cls.schema_path is not None:
                source = schema_file(cls, cls.schema_path)
            compiled = None if source is None else make_json_schema_validator(source)
            type.__setattr__(cls, "_compiled_schema", compiled)
        validator: ValidateFunction | None = cls.__dict__["_compiled_schema"]
        return validator

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[ValidationIssue | str]:
        validator = cls._schema_validator()
        return () if validator is None else validator(content)
