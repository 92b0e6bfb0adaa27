"""Git's own files among the documents: content ``git fsck --strict`` would refuse.

Without a tree declaration every path is a document, ``.gitmodules`` and
``.gitattributes`` included. git reads these itself, and ``git fsck`` (which Git hosts
run on every push when ``receive.fsckObjects`` is set) refuses a commit whose
``.gitmodules`` holds an option-like URL or path (the attack of CVE-2018-17456) or
whose ``.gitattributes`` has a line too long to parse. A commit with such a file could
never be pushed again, so the gate refuses it, with the line, as it refuses bad JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from gitworktree.artifacts.text import TextArtifact
from gitworktree.validation.issues import ValidationIssue

__all__ = ["CONTROL_FILES", "GitAttributesFile", "GitModulesFile"]

# git's attr.c: a line this long or longer is ignored, and fsck reports it.
_ATTR_MAX_LINE_LENGTH = 2048
_SECTION = re.compile(r'\[\s*submodule\s+"((?:[^"\\]|\\.)*)"\s*\]', re.IGNORECASE)


class GitAttributesFile(TextArtifact):
    """A ``.gitattributes`` file: text whose every line git can parse."""

    suffix: ClassVar[str] = ""
    default: ClassVar[Any] = ""

    @classmethod
    def _validate_text(cls, text: str) -> Sequence[ValidationIssue | str]:
        return [
            ValidationIssue(
                f"line of {length} bytes: git ignores .gitattributes lines of "
                f"{_ATTR_MAX_LINE_LENGTH} bytes or more, and git fsck refuses the file",
                line=number,
                source="custom",
            )
            for number, line in enumerate(text.split("\n"), 1)
            if (length := len(line.encode("utf-8"))) >= _ATTR_MAX_LINE_LENGTH
        ]


class GitModulesFile(TextArtifact):
    """A ``.gitmodules`` file: no value git fsck takes for a command-line option."""

    suffix: ClassVar[str] = ""
    default: ClassVar[Any] = ""

    @classmethod
    def _validate_text(cls, text: str) -> Sequence[ValidationIssue | str]:
        issues: list[ValidationIssue | str] = []
        for number, raw in enumerate(text.split("\n"), 1):
            problem = _gitmodules_problem(raw.strip())
            if problem is not None:
                issues.append(
                    ValidationIssue(
                        f"{problem}; git fsck refuses it (and Git hosts refuse the push)",
                        line=number,
                        source="custom",
                    )
                )
        return issues


def _gitmodules_problem(line: str) -> str | None:
    """What git fsck refuses in one line of ``.gitmodules``, or ``None``."""
    if line.startswith("["):
        found = _SECTION.match(line)
        name = re.sub(r"\\(.)", r"\1", found.group(1)) if found else ""
        if ".." in re.split(r"[/\\]", name):
            return f"submodule name {name!r} has a '..' level"
        return None
    key, equals, value = line.partition("=")
    if not equals:
        return None
    key, value = key.strip().lower(), value.strip().strip('"')
    if key in ("url", "path") and value.startswith("-"):
        return f"submodule {key} {value!r} starts with '-', as a command-line option does"
    if key == "update" and value.startswith("!"):
        return f"submodule update {value!r} runs a command"
    return None


# By file name, at any level: git fsck checks every tree entry of these names.
CONTROL_FILES: dict[str, tuple[type[TextArtifact], str]] = {
    ".gitattributes": (GitAttributesFile, "text"),
    ".gitmodules": (GitModulesFile, "text"),
}
