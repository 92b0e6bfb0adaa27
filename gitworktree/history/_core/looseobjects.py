"""Reading a loose object no further than the size its header gives.

A loose object is ``<type> <size>\\0<content>``, zlib-compressed. dulwich inflates the
whole stream (up to 512 MiB) before it looks at the header, so a few kilobytes of zlib
that inflate to hundreds of megabytes (a "zlib bomb" in a damaged or hostile
repository) cost that much memory before they are refused. git reads the header first
and inflates no more than the size it gives; so does this, and a stream that holds more
or less than that size is damage (``git fsck``: "garbage at end of loose object").
"""

from __future__ import annotations

import os
import zlib

from dulwich.errors import ObjectFormatException
from dulwich.object_store import BaseObjectStore, DiskObjectStore
from dulwich.objects import ObjectID, ShaFile

__all__ = ["read_loose_object"]

_TYPES = {b"blob": 3, b"tree": 2, b"commit": 1, b"tag": 4}
_HEADER_MAX = 32  # "commit " and twenty digits, with room to spare


def read_loose_object(store: BaseObjectStore, sha: ObjectID) -> ShaFile | None:
    """The loose object ``sha`` of ``store``'s own directory, or ``None`` if it has no
    such file (packed, in an alternate: the caller asks the store).

    Raises:
        ObjectFormatException: if its header is not git's, or its content is not the
            size the header gives.
    """
    if not isinstance(store, DiskObjectStore) or len(sha) != 40:
        return None
    text = sha.decode("ascii")
    try:
        with open(os.path.join(os.fspath(store.path), text[:2], text[2:]), "rb") as loose:
            compressed = loose.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        inflate = zlib.decompressobj()
        header, nul, content = inflate.decompress(compressed, _HEADER_MAX).partition(b"\0")
        kind, _, size_text = header.partition(b" ")
        if not nul or kind not in _TYPES or not size_text.isdigit():
            raise ObjectFormatException(f"object {text} has no valid header ({header[:32]!r})")
        size = int(size_text)
        wanted = max(size - len(content), 0) + 1  # one byte more shows a lie
        content += inflate.decompress(inflate.unconsumed_tail, wanted)
    except zlib.error as err:
        raise ObjectFormatException(f"object {text} cannot be inflated ({err})") from err
    if len(content) != size or inflate.unconsumed_tail:
        raise ObjectFormatException(
            f"object {text} does not hold the {size} bytes its header gives"
        )
    return ShaFile.from_raw_string(_TYPES[kind], content, sha=sha)
