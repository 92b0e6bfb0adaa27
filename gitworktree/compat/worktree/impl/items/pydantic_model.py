"""``PydanticArtifact``: a Pydantic model stored as ``<item name>.json``.

Stored JSON is parsed strictly and validated by gitworktree (``NaN``, duplicate keys and
the like are parse errors with line and column); it is written in gitworktree's
deterministic form (sorted by field order, 2-space indent, final newline).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from gitworktree.artifacts.pydantic import model_issues, render_json
from gitworktree.compat.worktree.contract import Artifact, MissingInitialStateError
from gitworktree.compat.worktree.decorators import unreachable_worktree_action
from gitworktree.compat.worktree.mounting.accessible import Collection, Object, RootCollection
from gitworktree.compat.worktree.mounting.claim import Claim, ObjectClaim
from gitworktree.errors import DocumentParseError
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.json_format import parse_json

__all__ = ["PydanticArtifact"]


def _located(error: ValidationError, issues: Sequence[ValidationIssue]) -> ValidationError:
    """``error`` with a note locating each problem in the stored text."""
    error.add_note("\n".join(f"  {issue}" for issue in issues))
    return error


class PydanticArtifact(BaseModel, Artifact[Any]):
    """A model whose fields are stored as one JSON object; the model is its own value.

    Build it as worktree does, ``Counter("counter", root, initial_states={...})``, or
    declare it as a field of a ``Worktree``. Fields need defaults unless initial states
    give them.
    """

    def __init__(
        self,
        item_name: str,
        mounted_at: RootCollection | None = None,
        initial_states: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            BaseModel.__init__(self, **{**(initial_states or {}), **kwargs})
        except ValidationError as error:
            missing = [str(e["loc"][0]) for e in error.errors() if e["type"] == "missing"]
            if missing:
                raise MissingInitialStateError(
                    missing[0], f"Missing required fields: {', '.join(missing)}"
                ) from error
            raise _located(error, model_issues(error, artifact=item_name)) from None
        if mounted_at is not None:
            Artifact.__init__(self, item_name, mounted_at, initial_states=initial_states)
        else:
            object.__setattr__(self, "_item_name", item_name)

    @property
    def artifact_mount_path(self) -> str:
        """The object this artifact is stored in: ``<item name>.json``."""
        return f"{self.item_name}.json"

    def ownership_claims(self) -> list[Claim]:
        """The one object ``<item name>.json``."""
        return [ObjectClaim(path=Path(self.artifact_mount_path))]

    def initialize_object(self, path: Path, obj: Object) -> None:
        """Nothing: a new object is written from the fields' defaults."""

    def validate_object(self, path: Path, obj: Object) -> None:
        """Load the stored JSON into the fields.

        Raises:
            pydantic.ValidationError: the object is not strict JSON (``json_invalid``) or
                does not validate against the model, as in worktree; a note added to the
                error names the file, line, column and JSON Pointer of each problem.
        """
        text = obj.read_text()
        artifact = str(path)
        try:
            parsed = parse_json(text)
        except DocumentParseError as error:
            issues = [issue.for_artifact(artifact) for issue in error.issues]
            invalid = ValidationError.from_exception_data(
                type(self).__name__,
                [
                    {
                        "type": "json_invalid",
                        "loc": (),
                        "input": text,
                        "ctx": {"error": str(issues[0])},
                    }
                ],
            )
            raise _located(invalid, issues) from None
        try:
            # Validated into a blank instance: model_validate would call our __init__,
            # whose signature is worktree's (item_name, mounted_at, ...), not the fields.
            loaded = type(self).__new__(type(self))
            self.__pydantic_validator__.validate_python(parsed, self_instance=loaded)
        except ValidationError as error:
            raise _located(error, model_issues(error, text=text, artifact=artifact)) from None
        for name in type(self).model_fields:
            setattr(self, name, getattr(loaded, name))

    def commit_object(self, path: Path, obj: Object) -> None:
        """Write the fields as JSON."""
        obj.write_binary(render_json(self.model_dump(mode="json")))

    @unreachable_worktree_action(since="PydanticArtifact only claims objects, not collections")
    def initialize_collection(self, path: Path, collection: Collection) -> None: ...

    @unreachable_worktree_action(since="PydanticArtifact only claims objects, not collections")
    def validate_collection(self, path: Path, collection: Collection) -> None: ...

    @unreachable_worktree_action(since="PydanticArtifact only claims objects, not collections")
    def commit_collection(self, path: Path, collection: Collection) -> None: ...

    def value(self) -> Self:
        """The model itself."""
        return self
