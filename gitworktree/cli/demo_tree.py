"""The state the ``gitworktree demo`` agent keeps: one artifact of each kind.

It is importable as ``gitworktree.cli.demo_tree:AgentState``, so ``gitworktree validate``
and ``gitworktree commit`` work on the demo's repository as on any other::

    gitworktree -C DEMO validate --tree gitworktree.cli.demo_tree:AgentState
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from lxml import etree
from pydantic import Field

from gitworktree import (
    ArtifactMap,
    JsonDocument,
    PydanticArtifact,
    RepairFunction,
    TextArtifact,
    ValidationIssue,
    Worktree,
    XmlDocument,
)

__all__ = [
    "PRIORITIES",
    "TODOS_XSD",
    "AgentState",
    "Journal",
    "Notes",
    "Plan",
    "Task",
    "TodoList",
    "normalize_priorities",
]

PRIORITIES = ("low", "medium", "high")
_SYNONYMS = {"urgent": "high", "asap": "high", "critical": "high", "later": "low"}

# A todo list's schema: every task has a title and a priority out of three.
TODOS_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="todos">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="task" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="title" type="xs:string"/>
            </xs:sequence>
            <xs:attribute name="priority" use="required">
              <xs:simpleType>
                <xs:restriction base="xs:string">
                  <xs:enumeration value="low"/>
                  <xs:enumeration value="medium"/>
                  <xs:enumeration value="high"/>
                </xs:restriction>
              </xs:simpleType>
            </xs:attribute>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

# The repair hook parses content it is handed; never resolve entities or touch the network.
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def normalize_priorities(
    content: str, issues: Sequence[ValidationIssue], document_type: str
) -> str:
    """The todo list's deterministic repair: map each priority onto low, medium or high.

    ``URGENT`` becomes ``high`` (so do ``asap`` and ``critical``), ``later`` becomes
    ``low``, and anything else unknown becomes ``medium``. Content that does not parse is
    returned unchanged: this hook does not guess at broken XML.
    """
    try:
        root = etree.fromstring(content.encode("utf-8"), _SAFE_PARSER)
    except etree.XMLSyntaxError:
        return content
    for task in root.iter("task"):
        given = (task.get("priority") or "").strip().lower()
        # "HIGH" and " high" name a valid priority too: write it as the schema spells it.
        task.set("priority", given if given in PRIORITIES else _SYNONYMS.get(given, "medium"))
    return etree.tostring(root, encoding="unicode") + "\n"


class Plan(PydanticArtifact):
    """``plan.json``: the agent's goal and steps (a Pydantic model)."""

    goal: str = "Write the quarterly report"
    steps: list[str] = Field(default_factory=list)
    status: Literal["planning", "working", "done"] = "planning"


class Task(PydanticArtifact):
    """``tasks/<key>.json``: one task of the artifact map."""

    title: str
    done: bool = False


class Notes(JsonDocument):
    """``notes.json``: free notes, checked by a JSON Schema (every line is a string)."""

    schema: ClassVar[Any] = {
        "type": "object",
        "required": ["lines"],
        "properties": {"lines": {"type": "array", "items": {"type": "string"}}},
        "additionalProperties": False,
    }
    default: ClassVar[Any] = {"lines": []}


class TodoList(XmlDocument):
    """``todos.xml``: a todo list, checked by an XSD, with a repair hook."""

    schema: ClassVar[str | bytes | None] = TODOS_XSD
    default: ClassVar[Any] = "<todos/>\n"

    @classmethod
    def _get_document_type(cls) -> str:
        return "todo-list"

    _repair: ClassVar[RepairFunction | None] = staticmethod(normalize_priorities)


class Journal(TextArtifact):
    """``journal.md``: what the agent did, in Markdown; it must start with a title."""

    suffix: ClassVar[str] = ".md"
    default: ClassVar[Any] = "# Journal\n"

    @classmethod
    def _validate_text(cls, text: str) -> Sequence[ValidationIssue | str]:
        if not text.startswith("# "):
            return [ValidationIssue("a journal starts with a '# ' title line", line=1, column=1)]
        return ()


class AgentState(Worktree):
    """Everything the demo agent keeps, one artifact of each kind."""

    plan: Plan
    notes: Notes
    todos: TodoList
    journal: Journal
    tasks: ArtifactMap[Task]
