"""Document: the base of text-format artifacts; a format is four hooks.

A document holds its text (``.content``) and, parsed on demand, its structured form. A
new format is a subclass that implements the hooks (see ``docs/documents.md``):

- ``_parse(content) -> Parsed``: parse text, raising ``DocumentParseError`` with locations;
- ``_render(parsed) -> str``: serialize the parsed form back to text;
- ``_validate_schema(content) -> issues``: schema-level problems (empty when valid);
- ``_get_document_type() -> str``: a label for messages and repair prompts;

and optionally ``_repair(content, issues, document_type) -> str`` (sync or async).

Inside a tree, documents are checked by the commit gate. Outside one, they stand alone
(``from_content``, ``load``, ``load_with_repair``, ``apply`` and ``save``), so that code
written against ``wellformed.ValidatedDocument`` keeps working (docs/migrating.md).
"""

from __future__ import annotations

import copy
import inspect
import os
from abc import abstractmethod
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from gitworktree.atomic import atomic_write
from gitworktree.errors import (
    DocumentParseError,
    MissingInitialStateError,
    MutationFailedError,
    SchemaValidationError,
)
from gitworktree.tree.items import Artifact
from gitworktree.validation.encoding import decode_utf8
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import (
    FixingLoop,
    FixingLoopResult,
    RepairFunction,
    run_awaitable,
)

__all__ = ["Document", "DocumentMutation", "bytes_hint"]

P = TypeVar("P")
M = TypeVar("M")


class DocumentMutation(Generic[M]):
    """A named change to a document: ``execute(content, parsed)`` returns the new content.

    ``parsed`` is a fresh copy of the parsed document (a dict for JSON, an lxml element
    for XML): mutate it and return it rendered, or build new text from ``content``.
    ``execute`` may be a plain method or a coroutine. The type parameter names what
    ``parsed`` is (``DocumentMutation[dict]``), as in wellformed.

    Args:
        name: a label for messages and errors (the class name when empty).
        description: free text saying what the change is for.
    """

    def __init__(self, name: str = "", description: str = "") -> None:
        self.name = name or type(self).__name__
        self.description = description

    def execute(self, content: str, parsed: M) -> str | Awaitable[str]:
        """Produce the new content."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Document(Artifact[P], Generic[P]):
    """A text document that is parsed and validated by its class's hooks.

    Class attributes:
        suffix: the file suffix appended to the field name.
        default: the initial value for a missing file (format-specific; ``None`` means
            an initial state must be given when mounting).
        max_repair_attempts: how many repair calls ``apply`` and ``load_with_repair`` make.
    """

    default: ClassVar[Any] = None
    max_repair_attempts: ClassVar[int] = 3
    # Whether changed content is written in the format's canonical form (``_canonical``);
    # JSON and XML say yes. Content read from storage and left alone is never rewritten.
    canonical_form: ClassVar[bool] = False

    def __init__(self, content: str) -> None:
        self._content = content
        self._parsed: P | None = None
        self._rendered_when_handed_out: str | None = None
        self.source_path: Path | None = None
        # The artifact path it was read from inside a tree: messages name the file.
        self._stored_as: str | None = None
        # The text as read from storage: written back as it is while unchanged.
        self._stored_text: str | None = None

    # --- the format hooks ---------------------------------------------------------------

    @classmethod
    @abstractmethod
    def _parse(cls, content: str) -> P:
        """Parse text; raise ``DocumentParseError`` with line and column on failure."""

    @classmethod
    @abstractmethod
    def _render(cls, parsed: P) -> str:
        """Serialize a parsed document back to text."""

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[ValidationIssue | str]:
        """Schema-level problems of (parseable) content; empty when valid."""
        return ()

    @classmethod
    def _initial_content(cls, state: Any) -> str | None:
        """Text for a new document from an initial state (or ``default``); ``None``: none."""
        value = cls.default if state is None else state
        return None if value is None else str(value)

    # --- content and parsed form --------------------------------------------------------

    @property
    def content(self) -> str:
        """The document's text, including changes made to the parsed form in place."""
        if self._rendered_when_handed_out is not None and self._parsed is not None:
            rendered = self._render(self._parsed)
            if rendered != self._rendered_when_handed_out:
                self._content = rendered
                self._rendered_when_handed_out = rendered
        return self._content

    @content.setter
    def content(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"content is text, not {type(text).__name__}")
        self._content = text
        self._parsed = None
        self._rendered_when_handed_out = None

    # `text` is what people reach for on any document (TextArtifact's name for it);
    # without the property, assigning it would set a stray attribute and be ignored.
    @property
    def text(self) -> str:
        """The document's text: the same as ``content``, settable as well."""
        return self.content

    @text.setter
    def text(self, value: str) -> None:
        self.content = value

    def parsed(self) -> P:
        """The parsed document. Changes made to it in place are saved with the document.

        Raises:
            DocumentParseError: the current content does not parse.
        """
        if self._parsed is None:
            self._parsed = self._parse(self.content)
            self._rendered_when_handed_out = self._render(self._parsed)
        return self._parsed

    def _set_parsed(self, parsed: P) -> None:
        self._content = self._render(parsed)
        self._parsed = parsed
        self._rendered_when_handed_out = self._content

    def value(self) -> P:
        """The parsed document."""
        return self.parsed()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.content == self.content

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        head = self.content[:40].replace("\n", " ")
        return f"<{type(self).__name__} {head!r}{'...' if len(self.content) > 40 else ''}>"

    # --- validation ---------------------------------------------------------------------

    @classmethod
    def issues_of(cls, content: str, artifact: str | None = None) -> list[ValidationIssue]:
        """Every problem in ``content``: parse issues, else schema issues. Empty when valid."""
        try:
            cls._parse(content)
        except DocumentParseError as error:
            issues = list(error.issues) or [ValidationIssue(str(error), source="parse")]
        else:
            issues = [
                item if isinstance(item, ValidationIssue) else ValidationIssue(str(item))
                for item in cls._validate_schema(content)
            ]
        return [issue.for_artifact(artifact) for issue in issues] if artifact else issues

    def validate(self) -> list[ValidationIssue]:
        """The problems of the current content (empty when valid)."""
        return self.issues_of(self.content, self._artifact_name())

    def _artifact_name(self) -> str | None:
        return str(self.source_path) if self.source_path else self._stored_as

    @classmethod
    def _issues_in_text(cls, text: str, artifact: str) -> Sequence[ValidationIssue]:
        return cls.issues_of(text, artifact)

    @classmethod
    def _issues_in(cls, data: bytes, artifact: str) -> Sequence[ValidationIssue]:
        try:
            text = decode_utf8(data, artifact=artifact)
        except DocumentParseError as error:
            return error.issues
        return cls.issues_of(text, artifact)

    # --- the Artifact storage hooks -----------------------------------------------------

    @classmethod
    def _initial(cls, state: Any, item_path: str) -> Self:
        if isinstance(state, cls):
            return cls(state.content)
        content = cls._initial_content(copy.deepcopy(state))
        if content is None:
            raise MissingInitialStateError(
                item_path, f"{cls.__name__} has no default; set {cls.__name__}.default"
            )
        return cls(content)

    @classmethod
    def _from_bytes(cls, data: bytes, artifact: str) -> Self:
        issues = cls._issues_in(data, artifact)
        if issues:
            error = DocumentParseError if issues[0].source == "parse" else SchemaValidationError
            raise error(f"{artifact}: not a valid {cls._get_document_type()}", issues,
                        artifact=artifact)  # fmt: skip
        document = cls(data.decode("utf-8"))
        document._stored_as = artifact
        document._stored_text = document._content
        return document

    def _to_bytes(self) -> bytes:
        text = self.content
        if self.canonical_form and text != self._stored_text:
            text = self._canonical(text)
        return text.encode("utf-8")

    def _stored_at(self, artifact: str) -> None:
        self._stored_as = artifact

    @classmethod
    def _canonical_bytes(cls, data: bytes, artifact: str) -> bytes:
        text = data.decode("utf-8")
        return (cls._canonical(text) if cls.canonical_form else text).encode("utf-8")

    @classmethod
    def _canonical(cls, content: str) -> str:
        """``content`` in the one form this format writes; unparseable content as it is
        (the gate then reports it). The default renders the parsed form again."""
        try:
            return cls._render(cls._parse(content))
        except DocumentParseError:
            return content

    # --- standalone use, outside a tree ---------------------------------------------------

    @classmethod
    def from_content(
        cls,
        content: str,
        *,
        repair: RepairFunction | None = None,
        validate: bool = True,
        max_attempts: int | None = None,
    ) -> Self:
        """A document from text, which must be valid (or be made valid by ``repair``).

        Args:
            content: the text.
            repair: a repair hook to use instead of the class's ``_repair``.
            validate: ``False`` trusts the content (checked elsewhere): nothing is run.
            max_attempts: repair calls at most (default: ``max_repair_attempts``).

        Raises:
            DocumentParseError, SchemaValidationError: invalid and no repair was given.
            MutationFailedError: the repair could not make it valid.
        """
        if not validate:
            return cls(content)
        if repair is None and cls._repair is None:
            issues = cls.issues_of(content)
            if issues:
                error = DocumentParseError if issues[0].source == "parse" else SchemaValidationError
                raise error(f"not a valid {cls._get_document_type()}", issues)
            return cls(content)
        result = cls._fix(content, repair, max_attempts)
        result.raise_for_status()
        return cls(result.content)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read and validate a file (no repair).

        Raises:
            DocumentParseError, SchemaValidationError: the file is not valid; it names it.
        """
        file = Path(path)
        document = cls._from_bytes(file.read_bytes(), str(file))
        document.source_path = file
        return document

    @classmethod
    def load_with_repair(
        cls,
        path: str | os.PathLike[str],
        *,
        repair: RepairFunction | None = None,
        max_attempts: int | None = None,
    ) -> Self:
        """Read a file and, if invalid, repair it in memory (the file is not rewritten).

        Raises:
            MutationFailedError: the repair could not make it valid.
        """
        file = Path(path)
        result = cls._fix(_decode_file(file), repair, max_attempts)
        result.raise_for_status(artifact=str(file))
        document = cls(result.content)
        document.source_path = file
        return document

    @classmethod
    async def aload_with_repair(
        cls,
        path: str | os.PathLike[str],
        *,
        repair: RepairFunction | None = None,
        max_attempts: int | None = None,
    ) -> Self:
        """Async twin of ``load_with_repair``: an async repair runs on the current loop."""
        file = Path(path)
        result = await cls._afix(_decode_file(file), repair, max_attempts)
        result.raise_for_status(artifact=str(file))
        document = cls(result.content)
        document.source_path = file
        return document

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the content atomically to ``path`` (default: where it was loaded from).

        Raises:
            SchemaValidationError, DocumentParseError: the content is not valid; nothing
                is written.
        """
        target = Path(path) if path is not None else self.source_path
        if target is None:
            raise ValueError("save() needs a path: this document was not loaded from a file")
        issues = self.validate()
        if issues:
            raise SchemaValidationError(f"{target}: refusing to save invalid content", issues)
        atomic_write(target, self._to_bytes())
        self.source_path = target
        return target

    def apply(
        self,
        mutation: DocumentMutation[Any],
        *,
        repair: RepairFunction | None = None,
        max_attempts: int | None = None,
    ) -> Self:
        """Run ``mutation``, then the fixing loop; keep the result only if it is valid.

        The document is changed in place (and returned): inside a tree the change lands
        with the next commit. ``max_attempts`` overrides ``max_repair_attempts`` for this
        call (as it does for ``load_with_repair`` and ``from_content``). Async mutations
        and repairs run to completion here, unless an event loop is running — then use
        ``aapply``.

        Raises:
            MutationFailedError: the mutated content stayed invalid; the document is
                unchanged, and the error holds the last candidate and every attempt's issues.
        """
        produced = mutation.execute(self.content, self._fresh_parsed())
        if inspect.isawaitable(produced):
            produced = run_awaitable(
                produced,
                what="apply() was given an async mutation",
                instead="'await document.aapply(...)'",
            )
        result = self._fix(_checked_text(produced, mutation), repair, max_attempts)
        return self._accept(result, mutation)

    async def aapply(
        self,
        mutation: DocumentMutation[Any],
        *,
        repair: RepairFunction | None = None,
        max_attempts: int | None = None,
    ) -> Self:
        """Async twin of ``apply``."""
        produced = mutation.execute(self.content, self._fresh_parsed())
        if inspect.isawaitable(produced):
            produced = await produced
        result = await self._afix(_checked_text(produced, mutation), repair, max_attempts)
        return self._accept(result, mutation)

    def _fresh_parsed(self) -> P:
        return self._parse(self.content)

    def _accept(self, result: FixingLoopResult, mutation: DocumentMutation[Any]) -> Self:
        if not result.ok:
            where = self._artifact_name()
            raise MutationFailedError(
                f"{where + ': ' if where else ''}mutation {mutation.name!r} left the "
                f"{self._get_document_type()} invalid after {result.attempts} repair "
                f"attempt(s); the document is unchanged",
                result.issues,
                artifact=where,
                last_content=result.content,
                history=result.history,
            )
        self.content = result.content
        return self

    @classmethod
    def _fix(
        cls, content: str, repair: RepairFunction | None, max_attempts: int | None = None
    ) -> FixingLoopResult:
        hook = repair or cls._repair
        loop = FixingLoop(cls._attempts(hook, max_attempts))
        return loop.run(
            content, cls.issues_of, hook or _unchanged, document_type=cls._get_document_type()
        )

    @classmethod
    async def _afix(
        cls, content: str, repair: RepairFunction | None, max_attempts: int | None = None
    ) -> FixingLoopResult:
        hook = repair or cls._repair
        loop = FixingLoop(cls._attempts(hook, max_attempts))
        return await loop.arun(
            content, cls.issues_of, hook or _unchanged, document_type=cls._get_document_type()
        )

    @classmethod
    def _attempts(cls, hook: RepairFunction | None, max_attempts: int | None) -> int:
        """Repair calls allowed: none without a hook, else the call's or the class's limit."""
        if hook is None:
            return 0
        return cls.max_repair_attempts if max_attempts is None else max_attempts


def _unchanged(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    return content


def _checked_text(produced: object, mutation: DocumentMutation[Any]) -> str:
    if not isinstance(produced, str):
        raise TypeError(
            f"mutation {mutation.name!r} returned {type(produced).__name__}; execute() "
            f"must return the new content as str{bytes_hint(produced)}"
        )
    return produced


def bytes_hint(produced: object) -> str:
    """A hint for the usual cause of a mutation returning bytes (empty for other types)."""
    if not isinstance(produced, bytes | bytearray):
        return ""
    # lxml's default: the mistake wellformed's XML examples invite.
    return ' (with lxml: etree.tostring(tree, encoding="unicode"))'


def _decode_file(file: Path) -> str:
    return decode_utf8(file.read_bytes(), artifact=str(file))
