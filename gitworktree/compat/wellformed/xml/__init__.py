"""The XML plugin of wellformed's API: documents and validators for XML."""

from gitworktree.compat.wellformed.xml.document import XMLValidatedDocument
from gitworktree.compat.wellformed.xml.exceptions import XMLParseError
from gitworktree.compat.wellformed.xml.validators import (
    make_relax_ng_validator,
    make_schema_validator,
    make_xml_schema_validator,
    make_xml_wellformed_validator,
)

__all__ = [
    "XMLParseError",
    "XMLValidatedDocument",
    "make_relax_ng_validator",
    "make_schema_validator",
    "make_xml_schema_validator",
    "make_xml_wellformed_validator",
]
