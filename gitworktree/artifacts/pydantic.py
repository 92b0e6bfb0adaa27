"""PydanticArtifact: a Pydantic model stored as readable, deterministic JSON."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ValidationError

from gitworktree.errors import DocumentParseError, MissingInitialStateError, SchemaValidationError
from gitworktree.tree.items import Artifact
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_format import parse_json
from gitworktree.validation.json_pointers import locate_json_pointers, to_json_pointer

__all__ = ["PydanticArtifact", "model_issues", "render_json"]


def render_json(value: Any) -> bytes:
    """Render a JSON value the way every JSON artifact is stored.

    Two-space indent, keys in the value's own order, non-ASCII kept readable, a trailing
    newline: equal values give equal bytes, and ``git diff`` shows one line per field.

    Raises:
        ValueError: the value holds NaN or an infinity, which JSON cannot represent.
    """
    return (json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def model_issues(
    error: ValidationError, *, text: str | None = None, artifact: str | None = None
) -> list[ValidationIssue]:
    """Pydantic's errors as ``ValidationIssue``s with JSON Pointers (and lines, given the text)."""
    pointers = [to_json_pointer(entry["loc"]) for entry in error.errors()]
    located = locate_json_pointers(text) if text is not None else {}
    issues = []
    for entry, pointer in zip(error.errors(), pointers, strict=True):
        message = entry["msg"]
        if entry["type"] != "missing" and "input" in entry:
            message += f" (got {_short_repr(entry['input'])})"
        issues.append(
            ValidationIssue(
                message=message,
                pointer=pointer or None,
                line=located[pointer][0] if pointer in located else None,
                column=located[pointer][1] if pointer in located else None,
                source="model",
                artifact=artifact,
            )
        )
    return issues


def _short_repr(value: Any) -> str:
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


_MODEL_VALIDATE = BaseModel.model_validate.__func__  # type: ignore[attr-defined]


class PydanticArtifact(BaseModel, Artifact["PydanticArtifact"]):
    """A Pydantic model stored as ``<field name>.json``.

    Declare fields as on any model; give them defaults, or pass ``initial_states`` when
    mounting, so that a missing file can be created::

        class Counter(PydanticArtifact):
            number: int = 0

    The model itself is the in-memory value: ``tree.counter.number += 1``.
    """

    suffix: ClassVar[str] = ".json"

    def value(self) -> Self:
        """The model itself."""
        return self

    @classmethod
    def _initial(cls, state: Any, item_path: str) -> Self:
        if isinstance(state, cls):
            return state.model_copy(deep=True)
        try:
            return cls.model_validate(state if state is not None else {})
        except ValidationError as error:
            missing = [
                ".".join(str(part) for part in entry["loc"])
                for entry in error.errors()
                if entry["type"] == "missing"
            ]
            if missing:
                raise MissingInitialStateError(
                    item_path, f"missing required fields: {', '.join(missing)}"
                ) from error
            raise SchemaValidationError(
                f"{item_path}: the initial state is not a valid {cls.__name__}",
                model_issues(error),
                artifact=item_path,
            ) from error

    @classmethod
    def _from_bytes(cls, data: bytes, artifact: str) -> Self:
        try:
            parsed = parse_json(data)
        except DocumentParseError as error:
            raise DocumentParseError(
                f"{artifact}: stored content is not valid JSON",
                [issue.for_artifact(artifact) for issue in error.issues],
                artifact=artifact,
            ) from None
        try:
            if getattr(cls.model_validate, "__func__", None) is _MODEL_VALIDATE:
                # What model_validate does, without its keyword handling (~0.5 us of a
                # ~4 us load); a class that overrides model_validate still gets its own.
                validated: Self = cls.__pydantic_validator__.validate_python(parsed)
                return validated
            return cls.model_validate(parsed)
        except ValidationError as error:
            text = data.decode("utf-8")
            raise SchemaValidationError(
                f"{artifact}: stored content is not a valid {cls.__name__}",
                model_issues(error, text=text, artifact=artifact),
                artifact=artifact,
            ) from error

    def _to_bytes(self) -> bytes:
        # warnings=False: a value assigned without validation (say a str in an int field)
        # is rendered as it is and then refused by the commit gate with a clear issue,
        # instead of a serializer warning here.
        return render_json(self.model_dump(mode="json", warnings=False))
