"""parse_json: strict JSON, every refusal a located DocumentParseError."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitworktree.errors import DocumentParseError
from gitworktree.validation import (
    MAX_JSON_DEPTH,
    ValidationIssue,
    locate_json_pointers,
    parse_json,
    to_json_pointer,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def only_issue(data: str | bytes) -> ValidationIssue:
    with pytest.raises(DocumentParseError) as caught:
        parse_json(data)
    (issue,) = caught.value.issues
    assert issue.source == "parse"
    return issue


def test_parse_json_returns_the_value() -> None:
    assert parse_json('{"a": [1, 2.5, "x", true, null]}') == {"a": [1, 2.5, "x", True, None]}


@pytest.mark.parametrize(
    "data",
    [b'{"title": "caf\xc3\xa9"}', bytearray(b'{"title": "caf\xc3\xa9"}')],
    ids=["bytes", "bytearray"],
)
def test_parse_json_accepts_utf8_bytes(data: bytes | bytearray) -> None:
    assert parse_json(data) == {"title": "café"}


def test_syntax_error_gives_line_and_column() -> None:
    issue = only_issue('{\n  "a": 1,\n  "b": }')

    assert (issue.line, issue.column) == (3, 8)
    assert issue.message == "Expecting value"


@pytest.mark.parametrize(
    ("text", "constant", "pointer", "line", "column"),
    [
        ('{"a": NaN}', "NaN", "/a", 1, 7),
        ("[1,\n Infinity]", "Infinity", "/1", 2, 2),
        ('{"x": {"y": -Infinity}}', "-Infinity", "/x/y", 1, 13),
    ],
    ids=["nan", "infinity", "minus-infinity"],
)
def test_non_finite_numbers_are_refused_with_their_pointer(
    text: str, constant: str, pointer: str, line: int, column: int
) -> None:
    issue = only_issue(text)

    assert issue.message.startswith(f"{constant} is not allowed")
    assert (issue.pointer, issue.line, issue.column) == (pointer, line, column)


def test_nan_inside_a_string_is_just_text() -> None:
    assert parse_json('{"a": "NaN"}') == {"a": "NaN"}


@pytest.mark.parametrize(
    ("text", "key", "pointer", "line"),
    [
        ('{"a": 1, "a": 2}', "a", "/a", 1),
        ('{"outer": {\n  "k": 1,\n  "k": 2}}', "k", "/outer/k", 3),
        ('[{}, {"a/b~": 1, "a/b~": 2}]', "a/b~", "/1/a~1b~0", 1),
    ],
    ids=["top-level", "nested", "escaped-pointer"],
)
def test_duplicate_keys_are_refused_naming_the_key_and_pointer(
    text: str, key: str, pointer: str, line: int
) -> None:
    issue = only_issue(text)

    assert issue.message == f"duplicate object key {key!r}"
    assert (issue.pointer, issue.line) == (pointer, line)


def test_the_same_key_in_different_objects_is_fine() -> None:
    assert parse_json('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]


def test_very_deep_nesting_fails_fast_with_a_parse_error_not_a_recursion_error() -> None:
    depth = 100_000

    issue = only_issue("[" * depth + "]" * depth)

    assert f"deeper than {MAX_JSON_DEPTH}" in issue.message
    assert (issue.line, issue.column) == (1, MAX_JSON_DEPTH + 1)


def test_nesting_at_the_limit_is_accepted() -> None:
    text = '{"a": ' * (MAX_JSON_DEPTH - 1) + "[]" + "}" * (MAX_JSON_DEPTH - 1)

    assert parse_json(text) is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps(["[" * (MAX_JSON_DEPTH * 2)])

    assert parse_json(text) == ["[" * (MAX_JSON_DEPTH * 2)]


def test_max_depth_can_be_lowered() -> None:
    with pytest.raises(DocumentParseError, match="deeper than 2"):
        parse_json("[[[1]]]", max_depth=2)


@pytest.mark.parametrize(
    ("data", "offset", "line", "column"),
    [
        (b'{"a": "\xff"}', 7, 1, 8),
        (b'{\n  "caf\xc3\xa9": "\xc3("\n}', 14, 2, 12),
    ],
    ids=["invalid-start-byte", "bad-continuation-after-multibyte"],
)
def test_invalid_utf8_names_the_byte_offset_and_line(
    data: bytes, offset: int, line: int, column: int
) -> None:
    issue = only_issue(data)

    assert f"invalid UTF-8 at byte offset {offset} (line {line})" in issue.message
    assert (issue.line, issue.column) == (line, column)


@pytest.mark.parametrize(
    ("text", "pointer"),
    [('["ok", "\\ud800"]', "/1"), ('{"k": {"\\udc00x": 1}}', "/k/\\udc00x")],
    ids=["in-a-value", "in-a-key"],
)
def test_lone_surrogate_escapes_are_refused(text: str, pointer: str) -> None:
    issue = only_issue(text)

    assert "lone surrogate" in issue.message
    assert issue.pointer == pointer
    str(issue).encode("utf-8")  # the issue itself stays printable


def test_surrogate_pairs_are_fine() -> None:
    assert parse_json('["\\ud83d\\ude00"]') == ["\U0001f600"]


@pytest.mark.parametrize(
    ("parts", "pointer"),
    [([], ""), (["a", 0, "b"], "/a/0/b"), (["a/b", "m~n"], "/a~1b/m~0n"), ([""], "/")],
    ids=["root", "plain", "escaped", "empty-key"],
)
def test_to_json_pointer_follows_rfc_6901(parts: list[str | int], pointer: str) -> None:
    assert to_json_pointer(parts) == pointer


def test_locate_json_pointers_maps_each_value_to_its_line_and_column() -> None:
    text = '{\n  "a": [1, {"b": null}],\n  "c~/": "x"\n}'

    assert locate_json_pointers(text) == {
        "": (1, 1),
        "/a": (2, 8),
        "/a/0": (2, 9),
        "/a/1": (2, 12),
        "/a/1/b": (2, 18),
        "/c~0~1": (3, 10),
    }


@given(json_values, st.booleans())
def test_any_dumped_json_value_parses_back_equal(value: Any, ascii_only: bool) -> None:
    assert parse_json(json.dumps(value, ensure_ascii=ascii_only)) == value


def pointers_and_leaves(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    found = [(pointer, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += pointers_and_leaves(child, pointer + to_json_pointer([key]))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += pointers_and_leaves(child, f"{pointer}/{index}")
    return found


@given(json_values, st.sampled_from([None, 2]))
def test_locator_finds_where_every_value_of_a_document_starts(
    value: Any, indent: int | None
) -> None:
    text = json.dumps(value, indent=indent)
    lines = text.split("\n")

    locations = locate_json_pointers(text)

    for pointer, child in pointers_and_leaves(value):
        line, column = locations[pointer]
        rendered = json.dumps(child, indent=indent).split("\n")[0]
        assert lines[line - 1][column - 1 :].startswith(rendered)
