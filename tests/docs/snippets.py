"""The fenced Python and shell blocks of README.md, docs/ and what each needs to run.

A block runs in the test suite (tests/docs/test_snippets.py) unless the line before its
fence is a marker comment saying why it cannot::

    <!-- not-run: needs a Git host on the network -->

A block that shows an error is marked with the exception it must raise::

    <!-- raises: DocumentParseError -->

A block that shows another way to start (its own ``data/``) runs in a new directory::

    <!-- run-in: a new directory -->

The blocks of one page run in order, in one namespace and one fresh working directory, so
a later block uses what an earlier one defined, as a reader would. Shell blocks (``bash``,
``console``: only its ``$ `` lines when it has prompts) run command by command, each of
which must succeed: ``gitworktree`` through click in the test's process, ``git`` and
others as processes; ``&&`` and ``cd`` work as in bash, pipes and redirections do not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

__all__ = ["ROOT", "Block", "blocks", "pages"]

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"python": "python", "bash": "shell", "sh": "shell", "console": "console"}
MARKER = re.compile(r"<!-- (?P<kind>not-run|raises|run-in): (?P<value>.+?) -->")


class Block(NamedTuple):
    """One fenced block: where it is, what it is, and its marker, if any."""

    page: str
    line: int
    language: str
    code: str
    not_run: str | None
    raises: str | None
    new_directory: bool

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[str]:
    """README.md and every page of docs/, repository-relative."""
    return ["README.md", *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md")))]


def blocks(page: str) -> list[Block]:
    """The Python and shell blocks of ``page``, in page order."""
    lines = (ROOT / page).read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = re.fullmatch(r"```(\w+)\s*", lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        language = LANGUAGES.get(fence[1])
        if language is not None:
            before = next((line for line in reversed(lines[:index]) if line.strip()), "")
            marker = MARKER.fullmatch(before.strip())
            kind = marker["kind"] if marker else None
            found.append(
                Block(
                    page=page,
                    line=index + 1,
                    language=language,
                    code="\n".join(lines[index + 1 : end]) + "\n",
                    not_run=marker["value"] if marker and kind == "not-run" else None,
                    raises=marker["value"] if marker and kind == "raises" else None,
                    new_directory=kind == "run-in",
                )
            )
        index = end + 1
    return found
