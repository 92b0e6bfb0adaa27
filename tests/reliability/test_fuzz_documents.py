"""Fuzzing document parsing and validation: any input gives a value or a clear error.

Whatever bytes arrive — random, or valid documents with one byte flipped — parsing and
validating never crash with anything but ``DocumentParseError`` or
``SchemaValidationError``, and every issue names a location or the whole document.

Runs briefly in CI; longer on demand:
    GITWORKTREE_FUZZ_EXAMPLES=20000 pytest tests/reliability/test_fuzz_documents.py
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree import DocumentParseError, SchemaValidationError
from gitworktree.artifacts.document import Document
from tests.documents.models import Note, TodoList
from tests.reliability.models import Page, Task

EXAMPLES = int(os.environ.get("GITWORKTREE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
XML_SEED = b'<todos><task priority="high"><title>a &amp; b</title></task></todos>'


def check(artifact: type[Any], data: bytes) -> None:
    try:
        artifact._from_bytes(data, "fuzzed")
    except (DocumentParseError, SchemaValidationError) as error:
        assert error.issues, "an error without issues gives a repair nothing to work on"
        for issue in error.issues:
            assert issue.message and issue.source
    issues = artifact._issues_in(data, "fuzzed")
    assert all(issue.artifact == "fuzzed" for issue in issues)


def flip(data: bytes, position: int, value: int) -> bytes:
    if not data:
        return bytes([value])
    position %= len(data)
    return data[:position] + bytes([value]) + data[position + 1 :]


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_any_parser(data: bytes) -> None:
    for artifact in (Note, TodoList, Page, Task):
        check(artifact, data)


@FUZZ
@given(JSON_VALUES, st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_json_with_one_byte_flipped(value: Any, position: int, byte: int) -> None:
    data = json.dumps(value).encode()
    check(Note, flip(data, position, byte))
    check(Task, flip(data, position, byte))


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_xml_with_one_byte_flipped(position: int, byte: int) -> None:
    check(TodoList, flip(XML_SEED, position, byte))
    check(Page, flip(XML_SEED, position, byte))


def test_fuzzed_types_are_documents() -> None:
    assert issubclass(Note, Document) and issubclass(TodoList, Document)
