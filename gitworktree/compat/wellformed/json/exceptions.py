"""The JSON plugin's parse error."""

from gitworktree.compat.wellformed._errors import DocumentParseError

__all__ = ["JSONParseError"]


class JSONParseError(DocumentParseError):
    """Content is not strict JSON; ``line`` and ``column`` say where."""
