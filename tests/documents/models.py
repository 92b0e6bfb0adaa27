"""Document declarations shared by the document tests (the wellformed README's examples)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from lxml import etree

from gitworktree import (
    DocumentMutation,
    JsonDocument,
    TextArtifact,
    ValidationIssue,
    Worktree,
    XmlDocument,
)

VALID_PRIORITIES = {"low", "medium", "high"}

NOTE_SCHEMA = {
    "type": "object",
    "required": ["type", "lines"],
    "properties": {
        "type": {"const": "note"},
        "lines": {"type": "array", "items": {"type": "string"}},
    },
}

TODOS = """<todos>
  <task priority="high"><title>Ship wellformed v0.1</title></task>
  <task priority="medium"><title>Write the tutorial</title></task>
</todos>
"""


class TodoList(XmlDocument):
    """wellformed's todo list: XSD-checked, with its naive two-pass repair."""

    schema_path: ClassVar[str] = "todos.xsd"
    default: ClassVar[Any] = TODOS

    @classmethod
    def _get_document_type(cls) -> str:
        return "todo-list"

    @classmethod
    def _repair(cls, content: str, errors: Sequence[ValidationIssue], document_type: str) -> str:
        root = etree.fromstring(content.encode())
        # Strategy A: quarantine out-of-enum priorities; this leaves `priority` missing,
        # a new error that the next pass (strategy B) fixes.
        bad = [t for t in root.iter("task") if t.get("priority") not in (None, *VALID_PRIORITIES)]
        if bad:
            for task in bad:
                task.set("prio", task.get("priority", ""))
                del task.attrib["priority"]
            return str(etree.tostring(root, encoding="unicode"))
        # Strategy B: restore a quarantined priority, normalized, or fall back to medium.
        for task in root.iter("task"):
            if task.get("priority") is None:
                guess = task.attrib.pop("prio", "medium").lower()
                task.set("priority", guess if guess in VALID_PRIORITIES else "medium")
        return str(etree.tostring(root, encoding="unicode"))


class SetPriority(DocumentMutation):
    def __init__(self, index: int, priority: str) -> None:
        super().__init__(name=f"set-priority-{index}")
        self.index, self.priority = index, priority

    def execute(self, content: str, parsed: Any) -> str:
        parsed.findall("task")[self.index].set("priority", self.priority)
        return str(etree.tostring(parsed, encoding="unicode"))


class PurgeTitles(DocumentMutation):
    def execute(self, content: str, parsed: Any) -> str:
        for title in parsed.iter("title"):
            title.getparent().remove(title)
        return str(etree.tostring(parsed, encoding="unicode"))


class Note(JsonDocument):
    schema: ClassVar[Any] = NOTE_SCHEMA
    default: ClassVar[Any] = {"type": "note", "lines": []}


class AppendLine(DocumentMutation):
    async def execute(self, content: str, parsed: Any) -> str:
        parsed["lines"].append("added by the agent")
        import json

        return json.dumps(parsed)


class FreeXml(XmlDocument):
    default: ClassVar[Any] = "<doc/>"


class Shout(TextArtifact):
    """Text that must be upper case."""

    suffix: ClassVar[str] = ".md"
    default: ClassVar[Any] = "HELLO\n"

    @classmethod
    def _validate_text(cls, text: str) -> Sequence[ValidationIssue | str]:
        return [] if text == text.upper() else ["text must be upper case"]


class DocTree(Worktree):
    todos: TodoList
    note: Note
    free: FreeXml
    shout: Shout
