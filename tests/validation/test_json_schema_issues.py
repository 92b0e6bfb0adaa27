"""JSON Schema checks: every error an issue with pointer and line; schema problems refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitworktree.errors import InvalidSchemaError
from gitworktree.validation import (
    ValidationIssue,
    json_schema_issues,
    make_json_schema_validator,
    make_json_wellformed_validator,
    parse_json,
)

NOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "lines"],
    "properties": {
        "type": {"const": "note"},
        "lines": {"type": "array", "items": {"type": "string"}},
        "due": {"type": "string", "format": "date"},
    },
    "additionalProperties": False,
}

BAD_NOTE = """{
  "type": "memo",
  "lines": [
    "first",
    2,
    "third",
    false
  ],
  "due": "2024-02-30"
}"""


def test_valid_instance_has_no_issues() -> None:
    assert json_schema_issues({"type": "note", "lines": ["a"]}, NOTE_SCHEMA) == []


def test_every_error_is_reported_in_pointer_order_with_its_line() -> None:
    issues = json_schema_issues(parse_json(BAD_NOTE), NOTE_SCHEMA, text=BAD_NOTE)

    assert [(issue.pointer, issue.line) for issue in issues] == [
        ("/due", 9),
        ("/lines/1", 5),
        ("/lines/3", 7),
        ("/type", 2),
    ]
    assert {issue.source for issue in issues} == {"schema"}


def test_issue_column_points_at_the_value() -> None:
    issues = json_schema_issues(parse_json(BAD_NOTE), NOTE_SCHEMA, text=BAD_NOTE)

    type_issue = next(issue for issue in issues if issue.pointer == "/type")
    assert BAD_NOTE.split("\n")[1][type_issue.column - 1 :] == '"memo",'  # type: ignore[operator]


def test_array_indices_sort_numerically() -> None:
    schema = {"type": "array", "items": {"type": "string"}}

    issues = json_schema_issues([0] * 12, schema)

    assert [issue.pointer for issue in issues] == [f"/{i}" for i in range(12)]


def test_without_text_issues_have_pointers_but_no_lines() -> None:
    (issue,) = json_schema_issues({"type": "note", "lines": [1]}, NOTE_SCHEMA)

    assert (issue.pointer, issue.line, issue.column) == ("/lines/0", None, None)


def test_format_date_is_checked() -> None:
    (issue,) = json_schema_issues({"type": "note", "lines": [], "due": "2024-13-01"}, NOTE_SCHEMA)

    assert issue.pointer == "/due"
    assert "is not a 'date'" in issue.message


def test_root_level_error_has_no_pointer_but_the_first_line() -> None:
    text = '{\n  "lines": []\n}'

    (issue,) = json_schema_issues(parse_json(text), NOTE_SCHEMA, text=text)

    assert issue.message == "'type' is a required property"
    assert (issue.pointer, issue.line, issue.column) == (None, 1, 1)


def test_pointer_escapes_tilde_and_slash() -> None:
    schema = {"additionalProperties": {"type": "integer"}}

    (issue,) = json_schema_issues({"a/b~c": "x"}, schema)

    assert issue.pointer == "/a~1b~0c"


def test_any_of_error_says_why_each_alternative_failed() -> None:
    schema = {"anyOf": [{"type": "string"}, {"type": "object", "required": ["title"]}]}

    (issue,) = json_schema_issues({}, schema)

    assert "not valid under any of the given schemas" in issue.message
    assert "option 0: {} is not of type 'string'" in issue.message
    assert "option 1: 'title' is a required property" in issue.message


def test_many_alternatives_are_summarised() -> None:
    schema = {"oneOf": [{"const": n} for n in range(10)]}

    (issue,) = json_schema_issues(42, schema)

    assert "option 5: 5 was expected" in issue.message
    assert "option 6" not in issue.message
    assert issue.message.endswith("and 4 more)")


def test_invalid_schema_is_refused_naming_the_problem() -> None:
    with pytest.raises(InvalidSchemaError, match=r"at /properties/a/type") as caught:
        json_schema_issues({}, {"properties": {"a": {"type": "text"}}})

    assert caught.value.issues[0].pointer == "/properties/a/type"


def test_invalid_schema_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid JSON Schema"):
        json_schema_issues({}, {"minimum": "zero"})


def test_changing_a_schema_dict_after_use_takes_effect() -> None:
    schema: dict[str, Any] = {"type": "string"}
    assert json_schema_issues("x", schema) == []

    schema["type"] = "integer"

    assert len(json_schema_issues("x", schema)) == 1


def test_boolean_schema_false_rejects_everything() -> None:
    assert len(json_schema_issues({}, False)) == 1


def test_schema_validator_from_a_dict_reports_schema_issues() -> None:
    validate = make_json_schema_validator(NOTE_SCHEMA)

    assert len(validate(BAD_NOTE)) == 4
    assert validate('{"type": "note", "lines": []}') == []


def test_schema_validator_reports_parse_issues_for_bad_json() -> None:
    validate = make_json_schema_validator(NOTE_SCHEMA)

    (issue,) = validate('{"type": "note", "lines": [NaN]}')

    assert (issue.source, issue.pointer) == ("parse", "/lines/0")


@pytest.mark.parametrize("as_text", [True, False], ids=["str-path", "path-object"])
def test_schema_validator_reads_a_schema_file(tmp_path: Path, as_text: bool) -> None:
    path = tmp_path / "note.schema.json"
    path.write_text(json.dumps(NOTE_SCHEMA), encoding="utf-8")

    validate = make_json_schema_validator(str(path) if as_text else path)

    assert [issue.pointer for issue in validate('{"type": "note", "lines": [3]}')] == ["/lines/0"]


def test_schema_file_that_is_not_json_is_refused_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "broken.schema.json"
    path.write_text('{"type": "object",\n "required": [}', encoding="utf-8")

    with pytest.raises(InvalidSchemaError) as caught:
        make_json_schema_validator(path)

    (issue,) = caught.value.issues
    assert (issue.artifact, issue.line) == (str(path), 2)
    assert caught.value.schema == str(path)


def test_schema_file_holding_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.schema.json"
    path.write_text("[]", encoding="utf-8")

    with pytest.raises(InvalidSchemaError, match="holds a list"):
        make_json_schema_validator(path)


def test_wellformed_validator_only_checks_parsing() -> None:
    validate = make_json_wellformed_validator()

    assert validate('{"anything": [1, 2]}') == []
    assert validate('{"a": 1, "a": 2}') == [
        ValidationIssue("duplicate object key 'a'", pointer="/a", line=1, column=15, source="parse")
    ]
