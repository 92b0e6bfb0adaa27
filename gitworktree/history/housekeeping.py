"""Keeping the object store bounded: loose objects packed when git would pack them.

Every commit stores its new blobs, trees and commit as loose objects, one file each: an
agent committing after every step makes thousands of small files (3,000 commits of one
artifact: 9,000 files, 38 MB on disk; 1.3 MB once packed). ``git`` runs ``gc --auto``
after its commands for this; gitworktree does the same check after each of its commits,
with git's rule and threshold: when ``objects/17/`` holds more than ``gc.auto / 256``
loose objects (git's estimate of ``gc.auto``, 6,700 by default, in all), every loose
object is written into one pack and the loose copies are removed. ``gc.auto = 0`` turns
it off, as in git.

Safe to stop at any point: the pack and its index are flushed to disk before any loose
object is removed, and a loose object that is also in a pack is just a duplicate.
Objects are never pruned: unreachable ones stay, packed, for ``git gc`` to decide.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from pathlib import Path

from dulwich.config import Config
from dulwich.object_store import DiskObjectStore
from dulwich.objects import ObjectID

from gitworktree.atomic import fsync_directory
from gitworktree.history.locks import wait_for_lock

__all__ = ["DEFAULT_AUTO_PACK", "auto_pack_threshold", "pack_loose_objects_if_due"]

DEFAULT_AUTO_PACK = 6700
"""git's ``gc.auto`` default: about this many loose objects trigger packing."""

_LOOSE_NAME = re.compile(r"[0-9a-f]{38}")


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
    loose = _loose_object_ids(Path(store.path))
    if not loose:
        return 0
    pack_dir = Path(store.pack_dir)
    before = set(os.listdir(pack_dir)) if pack_dir.exists() else set()
    wait_for_lock(lambda: store.add_objects([(store[sha], None) for sha in loose]))
    # dulwich flushes packs only with core.fsyncObjectFiles: the loose copies go only
    # once the pack and its index are on disk.
    for name in sorted(set(os.listdir(pack_dir)) - before):
        if name.endswith((".pack", ".idx")):
            with open(pack_dir / name, "rb") as written:
                os.fsync(written.fileno())
    fsync_directory(pack_dir)
    for sha in loose:
        with contextlib.suppress(FileNotFoundError):  # another packer got there first
            store.delete_loose_object(sha)
    return len(loose)


def _loose_object_ids(objects: Path) -> list[ObjectID]:
    found = []
    for fan_out in range(256):
        prefix = f"{fan_out:02x}"
        try:
            names = os.listdir(objects / prefix)
        except FileNotFoundError:
            continue
        found += [ObjectID((prefix + n).encode()) for n in names if _LOOSE_NAME.fullmatch(n)]
    return found
