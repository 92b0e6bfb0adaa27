"""A new document format in one class: TOML, parsed with the standard library's tomllib.

Run:  python examples/toml_format.py [DIRECTORY]
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Sequence
from typing import Any, ClassVar

from gitworktree import (
    Document,
    DocumentParseError,
    TextArtifact,
    ValidationIssue,
    Worktree,
    mount,
)


class TomlDocument(Document[dict[str, Any]]):
    """TOML stored as <field>.toml; `.data` is the parsed table."""

    suffix: ClassVar[str] = ".toml"
    required_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def data(self) -> dict[str, Any]:
        return self.parsed()

    @classmethod
    def _parse(cls, content: str) -> dict[str, Any]:
        try:
            return tomllib.loads(content)
        except tomllib.TOMLDecodeError as error:
            raise DocumentParseError("not valid TOML", [_parse_issue(error)]) from None

    @classmethod
    def _render(cls, parsed: dict[str, Any]) -> str:
        # Enough for flat tables of strings, numbers and booleans.
        def literal(value: Any) -> str:
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, str):
                return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return str(value)

        return "".join(f"{key} = {literal(value)}\n" for key, value in parsed.items())

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[ValidationIssue | str]:
        data = cls._parse(content)
        return [f"missing key {key!r}" for key in cls.required_keys if key not in data]

    @classmethod
    def _get_document_type(cls) -> str:
        return "toml"


def _parse_issue(error: tomllib.TOMLDecodeError) -> ValidationIssue:
    # `lineno`/`colno` exist from Python 3.14; before that only the message says where,
    # as "... (at line 2, column 9)" (or "at end of document").
    where = re.search(r"at line (\d+), column (\d+)", str(error))
    line, column = (int(where[1]), int(where[2])) if where else (None, None)
    return ValidationIssue(str(error), line=line, column=column, source="parse")


class Settings(TomlDocument):
    required_keys = ("model", "temperature")
    default = 'model = "small"\ntemperature = 0.2\n'


class Notes(TextArtifact):
    suffix = ".md"


class AgentConfig(Worktree):
    settings: Settings
    notes: Notes


def main(directory: str) -> None:
    tree = mount(AgentConfig, directory)
    tree.settings.data["temperature"] = 0.7  # in-place change of the parsed table
    tree.notes.text += "- raised the temperature\n"
    info = tree.commit("Tune the model")
    print(info.paths if info else "nothing changed")
    print(tree.settings.content, end="")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data")
