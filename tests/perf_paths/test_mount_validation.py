"""A mount validates each stored artifact as ``model_validate`` would, at less cost.

``PydanticArtifact`` calls the model's validator directly unless the class overrides
``model_validate``: an override (a migration of old stored shapes, say) still runs for
every artifact a mount reads, and invalid content is still refused with its issues.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import pytest

from gitworktree import ArtifactMap, PydanticArtifact, SchemaValidationError, Worktree, mount


class Task(PydanticArtifact):
    title: str


class MigratedTask(PydanticArtifact):
    """Stored long ago as ``{"name": ...}``; read as ``{"title": ...}``."""

    title: str

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        if isinstance(obj, dict) and "name" in obj:
            obj = {"title": obj["name"]}
        return super().model_validate(obj, **kwargs)


class Board(Worktree):
    tasks: ArtifactMap[Task]
    migrated: ArtifactMap[MigratedTask]


def test_a_class_overriding_model_validate_is_read_through_its_override(tmp_path: Path) -> None:
    (tmp_path / "migrated").mkdir()
    (tmp_path / "migrated" / "old.json").write_text('{"name": "from long ago"}\n')
    tree = mount(Board, tmp_path)
    assert tree.migrated["old"].title == "from long ago"


def test_an_invalid_item_is_refused_with_its_path_and_pointer(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "bad.json").write_text('{\n  "title": 7\n}\n')
    with pytest.raises(SchemaValidationError) as caught:
        mount(Board, tmp_path)
    (issue,) = caught.value.issues
    assert (caught.value.artifact, issue.pointer, issue.line) == ("tasks/bad.json", "/title", 2)
