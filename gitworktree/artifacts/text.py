"""TextArtifact: plain text, with an optional validate hook."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from gitworktree.artifacts.document import Document
from gitworktree.errors import DocumentParseError
from gitworktree.validation.issues import ValidationIssue

__all__ = ["TextArtifact"]


class TextArtifact(Document[str]):
    """Plain text stored as ``<field name>`` + ``suffix`` (``.txt`` by default).

    Override ``_validate_text(text)`` to return problems (strings or
    ``ValidationIssue``s); the commit gate refuses text that has any. ``default`` is the
    initial text (empty by default).
    """

    suffix: ClassVar[str] = ".txt"
    default: ClassVar[Any] = ""

    @classmethod
    def _parse(cls, content: str) -> str:
        if "\x00" in content:
            raise DocumentParseError(
                "text holds a NUL character",
                [ValidationIssue("text holds a NUL character", source="parse")],
            )
        return content

    @classmethod
    def _render(cls, parsed: str) -> str:
        return parsed

    @classmethod
    def _validate_text(cls, text: str) -> Sequence[ValidationIssue | str]:
        """Problems in ``text``; override to add rules. Empty when valid."""
        return ()

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[ValidationIssue | str]:
        return cls._validate_text(content)
