"""Decoding stored bytes as UTF-8, with an issue that says where the bad byte is."""

from __future__ import annotations

from gitworktree.errors import DocumentParseError
from gitworktree.validation.issues import ValidationIssue

__all__ = ["decode_utf8"]


def decode_utf8(data: bytes | bytearray, *, artifact: str | None = None) -> str:
    """``data`` as text.

    Raises:
        DocumentParseError: the bytes are not UTF-8; its one issue names the byte, its
            offset, line and column (columns counted in characters, as editors do).
    """
    raw = bytes(data)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        # Everything before error.start decoded fine, so this slice is valid UTF-8.
        column = len(raw[line_start : error.start].decode("utf-8")) + 1
        message = (
            f"invalid UTF-8 at byte offset {error.start} (line {line}): byte "
            f"0x{raw[error.start]:02x}, {error.reason}"
        )
        issue = ValidationIssue(
            message, line=line, column=column, source="parse", artifact=artifact
        )
        where = f"{artifact}: " if artifact else ""
        raise DocumentParseError(f"{where}not valid UTF-8", [issue], artifact=artifact) from None
