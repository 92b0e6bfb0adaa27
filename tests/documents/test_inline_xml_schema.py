"""XmlDocument.schema: an XSD or RELAX NG schema given inline, as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from gitworktree import InvalidSchemaError, SchemaValidationError, XmlDocument

XSD = (Path(__file__).parent / "todos.xsd").read_text()
RNG = """<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><element name="doc"><zeroOrMore><element name="p"><text/></element></zeroOrMore>
  </element></start>
</grammar>"""


class InlineXsd(XmlDocument):
    schema: ClassVar[Any] = XSD


class InlineRng(XmlDocument):
    schema: ClassVar[Any] = RNG


def test_inline_xsd_validates() -> None:
    InlineXsd.from_content('<todos><task priority="low"><title>t</title></task></todos>')
    with pytest.raises(SchemaValidationError) as caught:
        InlineXsd.from_content('<todos><task priority="soon"><title>t</title></task></todos>')
    assert "soon" in str(caught.value) and caught.value.issues[0].line == 1


def test_inline_relax_ng_validates() -> None:
    InlineRng.from_content("<doc><p>x</p></doc>")
    with pytest.raises(SchemaValidationError):
        InlineRng.from_content("<doc><q/></doc>")


def test_an_invalid_inline_schema_is_a_clear_error() -> None:
    class Broken(XmlDocument):
        schema: ClassVar[Any] = "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'><nope/>"

    with pytest.raises(InvalidSchemaError, match="inline schema"):
        Broken.from_content("<a/>")
