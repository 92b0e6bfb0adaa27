"""What the native document API gained from wellformed: per-call limits, trusted content,
parse locations as attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from gitworktree import DocumentMutation, DocumentParseError, JsonDocument, MutationFailedError


class Note(JsonDocument):
    schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {"n": {"type": "integer"}}}
    calls: ClassVar[list[int]] = []

    @classmethod
    def _repair(cls, content, issues, document_type):
        cls.calls.append(1)
        return content.replace('"', "'", 1) if "'" not in content else content + " "


class SetText(DocumentMutation):
    def execute(self, content, parsed):
        return '{"n": "text"}'


@pytest.mark.parametrize("max_attempts", [0, 1, 2], ids=["none", "one", "two"])
def test_apply_takes_a_per_call_attempt_limit(max_attempts: int) -> None:
    Note.calls = []
    with pytest.raises(MutationFailedError):
        Note.from_content('{"n": 1}').apply(SetText(), max_attempts=max_attempts)
    assert len(Note.calls) == max_attempts


def test_load_with_repair_takes_a_per_call_attempt_limit(tmp_path: Path) -> None:
    Note.calls = []
    (tmp_path / "n.json").write_text('{"n": "x"}')
    with pytest.raises(MutationFailedError):
        Note.load_with_repair(tmp_path / "n.json", max_attempts=1)
    assert Note.calls == [1]


def test_from_content_without_validation_trusts_the_content() -> None:
    assert (
        Note.from_content('{"n": "not checked"}', validate=False).content == '{"n": "not checked"}'
    )


def test_parse_errors_carry_line_and_column_as_attributes() -> None:
    with pytest.raises(DocumentParseError) as caught:
        JsonDocument.from_content('{\n  "n": ,\n}')
    assert (caught.value.line, caught.value.column) == (2, 8)
