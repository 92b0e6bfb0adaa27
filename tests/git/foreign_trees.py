"""Trees and helpers of the tests where a person (and git) works next to the agent."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import Field

from gitworktree import ArtifactMap, LayoutAnchor, PydanticArtifact, TextArtifact, Worktree

AGENT = "Planner <planner@agents.local>"
PERSON = "Test Author"  # the repository identity the tests' environment sets


class Notes(PydanticArtifact):
    lines: list[str] = Field(default_factory=list)


class Task(PydanticArtifact):
    title: str
    done: bool = False


class Journal(TextArtifact):
    pass


class Board(Worktree):
    notes: Notes
    journal: Journal  # journal.txt: text, so a conflicted file still loads
    tasks: ArtifactMap[Task]
    logs: LayoutAnchor  # free-form files the program writes through handle()


def disk_state(root: Path) -> dict[str, str]:
    """Every file under ``root`` (``.git`` included: HEAD, refs, index) by content hash.

    The writer lock's own record is left out: every writer notes itself there.
    """
    found = {}
    for directory, _subdirectories, names in os.walk(root):
        for name in names:
            if name == "gitworktree.lock":
                continue
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                key = path.relative_to(root).as_posix()
                found[key] = hashlib.sha1(path.read_bytes()).hexdigest()
    return found
