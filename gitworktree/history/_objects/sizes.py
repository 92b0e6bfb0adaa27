"""An object's size, read from its header: without inflating the object itself.

A diff or a merge must know whether a file is too large to diff or to parse before it
loads it, or the check costs what it is meant to avoid (dulwich inflates an object whole,
holding it about twice). git stores the size up front: a loose object starts with
``<type> <size>\\0`` once inflated, a packed one with its type and size in a varint
header, and a packed delta's inflated data starts with the base's and the result's
sizes. Reading those takes a few hundred bytes.
"""

from __future__ import annotations

import os
import stat
import zlib

from dulwich.object_store import BaseObjectStore, DiskObjectStore
from dulwich.objects import ObjectID

__all__ = ["object_size"]

_HEADER_READ = 512  # compressed bytes read to find a size: far more than needed
_OFS_DELTA, _REF_DELTA = 6, 7


def object_size(store: BaseObjectStore, sha: ObjectID) -> int | None:
    """The size of object ``sha``'s content in bytes; ``None`` when it cannot be told
    cheaply (not in this store's own files, an unusual layout): then load it."""
    if not isinstance(store, DiskObjectStore) or len(sha) != 40:
        return None
    text = sha.decode("ascii")
    try:
        # Not blocking on a FIFO there: `None` sends the caller to the loader, which
        # refuses it.
        fd = os.open(
            os.path.join(os.fspath(store.path), text[:2], text[2:]),
            os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK,
        )
    except FileNotFoundError:
        fd = None
    except OSError:
        return None
    if fd is not None:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return _loose_size(os.read(fd, _HEADER_READ))
        except (OSError, zlib.error, ValueError):
            return None
        finally:
            os.close(fd)
    for pack in store.packs:
        try:
            offset = pack.index.object_offset(sha)
        except KeyError:
            continue
        path = getattr(pack, "_data_path", None)  # dulwich's Pack keeps no public path
        if not isinstance(path, str):
            return None
        try:
            with open(path, "rb") as data:
                data.seek(offset)
                return _packed_size(data.read(_HEADER_READ))
        except (OSError, zlib.error, ValueError, IndexError):
            return None
    return None


def _loose_size(compressed: bytes) -> int | None:
    header = zlib.decompressobj().decompress(compressed, 64)
    kind, space, size = header.partition(b"\0")[0].partition(b" ")
    return int(size) if space and kind else None


def _packed_size(raw: bytes) -> int | None:
    byte = raw[0]
    kind, size, shift, at = (byte >> 4) & 7, byte & 15, 4, 1
    while byte & 0x80:
        byte = raw[at]
        size |= (byte & 0x7F) << shift
        shift, at = shift + 7, at + 1
    if kind not in (_OFS_DELTA, _REF_DELTA):
        return size  # a whole object: its size is in the header
    if kind == _REF_DELTA:
        at += 20  # the base's id
    else:
        while raw[at] & 0x80:  # the base's offset, a varint
            at += 1
        at += 1
    delta = zlib.decompressobj().decompress(raw[at:], 32)
    _base, at = _varint(delta, 0)
    result, _ = _varint(delta, at)
    return result


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if not byte & 0x80:
            return value, at
