"""XmlDocument: an XML document, parsed safely, checked against an XSD or RELAX NG schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from gitworktree.artifacts.document import Document
from gitworktree.artifacts.json import schema_file
from gitworktree.errors import DocumentParseError
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.xml_format import (
    compile_xml_schema,
    load_xml_schema,
    parse_xml,
    xml_schema_issues,
)

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["XmlDocument"]


class XmlDocument(Document[Any]):
    """An XML document stored as ``<field name>.xml``.

    Class attributes:
        schema: an XSD or RELAX NG schema given inline, as text; or
        schema_path: an ``.xsd`` or ``.rng`` file, relative to the module defining the
            class. With neither, only well-formedness is checked.
        default: the initial content (text) for a missing file.

    Parsing never resolves entities, loads DTDs or touches the network, and any document
    with a DOCTYPE is refused. The parsed root element is ``.tree`` (settable; in-place
    changes are saved); the text is ``.content``. Changed content, however it was made
    (``.tree``, ``.content``, a repair), is stored indented by two spaces per level; a
    file read and left alone is never rewritten. ``canonical_form = False`` on a
    subclass stores text exactly as written (for whitespace that matters in mixed
    content).
    """

    suffix: ClassVar[str] = ".xml"
    canonical_form: ClassVar[bool] = True
    schema: ClassVar[str | bytes | None] = None
    schema_path: ClassVar[str | Path | None] = None

    @property
    def tree(self) -> etree._Element:
        """The root element. Changes made to it in place are saved with the document."""
        root: etree._Element = self.parsed()
        return root

    @tree.setter
    def tree(self, root: etree._Element) -> None:
        self._set_parsed(root)

    @classmethod
    def _parse(cls, content: str) -> etree._Element:
        return parse_xml(content)

    @classmethod
    def _render(cls, parsed: Any) -> str:
        from lxml import etree

        text: str = etree.tostring(parsed, encoding="unicode")
        return text if text.endswith("\n") else text + "\n"

    @classmethod
    def _canonical(cls, content: str) -> str:
        from lxml import etree

        try:
            root = parse_xml(content)
        except DocumentParseError:
            return content
        etree.indent(root, space="  ")
        tree = root.getroottree()
        if content.lstrip().startswith("<?xml"):
            declared: bytes = etree.tostring(tree, encoding="utf-8", xml_declaration=True)
            return declared.decode("utf-8") + "\n"
        text: str = etree.tostring(tree, encoding="unicode")
        return text + "\n"

    @classmethod
    def _validate_schema(cls, content: str) -> Sequence[ValidationIssue | str]:
        if cls.schema is not None:
            compiled = compile_xml_schema(cls.schema)
        elif cls.schema_path is not None:
            compiled = load_xml_schema(schema_file(cls, cls.schema_path))
        else:
            return ()
        return xml_schema_issues(parse_xml(content), compiled)
