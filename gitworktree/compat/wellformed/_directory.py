"""DirectoryCheckpoint: a whole directory, including files created and deleted since.

wellformed copied the directory with ``shutil.copytree`` and moved the copy back on
restore, so both cost the whole tree. Here ``create`` packs the contents into one file
of a private store beside the directory (one sequential write instead of a file created
per file) and remembers each file's stat; ``restore`` compares stats and writes back,
atomically, only the files that differ, removes what was created, recreates what was
deleted. A file whose stat is unchanged is unchanged: any write or ``utime`` moves its
ctime past the moment of the snapshot, and files stamped at that moment itself ("racily
clean", as git calls them) are compared by content.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, NamedTuple

from gitworktree.atomic import atomic_write_many
from gitworktree.compat.wellformed._errors import CheckpointError

__all__ = ["DirectoryCheckpoint"]

_PACK = "pack"


class _Entry(NamedTuple):
    """One captured node: a file's place in the pack and its stat, a directory, a link."""

    kind: str  # "file", "dir" or "link"
    mode: int = 0
    offset: int = 0
    size: int = 0
    stamp: tuple[int, int, int, int] = (0, 0, 0, 0)  # mtime_ns, ctime_ns, inode, size
    target: str = ""


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_size)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "link" if stat.S_ISLNK(mode) else None


class DirectoryCheckpoint:
    """A directory as it was, restorable with only what changed written back.

    Use ``DirectoryCheckpoint.create(path)``; then ``restore()`` or ``discard()``, once.

    Attributes:
        directory: the captured directory.
        store: the private store beside it (``.<name>.checkpoint-*``), removed when the
            checkpoint ends.
    """

    def __init__(
        self, directory: Path, store: Path, entries: dict[str, _Entry], racy_from_ns: int
    ) -> None:
        self.directory = directory
        self.store = store
        self._entries = entries
        self._racy_from_ns = racy_from_ns
        self._active = True

    @classmethod
    def create(
        cls, directory: str | os.PathLike[str], backup_suffix: str = ".checkpoint"
    ) -> DirectoryCheckpoint:
        """Capture ``directory``: every file, directory and symbolic link under it.

        Args:
            directory: the directory.
            backup_suffix: names the private store, ``.<name><backup_suffix>-*``.

        Raises:
            CheckpointError: it is not a directory, or the store cannot be written.
        """
        root = Path(directory)
        if not root.is_dir() or root.is_symlink():
            raise CheckpointError(str(root), "cannot checkpoint: not a directory")
        # Beside the directory even when it is given as "." or "notes/..": the store
        # must never be inside what it captures.
        where = Path(os.path.abspath(root))
        try:
            store = Path(
                tempfile.mkdtemp(prefix=f".{where.name}{backup_suffix}-", dir=where.parent)
            )
        except OSError as error:
            raise CheckpointError(
                str(root), f"cannot create the store beside it: {error}"
            ) from None
        try:
            # The file system's clock, not ours: mtimes and ctimes come from it.
            marker = store / "taken"
            marker.touch()
            racy_from_ns = marker.stat().st_mtime_ns
            entries: dict[str, _Entry] = {}
            with open(store / _PACK, "wb") as pack:
                _capture(root, "", entries, pack)
        except OSError as error:
            shutil.rmtree(store, ignore_errors=True)
            raise CheckpointError(str(root), f"cannot capture the directory: {error}") from None
        return cls(root, store, entries, racy_from_ns)

    @property
    def active(self) -> bool:
        """Whether ``restore()`` or ``discard()`` may still be called."""
        return self._active

    @property
    def is_active(self) -> bool:
        """wellformed's name for ``active``."""
        return self._active

    @property
    def original_dirpath(self) -> Path:
        """wellformed's name for ``directory``."""
        return self.directory

    @property
    def backup_path(self) -> Path:
        """Where the snapshot is kept: ``store`` (wellformed's name for its copy)."""
        return self.store

    @property
    def backup_dirpath(self) -> Path:
        """wellformed's other name for ``store``."""
        return self.store

    def restore(self) -> None:
        """Put the directory back as captured; the checkpoint ends.

        Files created since are removed, deleted ones recreated, changed ones rewritten
        (each atomically); unchanged files are not touched.

        Raises:
            CheckpointError: already used, or the directory cannot be written; then the
                checkpoint stays active, with its store, and ``restore()`` can be retried.
        """
        self._check_active("restore")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            current: dict[str, tuple[str | None, os.stat_result]] = {}
            _scan(self.directory, "", current)
            self._remove_extra(current)
            with open(self.store / _PACK, "rb") as pack:
                self._write_back(current, pack)
        except OSError as error:
            raise CheckpointError(str(self.directory), f"cannot restore: {error}") from None
        self._active = False
        shutil.rmtree(self.store, ignore_errors=True)

    def discard(self) -> None:
        """Keep the directory as it is now and remove the store.

        Raises:
            CheckpointError: the checkpoint was already used.
        """
        self._check_active("discard")
        self._active = False
        shutil.rmtree(self.store, ignore_errors=True)

    def _check_active(self, action: str) -> None:
        if not self._active:
            raise CheckpointError(
                str(self.directory), f"cannot {action}: the checkpoint was already used"
            )

    def _remove_extra(self, current: dict[str, tuple[str | None, os.stat_result]]) -> None:
        removed: set[str] = set()
        for rel in sorted(current):
            if removed and _under(rel, removed):
                continue
            kind = current[rel][0]
            wanted = self._entries.get(rel)
            if wanted is not None and wanted.kind == kind:
                continue
            path = self.directory / rel
            if kind == "dir":
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.add(rel)
        if removed:
            for rel in [name for name in current if name in removed or _under(name, removed)]:
                del current[rel]

    def _write_back(
        self, current: dict[str, tuple[str | None, os.stat_result]], pack: BinaryIO
    ) -> None:
        writes: list[tuple[Path, bytes, int]] = []
        # Sorted: a directory comes before what it holds. Paths are built only for what
        # is written: at 10,000 unchanged files, building them all would dominate.
        for rel, entry in sorted(self._entries.items()):
            present = current.get(rel)
            if entry.kind == "file":
                if present is None or self._differs(entry, present[1], rel, pack):
                    pack.seek(entry.offset)
                    writes.append((self.directory / rel, pack.read(entry.size), entry.mode))
            elif entry.kind == "dir":
                if present is None:
                    (self.directory / rel).mkdir(mode=entry.mode)
                elif stat.S_IMODE(present[1].st_mode) != entry.mode:
                    (self.directory / rel).chmod(entry.mode)
            elif present is None or os.readlink(self.directory / rel) != entry.target:
                link = self.directory / rel
                with contextlib.suppress(FileNotFoundError):
                    link.unlink()
                link.symlink_to(entry.target)
        if writes:
            atomic_write_many(writes)

    def _differs(self, entry: _Entry, now: os.stat_result, rel: str, pack: BinaryIO) -> bool:
        if stat.S_IMODE(now.st_mode) != entry.mode or _stamp(now) != entry.stamp:
            return True
        if max(entry.stamp[0], entry.stamp[1]) < self._racy_from_ns:
            return False
        pack.seek(entry.offset)
        return (self.directory / rel).read_bytes() != pack.read(entry.size)


def _under(rel: str, directories: set[str]) -> bool:
    """Whether ``rel`` lies inside one of ``directories`` (all relative, ``/``-separated)."""
    parts = rel.split("/")
    return any("/".join(parts[:depth]) in directories for depth in range(1, len(parts)))


def _capture(root: Path, prefix: str, entries: dict[str, _Entry], pack: BinaryIO) -> None:
    """Record every node under ``root/prefix``; append file contents to ``pack``."""
    with os.scandir(root / prefix if prefix else root) as listing:
        for node in listing:
            rel = f"{prefix}/{node.name}" if prefix else node.name
            # Stat before reading: a write between the two leaves a newer stamp on disk
            # than the recorded one, so restore rewrites the file rather than trust it.
            st = node.stat(follow_symlinks=False)
            kind = _kind(st.st_mode)
            if kind == "dir":
                entries[rel] = _Entry("dir", stat.S_IMODE(st.st_mode))
                _capture(root, rel, entries, pack)
            elif kind == "link":
                entries[rel] = _Entry("link", target=os.readlink(node.path))
            elif kind == "file":
                data = _read(node.path, st.st_size)
                offset = pack.tell()
                pack.write(data)
                mode = stat.S_IMODE(st.st_mode)
                entries[rel] = _Entry("file", mode, offset, len(data), _stamp(st))


def _read(path: str, size: int) -> bytes:
    """The bytes of a regular file of ``size`` bytes (as stat saw it), in one read.

    os-level calls are cheaper than an ``open()`` per file. A regular file returns a
    short read only at its end, so one read of ``size + 1`` bytes suffices unless the
    file grew meanwhile; then the rest is read too.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        chunks = [os.read(fd, size + 1)]
        if len(chunks[0]) > size:
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _scan(root: Path, prefix: str, found: dict[str, tuple[str | None, os.stat_result]]) -> None:
    """Every node under ``root/prefix`` with its kind and stat (no contents read)."""
    with os.scandir(root / prefix if prefix else root) as listing:
        for node in listing:
            rel = f"{prefix}/{node.name}" if prefix else node.name
            st = node.stat(follow_symlinks=False)
            kind = _kind(st.st_mode)
            found[rel] = (kind, st)
            if kind == "dir":
                _scan(root, rel, found)
