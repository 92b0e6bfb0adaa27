"""wellformed's ``ValidatedDocument``: an always-valid standalone document, async end-to-end.

A subclass provides the four hooks ``_parse``, ``_validate_schema``, ``_get_document_type``
and ``_repair`` (async). Validation runs through gitworktree's fixing loop, files are
written with gitworktree's atomic write, and rollback uses the checkpoints of
``gitworktree.compat.wellformed``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import ClassVar, Generic, Self, TypeVar, cast

from gitworktree import errors as core
from gitworktree.artifacts.document import DocumentMutation
from gitworktree.atomic import atomic_write
from gitworktree.compat.wellformed._checkpoints import Checkpoint
from gitworktree.compat.wellformed._errors import (
    DocumentIntegrityError,
    DocumentParseError,
    MutationFailedError,
    SchemaValidationError,
    issue_text,
)
from gitworktree.compat.wellformed._loop import as_issues, log_outcome
from gitworktree.validation.encoding import decode_utf8
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import FixingLoop, FixingLoopResult

__all__ = ["DocumentMutation", "ValidatedDocument"]

P = TypeVar("P")


class ValidatedDocument(Generic[P]):
    """A document whose content has passed parsing and schema validation.

    Attributes:
        content: the document's text.
        parsed: its parsed form (``refresh_parsed()`` re-parses ``content``).
        filepath: the file it was loaded from or is saved to, if any.

    Class attributes:
        max_fix_attempts: how many repair calls ``apply`` and ``load_with_repair`` make.
    """

    max_fix_attempts: ClassVar[int] = 3

    def __init__(
        self, content: str, filepath: str | os.PathLike[str] | None = None, *, parse: bool = True
    ) -> None:
        self.content = content
        self.filepath = None if filepath is None else Path(filepath)
        self._parsed: P | None = None
        self._is_parsed = False
        if parse:
            self.refresh_parsed()

    @property
    def parsed(self) -> P:
        """The parsed form (parsed on first use when built with ``validate=False``)."""
        if not self._is_parsed:
            self.refresh_parsed()
        return cast(P, self._parsed)  # refresh_parsed stored a P (which may be None)

    @parsed.setter
    def parsed(self, value: P) -> None:
        self._parsed = value
        self._is_parsed = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self.filepath) if self.filepath else '(unsaved)'}>"

    # --- the hooks ----------------------------------------------------------------------

    @classmethod
    def _parse(cls, content: str) -> P:
        """Parse text; raise a ``DocumentParseError`` (with line and column) on failure."""
        raise NotImplementedError(f"{cls.__name__} must implement _parse()")

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[str | ValidationIssue]:
        """Schema errors of parseable content; ``[]`` when valid (or there is no schema)."""
        return []

    @classmethod
    def _get_document_type(cls) -> str:
        """A short label for messages and repair prompts."""
        return cls.__name__

    @classmethod
    async def _repair(cls, content: str, errors: list[str], document_type: str) -> str:
        """Return repaired content given the last validation's errors (e.g. an LLM call)."""
        raise NotImplementedError(f"{cls.__name__} has no _repair(); it cannot repair content")

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_content(
        cls, content: str, filepath: str | os.PathLike[str] | None = None, validate: bool = True
    ) -> Self:
        """A document from text.

        Args:
            content: the text.
            filepath: where ``save()`` writes by default.
            validate: parse and check the schema; ``False`` trusts the content (already
                checked elsewhere): nothing is checked and ``parsed`` is parsed on first use.

        Raises:
            DocumentParseError: the content does not parse (the format's subclass).
            SchemaValidationError: ``validate`` and the schema reports errors.
        """
        if not validate:
            return cls(content, filepath, parse=False)
        document = cls(content, filepath)
        errors = list(cls._validate_schema(content))
        if errors:
            where = f"{filepath}: " if filepath is not None else ""
            raise SchemaValidationError(f"{where}not a valid {cls._get_document_type()}", errors)
        return document

    @classmethod
    async def load(cls, filepath: str | os.PathLike[str]) -> Self:
        """Read and validate a file; no repair.

        Raises:
            DocumentParseError, SchemaValidationError: the file is not valid.
        """
        return cls.from_content(_read_text(Path(filepath)), filepath)

    @classmethod
    async def load_with_repair(
        cls, filepath: str | os.PathLike[str], max_attempts: int | None = None
    ) -> Self:
        """Read a file and, if invalid, repair it in memory; ``save()`` writes the result.

        Raises:
            DocumentIntegrityError: the repairs could not make it valid.
        """
        path = Path(filepath)
        result = await cls._fix(_read_text(path), max_attempts)
        if not result.ok:
            raise DocumentIntegrityError(
                f"{path}: still an invalid {cls._get_document_type()} after "
                f"{result.attempts} repair attempt(s)",
                filepath=path,
                repair_attempts=result.attempts,
                errors=result.issues,
                last_content=result.content,
            )
        return cls(result.content, path)

    # --- changing and saving ------------------------------------------------------------

    async def apply(self, mutation: DocumentMutation, max_attempts: int | None = None) -> Self:
        """Run ``mutation``, repair its result if needed, and return the new document.

        ``mutation.execute`` receives the content and a fresh parse of it, so this
        document is never changed; the result has the same ``filepath``.

        Raises:
            MutationFailedError: the result stayed invalid after the repair attempts.
        """
        produced: str | Awaitable[str] = mutation.execute(self.content, self._parse(self.content))
        if inspect.isawaitable(produced):
            produced = await produced
        if not isinstance(produced, str):
            raise TypeError(
                f"mutation {mutation.name!r} returned {type(produced).__name__}, not str"
            )
        result = await self._fix(produced, max_attempts)
        if not result.ok:
            raise MutationFailedError(
                f"mutation {mutation.name!r} left the {self._get_document_type()} invalid "
                f"after {result.attempts} repair attempt(s)",
                result.issues,
                mutation_name=mutation.name,
                attempts=result.attempts,
                last_content=result.content,
                history=result.history,
            )
        return type(self)(result.content, self.filepath)

    def refresh_parsed(self) -> P:
        """Parse ``content`` again, dropping changes made to ``parsed`` in place.

        Raises:
            DocumentParseError: the content does not parse (the format's subclass).
        """
        self.parsed = self._parse(self.content)
        return cast(P, self._parsed)

    def save(self, filepath: str | os.PathLike[str] | None = None) -> Path:
        """Write the content atomically (a reader sees the old file or the new one).

        Raises:
            ValueError: no ``filepath`` given and none known.
        """
        target = Path(filepath) if filepath is not None else self.filepath
        if target is None:
            raise ValueError("save() needs a filepath: this document has none")
        atomic_write(target, self.content.encode("utf-8"))
        self.filepath = target
        return target

    def checkpoint(self) -> Checkpoint:
        """A checkpoint of this document's file as it is on disk now.

        Raises:
            ValueError: the document has no ``filepath``.
        """
        if self.filepath is None:
            raise ValueError("checkpoint() needs a document with a filepath")
        return Checkpoint.create(self.filepath)

    # --- the engine ---------------------------------------------------------------------

    @classmethod
    def _issues(cls, content: str) -> list[ValidationIssue]:
        try:
            cls._parse(content)
        except core.DocumentParseError as error:
            return list(error.issues) or [ValidationIssue(str(error), source="parse")]
        return as_issues(cls._validate_schema(content))

    @classmethod
    async def _fix(cls, content: str, max_attempts: int | None) -> FixingLoopResult:
        def repair(text: str, issues: Sequence[ValidationIssue], kind: str) -> Awaitable[str]:
            return cls._repair(text, [issue_text(issue) for issue in issues], kind)

        attempts = cls.max_fix_attempts if max_attempts is None else max_attempts
        kind = cls._get_document_type()
        result = await FixingLoop(attempts).arun(content, cls._issues, repair, kind)
        log_outcome(result, kind)
        return result


def _read_text(path: Path) -> str:
    try:
        return decode_utf8(path.read_bytes(), artifact=str(path))
    except core.DocumentParseError as error:
        raise DocumentParseError.from_core(error) from None
