"""The XML plugin's parse error."""

from gitworktree.compat.wellformed._errors import DocumentParseError

__all__ = ["XMLParseError"]


class XMLParseError(DocumentParseError):
    """Content is not well-formed, safe XML; ``line`` and ``column`` say where."""
