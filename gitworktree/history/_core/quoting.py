"""Names made safe to print on one line: git's C-style quoting (``core.quotePath``).

A file name, a message or an author can hold a newline, a carriage return or a terminal
escape sequence; printed as it is, it would forge lines (a fake commit in ``log``, a fake
file in ``status``) or restyle the terminal. `quote_path` quotes a path the way git's
``quote_c_style`` does in ``git diff``/``git status``; `escape_text` escapes the same
characters in free text without the surrounding quotes.
"""

from __future__ import annotations

__all__ = ["escape_text", "needs_quoting", "quote_path"]

# git's quote.c names these; every other control character is written in octal.
_NAMED = {"\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r"}


def _unsafe(char: str) -> bool:
    """A character that must not reach a terminal as it is (space is fine)."""
    return char != " " and not char.isprintable()


def needs_quoting(path: str) -> bool:
    """Whether git would put ``path`` in double quotes (a control character, ``"`` or ``\\``)."""
    return any(_unsafe(char) or char in '"\\' for char in path)


def quote_path(path: str) -> str:
    """``path`` as git prints it: as it is, or in double quotes with C escapes.

    ``a\\nb`` becomes ``"a\\\\nb"``, ``\\x1b[31m`` becomes ``"\\\\033[31m"``. Non-ASCII
    letters stay readable (git's ``core.quotePath=false``); non-printable characters
    beyond ASCII (U+2028, U+202E, ...) are written as octal UTF-8 bytes, as git does.
    """
    if not needs_quoting(path):
        return path
    return '"' + _escape(path, quotes=True) + '"'


def escape_text(text: str) -> str:
    """``text`` with its non-printable characters escaped as ``quote_path`` does them.

    For one-line fields (a subject, an author, a checkpoint name): a newline becomes
    ``\\n``, an escape character ``\\033``; backslashes and quotes stay as they are.
    """
    if not any(_unsafe(char) for char in text):
        return text
    return _escape(text, quotes=False)


def _escape(text: str, *, quotes: bool) -> str:
    out = []
    for char in text:
        if quotes and char in '"\\':
            out.append("\\" + char)
        elif not _unsafe(char):
            out.append(char)
        elif char in _NAMED:
            out.append("\\" + _NAMED[char])
        else:
            raw = char.encode("utf-8", "surrogateescape")
            out.append("".join(f"\\{byte:03o}" for byte in raw))
    return "".join(out)
