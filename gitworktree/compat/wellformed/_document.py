"""wellformed's ``ValidatedDocument``: an always-valid standalone document, async end-to-end.

A subclass provides the four hooks ``_parse``, ``_validate_schema``, ``_get_document_type``
and ``_repair`` (async). Validation runs through gitworktree's fixing loop, files are
written with gitworktree's atomic write, and rollback uses the checkpoints of
``gitworktree.compat.wellformed``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from gitworktree import errors as core
from gitworktree.artifacts import document as native
from gitworktree.atomic import atomic_write
from gitworktree.compat.wellformed._checkpoints import Checkpoint, through_links
from gitworktree.compat.wellformed._errors import (
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
M = TypeVar("M")


@dataclass
class DocumentMutation(native.DocumentMutation[M]):
    """wellformed's mutation: a dataclass with a ``name`` and a ``description``.

    Subclass it and override ``async execute(content, parsed) -> str``; a subclass may be
    a ``@dataclass`` with fields of its own (``SetCount(name="set", value=7)``). It is a
    ``gitworktree.DocumentMutation`` too, so native documents take it.
    """

    name: str
    description: str = ""


@dataclass(repr=False)
class ValidatedDocument(Generic[P]):
    """A document whose content has passed parsing and schema validation.

    A dataclass, as in wellformed: ``ValidatedDocument(filepath=, content=, parsed=)``
    builds one from parts already checked, and subclasses may be ``@dataclass`` too.

    Attributes:
        filepath: the file it was loaded from or is saved to, if any.
        content: the document's text.
        parsed: its parsed form (``refresh_parsed()`` re-parses ``content``).

    Class attributes:
        max_fix_attempts: how many repair calls ``apply`` and ``load_with_repair`` make.
    """

    filepath: Path | None
    content: str
    parsed: P = field(compare=False)

    max_fix_attempts: ClassVar[int] = 3

    def __post_init__(self) -> None:
        if self.filepath is not None:
            self.filepath = Path(self.filepath)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self.filepath) if self.filepath else '(unsaved)'}>"

    def __await__(self) -> Generator[Any, None, Self]:
        """The document itself: ``await Doc.from_content(...)`` works as in wellformed.

        wellformed's ``from_content`` was a coroutine; ours returns the document at once,
        and awaiting it gives the same document, so code written either way runs.
        """
        return self
        yield  # a generator function, so awaiting completes at once  # pragma: no cover

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
        """A document from text (awaitable too, as wellformed's coroutine was).

        Args:
            content: the text.
            filepath: where ``save()`` writes by default.
            validate: check the schema; ``False`` only parses (the schema was checked
                elsewhere).

        Raises:
            DocumentParseError: the content does not parse (the format's subclass).
            SchemaValidationError: ``validate`` and the schema reports errors.
        """
        parsed = cls._parse(content)
        if validate:
            errors = list(cls._validate_schema(content))
            if errors:
                where = f"{filepath}: " if filepath is not None else ""
                raise SchemaValidationError(
                    f"{where}not a valid {cls._get_document_type()}", filepath, errors
                )
        return cls._built(content, filepath, parsed)

    @classmethod
    def _built(cls, content: str, filepath: str | os.PathLike[str] | None, parsed: P) -> Self:
        path = None if filepath is None else Path(filepath)
        return cls(filepath=path, content=content, parsed=parsed)

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
            MutationFailedError: the repairs could not make it valid (a
                ``DocumentIntegrityError``, with ``filepath``, ``repair_attempts`` and
                ``final_errors``).
        """
        path = Path(filepath)
        result = await cls._fix(_read_text(path), max_attempts)
        if not result.ok:
            raise MutationFailedError(
                f"{path}: still an invalid {cls._get_document_type()} after "
                f"{result.attempts} repair attempt(s)",
                result.issues,
                filepath=path,
                repair_attempts=result.attempts,
                last_content=result.content,
                history=result.history,
            )
        return cls._built(result.content, path, cls._parse(result.content))

    # --- changing and saving ------------------------------------------------------------

    async def apply(
        self,
        mutation: native.DocumentMutation[P],
        max_attempts: int | None = None,
        *,
        max_fix_attempts: int | None = None,
    ) -> Self:
        """Run ``mutation``, repair its result if needed, and return the new document.

        ``mutation.execute`` receives the content and a fresh parse of it, so this
        document is never changed; the result has the same ``filepath``.
        ``max_attempts`` (or wellformed's ``max_fix_attempts``) overrides the class's
        limit for this call.

        Raises:
            MutationFailedError: the mutation raised (its exception is
                ``original_error``), or its result stayed invalid after the repairs.
        """
        try:
            produced: str | Awaitable[str] = mutation.execute(
                self.content, self._parse(self.content)
            )
            if inspect.isawaitable(produced):
                produced = await produced
        except core.MutationFailedError:
            raise
        except Exception as error:
            # As in wellformed: a mutation's own failure is a MutationFailedError, so
            # the caller's ``except MutationFailedError: checkpoint.restore()`` runs.
            raise MutationFailedError(
                f"mutation {mutation.name!r} failed: {error}",
                original_error=error,
                mutation_name=mutation.name,
            ) from error
        if not isinstance(produced, str):
            raise TypeError(
                f"mutation {mutation.name!r} returned {type(produced).__name__}, not "
                f"str{native.bytes_hint(produced)}"
            )
        limit = max_fix_attempts if max_fix_attempts is not None else max_attempts
        result = await self._fix(produced, limit)
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
        return self._built(result.content, self.filepath, self._parse(result.content))

    def refresh_parsed(self) -> P:
        """Parse ``content`` again, dropping changes made to ``parsed`` in place.

        Raises:
            DocumentParseError: the content does not parse (the format's subclass).
        """
        self.parsed = self._parse(self.content)
        return self.parsed

    def save(self, filepath: str | os.PathLike[str] | None = None) -> Path:
        """Write the content atomically (a reader sees the old file or the new one).

        Raises:
            ValueError: no ``filepath`` given and none known.
        """
        target = Path(filepath) if filepath is not None else self.filepath
        if target is None:
            raise ValueError("save() needs a filepath: this document has none")
        atomic_write(through_links(target), self.content.encode("utf-8"))
        self.filepath = target
        return target

    def checkpoint(self) -> Checkpoint[Self]:
        """A checkpoint of this document's file as it is on disk now.

        Raises:
            ValueError: the document has no ``filepath``.
        """
        if self.filepath is None:
            raise ValueError("checkpoint() needs a document with a filepath")
        checkpoint = Checkpoint.create(self.filepath)
        checkpoint.document_cls = type(self)
        return checkpoint

    # --- the engine ---------------------------------------------------------------------

    @classmethod
    def _validate_fn(cls) -> Callable[[str], list[str]]:
        """The check ``apply`` and ``load_with_repair`` run: parse, then the schema.

        wellformed's hook for another composition: override it, and the fixing loop
        checks with your function instead.
        """

        def validate(content: str) -> list[str]:
            return [issue_text(issue) for issue in cls._engine_issues(content)]

        return validate

    @classmethod
    def _issues(cls, content: str) -> list[ValidationIssue]:
        if getattr(cls._validate_fn, "__func__", None) is not _DEFAULT_VALIDATE_FN:
            return as_issues(cls._validate_fn()(content))
        return cls._engine_issues(content)

    @classmethod
    def _engine_issues(cls, content: str) -> list[ValidationIssue]:
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


# The issues keep their lines and pointers unless a subclass composes its own check.
_DEFAULT_VALIDATE_FN = ValidatedDocument._validate_fn.__func__  # type: ignore[attr-defined]


def _read_text(path: Path) -> str:
    try:
        return decode_utf8(path.read_bytes(), artifact=str(path))
    except core.DocumentParseError as error:
        raise DocumentParseError.from_core(error) from None
