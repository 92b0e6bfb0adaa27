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
from dulwich.objects import ObjectID, RawObjectID, ShaFile, sha_to_hex
from dulwich.repo import Repo

from gitworktree.history._core.plainfiles import read_plain_file

__all__ = ["guard_object_store", "read_loose_object", "read_loose_raw"]

_TYPES = {b"blob": 3, b"tree": 2, b"commit": 1, b"tag": 4}
_HEADER_MAX = 32  # "commit " and twenty digits, with room to spare


def read_loose_object(store: BaseObjectStore, sha: ObjectID) -> ShaFile | None:
    """The loose object ``sha`` of ``store``'s own directory, or ``None`` if it has no
    such file (packed, in an alternate: the caller asks the store).

    Raises:
        ObjectFormatException: if its header is not git's, or its content is not the
            size the header gives.
        RepositoryError: if its file is a FIFO, device or directory (damage).
    """
    found = read_loose_raw(store, sha)
    if found is None:
        return None
    type_num, content = found
    return ShaFile.from_raw_string(type_num, content, sha=sha)


def read_loose_raw(store: BaseObjectStore, sha: ObjectID) -> tuple[int, bytes] | None:
    """The type number and content of loose object ``sha``, unparsed (see
    `read_loose_object`, which raises the same errors)."""
    if not isinstance(store, DiskObjectStore) or len(sha) != 40:
        return None
    text = sha.decode("ascii")
    # Refusing a FIFO or device where the object's file is (a plain open blocks on it).
    found = read_plain_file(os.path.join(os.fspath(store.path), text[:2], text[2:]))
    if found is None:
        return None
    compressed = found[0]
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
    return _TYPES[kind], content


class _CheckedObjectStore(DiskObjectStore):
    """A `DiskObjectStore` whose own loose reads (tree diffs, walks, ``sha in store``)
    go through `read_loose_object` too."""

    def _get_loose_object(self, sha: ObjectID) -> ShaFile | None:
        hex_sha = sha_to_hex(RawObjectID(sha)) if len(sha) == 20 else ObjectID(sha)
        return read_loose_object(self, hex_sha)


def guard_object_store(repo: Repo) -> None:
    """Make ``repo``'s object store read its loose objects as `read_loose_object` does.

    The store dulwich made is kept, with all it holds (its packs, alternates, settings),
    and given the checking subclass, so that every part of dulwich holding it reads
    through the check; so are the stores of its alternates. Any other kind of store is
    left as it is.
    """
    stores: list[BaseObjectStore] = [repo.object_store]
    if isinstance(repo.object_store, DiskObjectStore):
        stores += repo.object_store.alternates  # read (and checked) when the repo opened
    for store in stores:
        if type(store) is DiskObjectStore:
            store.__class__ = _CheckedObjectStore
