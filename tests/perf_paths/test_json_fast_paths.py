"""parse_json's fast path: one shared scanner, and scans skipped when they cannot find
anything; what it accepts and refuses, and where, is exactly ``json.loads``'s with the
strict hooks (plus the checks ``json.loads`` cannot make)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gitworktree import DocumentParseError
from gitworktree.validation.json_format import MAX_JSON_DEPTH, parse_json


class _Refused(Exception):
    pass


def _refuse(name: str) -> Any:
    raise _Refused(name)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise _Refused("duplicate")
    return dict(pairs)


def reference(text: str) -> tuple[str, Any]:
    """``json.loads`` with the strict hooks: the value, or where the syntax error is."""
    try:
        return "ok", json.loads(text, parse_constant=_refuse, object_pairs_hook=_unique)
    except json.JSONDecodeError as error:
        return "syntax", (error.msg, error.lineno, error.colno)
    except _Refused:
        return "refused", None


STRICT_REFUSALS = ("is not allowed in JSON", "duplicate object key", "lone surrogate")


def ours(text: str) -> tuple[str, Any]:
    try:
        return "ok", parse_json(text)
    except DocumentParseError as error:
        (issue,) = error.issues
        if any(refusal in issue.message for refusal in STRICT_REFUSALS):
            return "refused", None
        return "syntax", (issue.message, issue.line, issue.column)


FINITE = st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_valid_documents_parse_as_json_loads_parses_them(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('{}[]:," \n\t\r01-.eE\\uatrufnlsNI\ufeffé'))))
def test_any_text_is_accepted_or_refused_as_json_loads_does(text: str) -> None:
    assume(text.count("[") + text.count("{") <= MAX_JSON_DEPTH)  # deeper: refused first
    expected = reference(text)
    if expected[0] == "ok" and _has_lone_surrogate(expected[1]):
        expected = ("refused", None)
    assert ours(text) == expected


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", (1, 1)),
        ("  \n ", (2, 2)),
        ("{} x", (1, 4)),
        ("[1]\n\n]", (3, 1)),
        ("\ufeff{}", (1, 1)),
        ('{"a": }', (1, 7)),
    ],
    ids=["empty", "blank", "extra-data", "extra-line", "bom", "missing-value"],
)
def test_syntax_errors_are_located_as_json_loads_locates_them(
    text: str, where: tuple[int, int]
) -> None:
    with pytest.raises(DocumentParseError) as caught:
        parse_json(text)
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == where
    assert ours(text) == reference(text)


@pytest.mark.parametrize(
    "text",
    ['["\ud800"]', '{"\udfff": 1}', '["é\udc00"]', '["\\ud800"]', '["\\\\", "\\udbff"]'],
    ids=["raw", "raw-key", "raw-after-non-ascii", "escaped", "escaped-after-backslash"],
)
def test_lone_surrogates_are_refused_however_they_are_written(text: str) -> None:
    with pytest.raises(DocumentParseError, match="lone surrogate"):
        parse_json(text)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False
