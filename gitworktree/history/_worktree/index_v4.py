"""Index version 4 (``index.version = 4``, ``feature.manyFiles``): prefix-compressed paths.

A version 4 entry is a version 2 entry's fixed part (62 bytes, 64 with extended flags),
then, instead of the padded path, how many bytes to drop from the end of the previous
entry's path (a varint, as git's ``varint.c`` encodes it), the bytes to append, and a
NUL. An entry's bytes therefore depend on the entry before it, and on nothing else.

Entries are parsed into their version 2 form (what the rest of the index code reads),
and their version 4 bytes are kept beside them, so that a commit re-encodes only the
entries it writes and the one after each run of them (`splice_v4`): the other entries'
bytes are copied as they were, and the work in Python grows with the change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["V4Entries", "encode_all_v4", "parse_v4_entries", "splice_v4"]

_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF
_DROPS_TOO_MUCH = "an entry drops more than the previous path holds"


class V4Entries(NamedTuple):
    """The entries of a version 4 index: version 2 form, version 4 bytes, and paths."""

    paths: list[bytes]
    entries: list[bytes]
    compressed: list[bytes]
    extended: int
    end: int


def parse_v4_entries(raw: bytes, count: int, start: int, body_end: int) -> V4Entries:
    """The ``count`` entries of the version 4 index ``raw``, from byte ``start``.

    Raises:
        ValueError: if an entry is truncated, drops more than its predecessor's path, or
            has a path whose length is not the one its flags record.
    """
    paths: list[bytes] = []
    entries: list[bytes] = []
    compressed: list[bytes] = []
    extended, pos, previous = 0, start, b""
    try:
        for _ in range(count):
            head = 62
            if raw[pos + 60] & (_EXTENDED >> 8):
                extended += 1
                head = 64
            at = pos + head
            byte = raw[at]
            drop = byte & 127
            while byte & 128:  # git's offset varint: each continuation adds one
                if drop > len(previous):  # it only grows: stop now, not after a
                    # megabyte of continuation bytes made into one number (quadratic)
                    raise ValueError(_DROPS_TOO_MUCH)
                at += 1
                byte = raw[at]
                drop = ((drop + 1) << 7) | (byte & 127)
            end = raw.find(b"\0", at + 1, body_end)
            if end < 0:
                raise IndexError  # no NUL before the extensions
            if drop > len(previous):
                raise ValueError(_DROPS_TOO_MUCH)
            path = previous[: len(previous) - drop] + raw[at + 1 : end]
            # git reads the path's length from the flags, not up to the NUL: an entry
            # whose two lengths differ is read by git as other bytes than by us.
            if (raw[pos + 60] << 8 | raw[pos + 61]) & _NAME_MASK != min(len(path), _NAME_MASK):
                raise ValueError("an entry's path length differs from its flags")
            paths.append(path)
            entries.append(raw[pos : pos + head] + path + _padding(head, len(path)))
            compressed.append(raw[pos : end + 1])
            previous, pos = path, end + 1
    except IndexError:
        raise ValueError("truncated entry") from None
    return V4Entries(paths, entries, compressed, extended, pos)


def _padding(head: int, length: int) -> bytes:
    """The NULs after a path in version 2 form (one to eight, to a multiple of eight)."""
    return bytes(((head + length + 8) & ~7) - head - length)


def _varint(value: int) -> bytes:
    """``value`` as git's ``encode_varint`` writes it."""
    out = [value & 127]
    value >>= 7
    while value:
        value -= 1
        out.append(128 | (value & 127))
        value >>= 7
    return bytes(reversed(out))


def _encode(entry: bytes, path: bytes, previous: bytes) -> bytes:
    """The version 4 bytes of ``entry`` (version 2 form, at ``path``) after ``previous``."""
    head = 64 if entry[60] & (_EXTENDED >> 8) else 62
    # Byte by byte, as git compares names (not by path components).
    common = len(os.path.commonprefix([previous, path]))  # noqa: RUF071
    return entry[:head] + _varint(len(previous) - common) + path[common:] + b"\0"


def encode_all_v4(paths: Sequence[bytes], entries: Sequence[bytes]) -> list[bytes]:
    """The version 4 bytes of every entry (version 2 form), in order."""
    previous = b""
    compressed = []
    for path, entry in zip(paths, entries, strict=True):
        compressed.append(_encode(entry, path, previous))
        previous = path
    return compressed


def splice_v4(
    old: Sequence[bytes],
    splices: Sequence[tuple[int, int, list[bytes]]],
    paths: Sequence[bytes],
    entries: Sequence[bytes],
) -> list[bytes] | None:
    """The version 4 bytes of the entries once ``splices`` are made on ``old``.

    Args:
        old: the version 4 bytes of the old index's entries.
        splices: in order of position, not overlapping: old entries ``start`` to
            ``stop`` replaced by ``entries`` (version 2 form).
        paths: the new index's paths.
        entries: the new index's entries, version 2 form.

    Returns:
        One bytes per new entry; ``None`` if the splices do not give ``entries``' count.
    """
    compressed: list[bytes] = []
    copied = 0
    follows_change = False

    def encode_next() -> None:
        at = len(compressed)
        compressed.append(_encode(entries[at], paths[at], paths[at - 1] if at else b""))

    for start, stop, replacement in splices:
        if copied < start:
            if follows_change:  # its predecessor changed: its bytes do too
                encode_next()
                copied += 1
            compressed.extend(old[copied:start])
            follows_change = False
        for _ in replacement:
            encode_next()
        copied = stop
        follows_change = True
    if copied < len(old):
        if follows_change:
            encode_next()
            copied += 1
        compressed.extend(old[copied:])
    return compressed if len(compressed) == len(entries) else None
