"""XMLValidatedDocument: ``parsed`` is the lxml root element, parsed safely."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitworktree import errors as core
from gitworktree.compat.wellformed._document import ValidatedDocument
from gitworktree.compat.wellformed.xml.exceptions import XMLParseError
from gitworktree.validation.xml_format import parse_xml

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["XMLValidatedDocument"]


class XMLValidatedDocument(ValidatedDocument["etree._Element"]):
    """A validated XML document; subclasses add ``_validate_schema`` and ``_repair``.

    Parsing is gitworktree's safe XML: entities are never resolved, DTDs never loaded,
    the network never used, and a document with a ``DOCTYPE`` is a parse error.
    """

    @classmethod
    def _parse(cls, content: str) -> etree._Element:
        try:
            return parse_xml(content)
        except core.DocumentParseError as error:
            raise XMLParseError.from_core(error) from None

    @property
    def tree(self) -> etree._Element:
        """The same as ``parsed``: the root element, in lxml's words."""
        return self.parsed
