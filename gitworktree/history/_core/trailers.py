"""Commit messages with a git trailer block (``Key: value`` lines in the last paragraph).

Trailers are written the way ``git interpret-trailers`` expects them, so that
``git log --format=%(trailers)`` and ``git interpret-trailers --parse`` see exactly the
trailers this module reads back.

The ``Gitworktree-`` trailer keys are reserved: only gitworktree itself writes them (the
gate's ``Gitworktree-Repaired``, a restore's ``Gitworktree-Restored-From``), so that
``log`` never reports a repair or a restore that did not happen. `check_caller_text`
refuses them in what a caller hands in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gitworktree.errors import InvalidNameError

__all__ = [
    "RESERVED_PREFIX",
    "check_caller_text",
    "check_trailer_key",
    "compose_message",
    "split_message",
]

# git's trailer tokens are letters, digits and '-' (trailer.c, find_separator).
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)")

RESERVED_PREFIX = "Gitworktree-"
# A line that git or we could read as a reserved trailer: any case (git compares trailer
# keys case-insensitively), indented or not, with blanks before the ':'. Compiled by its
# first use (re's cache): only a write checks a caller's message.
_RESERVED_LINE = r"^[ \t]*(gitworktree-[A-Za-z0-9-]*)[ \t]*:"


def check_trailer_key(key: str) -> str:
    """Check that ``key`` can be a git trailer key (letters, digits and ``-``).

    Raises:
        InvalidNameError: otherwise.
    """
    if not _KEY.fullmatch(key):
        raise InvalidNameError(
            key, "a trailer key is letters, digits and '-', like 'Fixes'", reason="trailer-key"
        )
    return key


def check_caller_text(message: str | None, trailers: Mapping[str, str] | None = None) -> None:
    """Refuse a caller's message or trailers that carry a reserved ``Gitworktree-*`` trailer
    or a NUL character.

    Args:
        message: the message a caller gave (``None``: none given).
        trailers: the trailers a caller gave.

    Raises:
        InvalidNameError: naming the reserved key, if a trailer key starts with
            ``Gitworktree-`` (in any case), or a line of the message reads as one; or
            the text, if the message or a trailer holds a NUL character.
    """
    _refuse_nul(message or "", trailers)
    for key in trailers or {}:
        if key.lower().startswith(RESERVED_PREFIX.lower()):
            raise InvalidNameError(key, _RESERVED_REASON, reason="reserved-trailer")
    found = re.search(_RESERVED_LINE, message or "", re.IGNORECASE | re.MULTILINE)
    if found is not None:
        raise InvalidNameError(
            found.group(1),
            f"{_RESERVED_REASON} (found in the message)",
            reason="reserved-trailer",
        )


def _refuse_nul(message: str, trailers: Mapping[str, str] | None) -> None:
    for text in [message, *(trailers or {}).keys(), *(trailers or {}).values()]:
        if "\0" in text:
            raise InvalidNameError(
                text[:60],
                "the commit message or a trailer holds a NUL character, which git refuses "
                "(`git log` would show the message cut there); remove it",
                reason="nul-character",
            )


_RESERVED_REASON = (
    "trailers starting with 'Gitworktree-' are reserved for what gitworktree itself "
    "records (repairs by the gate, restores); choose another key, e.g. 'Agent-Note'"
)


def compose_message(message: str, trailers: Mapping[str, str] | None = None) -> bytes:
    """Build a commit message: the text, a blank line, then one ``Key: value`` per trailer.

    Args:
        message: the message; trailing blank lines are dropped.
        trailers: key -> value; whitespace runs in a value (newlines too) become one
            space, so that each trailer stays on one line.

    Returns:
        The UTF-8 message, ending with a newline.

    Raises:
        ValueError: if the message is empty.
        InvalidNameError: if a trailer key is not a valid git trailer key, or the message
            or a trailer holds a NUL character.
    """
    _refuse_nul(message, trailers)  # every commit's last check, whoever composed it
    text = message.rstrip()
    if not text:
        raise ValueError("a commit message must not be empty")
    lines = [
        f"{check_trailer_key(key)}: {' '.join(value.split())}"
        for key, value in (trailers or {}).items()
    ]
    if lines:
        text += "\n\n" + "\n".join(lines)
    return (text + "\n").encode("utf-8")


def split_message(raw: str) -> tuple[str, dict[str, str]]:
    """Split a commit message into its text and its trailers.

    The trailer block is the last paragraph when every line of it is a ``Key: value``
    trailer or an indented continuation line, and it is not the only paragraph.

    Args:
        raw: the full commit message.

    Returns:
        The message without the trailer block (trailing whitespace removed), and the
        trailers as key -> value, values of a repeated key joined with ``", "``.
    """
    lines = raw.rstrip().split("\n")
    blanks = [number for number, line in enumerate(lines) if not line.strip()]
    if not blanks:
        return raw.rstrip(), {}
    start = blanks[-1] + 1
    body = "\n".join(lines[: blanks[-1]]).rstrip()
    trailers = _parse_block(lines[start:])
    if trailers is None or not body:
        return raw.rstrip(), {}
    return body, trailers


def _parse_block(block: list[str]) -> dict[str, str] | None:
    """Parse a trailer block, or return ``None`` if it is not one."""
    pairs: list[list[str]] = []
    for line in block:
        if line[:1] in (" ", "\t") and pairs:
            pairs[-1][1] += " " + line.strip()
            continue
        match = _LINE.fullmatch(line.rstrip())
        if match is None:
            return None
        pairs.append([match.group(1), match.group(2).strip()])
    trailers: dict[str, str] = {}
    for key, value in pairs:
        trailers[key] = f"{trailers[key]}, {value}" if key in trailers else value
    return trailers
