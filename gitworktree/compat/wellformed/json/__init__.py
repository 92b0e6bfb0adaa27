"""The JSON plugin of wellformed's API: documents and validators for JSON."""

from gitworktree.compat.wellformed.json.document import JSONValidatedDocument
from gitworktree.compat.wellformed.json.exceptions import JSONParseError
from gitworktree.compat.wellformed.json.validators import (
    make_json_schema_validator,
    make_json_wellformed_validator,
    make_schema_validator,
)

__all__ = [
    "JSONParseError",
    "JSONValidatedDocument",
    "make_json_schema_validator",
    "make_json_wellformed_validator",
    "make_schema_validator",
]
