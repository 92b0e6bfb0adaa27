"""The tree the reliability suites write: a map, a model, a JSON document and text."""

from __future__ import annotations

from typing import Any, ClassVar

from gitworktree import (
    ArtifactMap,
    JsonDocument,
    PydanticArtifact,
    TextArtifact,
    Worktree,
    XmlDocument,
)


class Task(PydanticArtifact):
    title: str
    rank: int = 0


class Counter(PydanticArtifact):
    number: int = 0


class Note(JsonDocument):
    schema: ClassVar[Any] = {
        "type": "object",
        "required": ["lines"],
        "properties": {"lines": {"type": "array", "items": {"type": "string"}}},
    }
    default: ClassVar[Any] = {"lines": []}


class Doc(TextArtifact):
    default: ClassVar[Any] = "start\n"


class Page(XmlDocument):
    default: ClassVar[Any] = "<page/>"


class WorkTree(Worktree):
    tasks: ArtifactMap[Task]
    counter: Counter
    note: Note
    doc: Doc
    page: Page
