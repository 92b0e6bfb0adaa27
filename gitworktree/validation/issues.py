"""ValidationIssue: one problem found in one piece of content, with its location."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

__all__ = ["IssueSource", "ValidationIssue"]

IssueSource = Literal["parse", "schema", "model", "custom", "repair"]


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem in one piece of content.

    Attributes:
        message: what is wrong, in one sentence.
        pointer: where in the document: a JSON Pointer (``/tasks/0/title``) or an XPath
            (``/todos/task[2]``); ``None`` for the whole document.
        line: 1-based line in the content, when known.
        column: 1-based column in the content, when known (``None`` rather than 0).
        source: which check found it: ``"parse"``, ``"schema"``, ``"model"`` or ``"custom"``;
            ``"repair"`` marks a repair function that raised instead of returning content.
        artifact: the artifact's path relative to the mounted root, when known.
    """

    message: str
    pointer: str | None = None
    line: int | None = None
    column: int | None = None
    source: IssueSource = "schema"
    artifact: str | None = None

    def __str__(self) -> str:
        """One line, suitable for a log or an LLM repair prompt.

        ``notes.json:3:5: at /title: 42 is not of type 'string' (schema)``; with no
        artifact, ``line 3, column 5: ...`` (a bare ``:3:5:`` would read as a typo).
        """
        if self.artifact is not None:
            location = self.artifact
            if self.line is not None:
                location += f":{self.line}"
                if self.column is not None:
                    location += f":{self.column}"
        elif self.line is not None:
            location = f"line {self.line}"
            if self.column is not None:
                location += f", column {self.column}"
        else:
            location = ""
        prefix = f"{location}: " if location else ""
        at = f"at {self.pointer}: " if self.pointer else ""
        return f"{prefix}{at}{self.message} ({self.source})"

    def for_artifact(self, artifact: str) -> ValidationIssue:
        """This issue, attributed to ``artifact`` (unless it already names one)."""
        if self.artifact is not None:
            return self
        return dataclasses.replace(self, artifact=artifact)
