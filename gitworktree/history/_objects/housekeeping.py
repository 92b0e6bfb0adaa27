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

Packs are consolidated too, as ``gc --auto`` does when there are more than
``gc.autoPackLimit`` packs (50 by default; 0 turns it off): every fetch, and every push
into a repository on this machine, adds one pack, and each lookup of an object searches
them in turn — 337 packs after 40 s of eight agents pushing, and a push five times
slower. All packs (none marked ``.keep``) are rewritten into one, when they are small
enough to hold in memory (64 MB of packs, the loose objects' bound; bigger ones are left
for ``git gc``). One process at a time: the packer holds
``objects/pack/gitworktree-consolidate.lock`` (created exclusively; one older than an
hour was left by a killed packer and is replaced). A reader that listed a pack just
removed finds its objects in the new one when it looks again: the new pack is complete
and on disk before any old one goes, as with ``git repack -d``.

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
from collections.abc import Iterator
from pathlib import Path

from dulwich.config import Config
from dulwich.errors import ChecksumMismatch, FileFormatException
from dulwich.object_store import DiskObjectStore
from dulwich.objects import ObjectID, ShaFile

from gitworktree.atomic import fsync_directory
from gitworktree.errors import RepositoryError
from gitworktree.history._core.locks import wait_for_lock

__all__ = [
    "DEFAULT_AUTO_PACK",
    "DEFAULT_AUTO_PACK_LIMIT",
    "DEFAULT_UNPACK_LIMIT",
    "auto_pack_limit",
    "auto_pack_threshold",
    "consolidate_packs_if_due",
    "pack_loose_objects_if_due",
    "unpack_limit",
]

DEFAULT_AUTO_PACK = 6700
"""git's ``gc.auto`` default: about this many loose objects trigger packing."""

DEFAULT_AUTO_PACK_LIMIT = 50
"""git's ``gc.autoPackLimit`` default: more packs than this are consolidated into one."""

DEFAULT_UNPACK_LIMIT = 100
"""git's ``transfer.unpackLimit`` default: smaller transfers are stored as loose objects."""

_CONSOLIDATE_LOCK = "gitworktree-consolidate.lock"

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


def auto_pack_limit(config: Config) -> int:
    """``gc.autoPackLimit`` (``DEFAULT_AUTO_PACK_LIMIT`` if unset or unreadable; 0: off)."""
    try:
        value = config.get((b"gc",), b"autoPackLimit")
    except KeyError:
        return DEFAULT_AUTO_PACK_LIMIT
    try:
        return max(int(value.decode("ascii").strip()), 0)
    except ValueError:
        return DEFAULT_AUTO_PACK_LIMIT


def unpack_limit(config: Config, kind: str) -> int:
    """Below this many objects a transfer stores them loose rather than as a new pack.

    git's ``fetch.unpackLimit`` / ``receive.unpackLimit`` (``kind``), else
    ``transfer.unpackLimit``, else 100: a pack per small fetch would leave many tiny
    packs, and every object lookup searches each of them.
    """
    for section, name in (((kind.encode(),), b"unpackLimit"), ((b"transfer",), b"unpackLimit")):
        try:
            return max(int(config.get(section, name).decode("ascii").strip()), 0)
        except (KeyError, ValueError):
            continue
    return DEFAULT_UNPACK_LIMIT


def consolidate_packs_if_due(store: DiskObjectStore, limit: int) -> int:
    """Rewrite every pack into one when there are more than ``limit`` of them.

    Args:
        store: the repository's object store.
        limit: ``gc.autoPackLimit``; 0 never consolidates.

    Returns:
        How many packs were replaced (0: not due, too big, or another process packs).
    """
    pack_dir = Path(store.pack_dir)
    packs = _complete_packs(pack_dir)
    if limit <= 0 or len(packs) <= limit:
        return 0
    if sum(_size(pack_dir / f"{name}.pack") for name in packs) > _BATCH_BYTES:
        return 0  # too big to rewrite in memory: git gc's job
    with _consolidating(pack_dir) as held:
        if not held:
            return 0
        objects = _objects_of(store, packs)
        if objects is None:
            return 0  # a pack vanished: another packer was faster
        before = set(os.listdir(pack_dir))
        wait_for_lock(lambda: store.add_objects([(obj, None) for obj in objects]))
        written = sorted(set(os.listdir(pack_dir)) - before)
        for name in written:
            if name.endswith((".pack", ".idx")):
                with open(pack_dir / name, "rb") as done:
                    os.fsync(done.fileno())
        fsync_directory(pack_dir)
        kept = {name.removesuffix(".pack") for name in written if name.endswith(".pack")}
        replaced = [name for name in packs if name not in kept]
        for name in replaced:
            # The index first: a reader listing the directory stops seeing the pack.
            for suffix in (".idx", ".pack", ".rev", ".bitmap"):
                with contextlib.suppress(FileNotFoundError):
                    (pack_dir / f"{name}{suffix}").unlink()
        fsync_directory(pack_dir)
    # dulwich keeps the packs it listed; look again so it reads the new one.
    store._update_pack_cache()
    return len(replaced)


def _complete_packs(pack_dir: Path) -> list[str]:
    """The packs git counts: a ``.pack`` with its ``.idx``, not kept by a ``.keep``."""
    try:
        names = set(os.listdir(pack_dir))
    except FileNotFoundError:
        return []
    return sorted(
        name.removesuffix(".pack")
        for name in names
        if name.endswith(".pack")
        and name.removesuffix(".pack") + ".idx" in names
        and name.removesuffix(".pack") + ".keep" not in names
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _objects_of(store: DiskObjectStore, packs: list[str]) -> list[ShaFile] | None:
    """Every object of ``packs`` (each once); ``None`` if one of them vanished."""
    from dulwich.pack import Pack

    found: dict[ObjectID, ShaFile] = {}
    try:
        for name in packs:
            with Pack(
                os.path.join(store.pack_dir, name), object_format=store.object_format
            ) as pack:
                for obj in pack.iterobjects():
                    found.setdefault(obj.id, obj)
    except FileNotFoundError:
        return None
    return list(found.values())


@contextlib.contextmanager
def _consolidating(pack_dir: Path) -> Iterator[bool]:
    """Hold the consolidation lock if no other live packer does; yields whether held."""
    lock = pack_dir / _CONSOLIDATE_LOCK
    with contextlib.suppress(FileNotFoundError):
        if lock.stat().st_mtime < time.time() - _ABANDONED_AFTER_S:
            lock.unlink()  # left by a packer killed an hour ago or more
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        yield False
        return
    os.close(fd)
    try:
        yield True
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def pack_loose_objects_if_due(store: DiskObjectStore, threshold: int) -> int:
    """Pack every loose object when git's ``gc --auto`` estimate says there are too many.

    Args:
        store: the repository's object store.
        threshold: ``gc.auto``; 0 never packs.

    Returns:
        How many objects were packed (0: not due).
    """
    if threshold <= 0 or not _too_many_loose(os.fspath(store.path), threshold):
        return 0
    return _pack_loose_objects(store)


def _too_many_loose(objects: str, threshold: int) -> bool:
    """git's estimate (``too_many_loose_objects``): one fan-out directory of 256.

    Asked after every commit: a plain string path, not a `Path` built each time.
    """
    try:
        names = os.listdir(os.path.join(objects, "17"))
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
        except RepositoryError:  # a FIFO or device where the object's file is
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
