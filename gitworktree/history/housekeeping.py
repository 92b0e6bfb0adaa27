"""Keeping the object store bounded: loose objects packed when git would pack them.

Every commit stores its new blobs, trees and commit as loose objects, one file each: an
agent committing after every step makes thousands of small files (3,000 commits of one
artifact: 9,000 files, 38 MB on disk; 1.3 MB once packed). ``git`` runs ``gc --auto``
after its commands for this; gitworktree does the same check after each of its commits,
with git's rule and threshold: when ``objects/17/`` holds more than ``gc.auto / 256``
loose objects (git's estimate of ``gc.auto``, 6,700 by default, in all), the loose
objects are written into one pack and the loose copies are removed. ``gc.auto = 0``
turns it off, as in git. Memory stays bounded: at most 64 MB of objects go into one
pack (the rest with the next), and files over 4 MB stay loose. A damaged or vanished
loose object is skipped, left for ``git fsck`` to report.

Safe to stop at any point: the pack and its index are flushed to disk before any loose
object is removed, and a loose object that is also in a pack is just a duplicate; a pack
left half-written is removed by a later packing once untouched for an hour. Objects are
never pruned: unreachable ones stay, packed, for ``git gc`` to decide.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
import zlib
from pathlib import Path

from dulwich.config import Config
from dulwich.errors import ChecksumMismatch, FileFormatException
from dulwich.object_store import DiskObjectStore
from dulwich.objects import ObjectID, ShaFile

from gitworktree.atomic import fsync_directory
from gitworktree.history.locks import wait_for_lock

__all__ = ["DEFAULT_AUTO_PACK", "auto_pack_threshold", "pack_loose_objects_if_due"]

DEFAULT_AUTO_PACK = 6700
"""git's ``gc.auto`` default: about this many loose objects trigger packing."""

_LOOSE_NAME = re.compile(r"[0-9a-f]{38}")
# A loose object file bigger than this stays loose: big blobs are few.
_LARGE_OBJECT = 4 * 2**20
# At most this many bytes of objects (uncompressed) in memory and in one pack at a time.
_BATCH_BYTES = 64 * 2**20
# A pack in the making untouched this long was abandoned by a killed writer.
_ABANDONED_AFTER_S = 3600


def auto_pack_threshold(config: Config) -> int:
    """``gc.auto`` from the config (``DEFAULT_AUTO_PACK`` if unset or unreadable; 0: off)."""
    try:
        value = config.get((b"gc",), b"auto")
    except KeyError:
        return DEFAULT_AUTO_PACK
    try:
        return max(int(value.decode("ascii").strip()), 0)
    except ValueError:
        return DEFAULT_AUTO_PACK  # git refuses a bad value; packing at the default is safe


def pack_loose_objects_if_due(store: DiskObjectStore, threshold: int) -> int:
    """Pack every loose object when git's ``gc --auto`` estimate says there are too many.

    Args:
        store: the repository's object store.
        threshold: ``gc.auto``; 0 never packs.

    Returns:
        How many objects were packed (0: not due).
    """
    if threshold <= 0 or not _too_many_loose(Path(store.path), threshold):
        return 0
    return _pack_loose_objects(store)


def _too_many_loose(objects: Path, threshold: int) -> bool:
    """git's estimate (``too_many_loose_objects``): one fan-out directory of 256."""
    try:
        names = os.listdir(objects / "17")
    except FileNotFoundError:
        return False
    count = sum(1 for name in names if _LOOSE_NAME.fullmatch(name))
    return count > math.ceil(threshold / 256)


def _pack_loose_objects(store: DiskObjectStore) -> int:
    batch = _readable_batch(store, _loose_object_ids(Path(store.path)))
    if not batch:
        return 0
    pack_dir = Path(store.pack_dir)
    _remove_abandoned_packs(pack_dir)
    before = set(os.listdir(pack_dir)) if pack_dir.exists() else set()
    wait_for_lock(lambda: store.add_objects([(obj, None) for obj in batch]))
    # dulwich flushes packs only with core.fsyncObjectFiles: the loose copies go only
    # once the pack and its index are on disk.
    for name in sorted(set(os.listdir(pack_dir)) - before):
        if name.endswith((".pack", ".idx")):
            with open(pack_dir / name, "rb") as written:
                os.fsync(written.fileno())
    fsync_directory(pack_dir)
    for obj in batch:
        with contextlib.suppress(FileNotFoundError):  # another packer got there first
            store.delete_loose_object(obj.id)
    return len(batch)


def _readable_batch(store: DiskObjectStore, loose: list[tuple[ObjectID, int]]) -> list[ShaFile]:
    """The loose objects to pack now: small, readable, up to `_BATCH_BYTES` in all.

    A large object stays loose (packing saves a file, not space, and would hold it in
    memory); a damaged or vanished one is left as it is for ``git fsck`` to report —
    packing is tidying, never a reason for a commit to fail. What does not fit in this
    batch goes with the next.
    """
    batch: list[ShaFile] = []
    size = 0
    for sha, on_disk in loose:
        if on_disk > _LARGE_OBJECT:
            continue
        try:
            obj = store[sha]
        except (KeyError, OSError, zlib.error, FileFormatException, ChecksumMismatch):
            continue
        batch.append(obj)
        size += obj.raw_length()
        if size >= _BATCH_BYTES:
            break
    return batch


def _remove_abandoned_packs(pack_dir: Path) -> None:
    """Remove packs in the making (dulwich's ``tmp*.pack``) untouched for an hour.

    A writer killed while writing a pack leaves one behind. One that is still being
    written — a fetch running now, outside the writer lock — changes as it grows.
    """
    cutoff = time.time() - _ABANDONED_AFTER_S
    for partial in pack_dir.glob("tmp*.pack"):
        with contextlib.suppress(FileNotFoundError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()


def _loose_object_ids(objects: Path) -> list[tuple[ObjectID, int]]:
    """Every loose object's id, with the size of its file."""
    found = []
    for fan_out in range(256):
        prefix = f"{fan_out:02x}"
        try:
            entries = list(os.scandir(objects / prefix))
        except FileNotFoundError:
            continue
        for entry in entries:
            if _LOOSE_NAME.fullmatch(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    size = entry.stat().st_size
                    found.append((ObjectID((prefix + entry.name).encode()), size))
    return found
