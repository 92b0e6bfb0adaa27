"""Tree declarations the CLI tests name with ``--tree tests.cli.trees:...``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from gitworktree import (
    ArtifactMap,
    JsonDocument,
    PydanticArtifact,
    TextArtifact,
    ValidationIssue,
    Worktree,
)

NOTES_SCHEMA = {
    "type": "object",
    "required": ["lines"],
    "properties": {"lines": {"type": "array", "items": {"type": "string"}}},
}


class Settings(PydanticArtifact):
    model: str = "small"
    temperature: float = 0.5


class Task(PydanticArtifact):
    title: str
    done: bool = False


class Notes(JsonDocument):
    schema: ClassVar[Any] = NOTES_SCHEMA
    default: ClassVar[Any] = {"lines": []}


class Journal(TextArtifact):
    default: ClassVar[Any] = "# Journal\n"


class AgentTree(Worktree):
    settings: Settings
    notes: Notes
    journal: Journal
    tasks: ArtifactMap[Task]


class NeedsInitialState(Worktree):
    task: Task  # no default title: a missing task.json cannot be created


NOT_A_TREE = 42


def stringify_lines(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    """A deterministic repair: every note line that is not a string becomes one."""
    data = json.loads(content)
    data["lines"] = [line if isinstance(line, str) else str(line) for line in data["lines"]]
    return json.dumps(data, indent=2) + "\n"


def unchanged(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    """A repair that repairs nothing."""
    return content


def back_to_head(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    """A repair that throws the edit away: the content ``git show HEAD:notes.json`` gives."""
    import subprocess

    return subprocess.run(
        ["git", "show", "HEAD:notes.json"], capture_output=True, text=True, check=True
    ).stdout
