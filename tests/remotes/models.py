"""Trees shared by the remote tests: what two agents on two machines keep in common."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import Field, model_validator

from gitworktree import ArtifactMap, PydanticArtifact, TextArtifact, ValidationIssue, Worktree


class Plan(PydanticArtifact):
    title: str = "untitled"
    owner: str = "nobody"
    steps: list[str] = Field(default_factory=list)


class Budget(PydanticArtifact):
    """Each agent may spend; together they must stay within the limit."""

    limit: int = 10
    planner: int = 0
    writer: int = 0

    @model_validator(mode="after")
    def _within_limit(self) -> Budget:
        if self.planner + self.writer > self.limit:
            raise ValueError(f"spent {self.planner + self.writer}, over the limit {self.limit}")
        return self


class Task(PydanticArtifact):
    title: str
    done: bool = False


class Notes(TextArtifact):
    pass


class AgentState(Worktree):
    plan: Plan
    budget: Budget
    tasks: ArtifactMap[Task]
    notes: Notes


def cap_spending(content: str, issues: Sequence[ValidationIssue], document_type: str) -> str:
    """A repair hook: trims the writer's spending back within the limit."""
    data = json.loads(content)
    data["writer"] = max(0, data["limit"] - data["planner"])
    return json.dumps(data)
