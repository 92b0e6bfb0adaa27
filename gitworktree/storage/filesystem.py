"""Filesystem storage: a plain directory, every write atomic, every path confined."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from gitworktree.atomic import atomic_write, atomic_write_many, is_temporary
from gitworktree.errors import (
    ArtifactTooLargeError,
    NodeKindError,
    StorageError,
    UnsafePathError,
)
from gitworktree.history._worktree.checkout import ListedDirectory, list_directory_entry
from gitworktree.storage.base import Collection, Object, Storage

__all__ = [
    "FilesystemCollection",
    "FilesystemMountDriver",
    "FilesystemObject",
    "FilesystemStorage",
]


class FilesystemObject(Object):
    """A file below the mounted directory."""

    def read_bytes(self) -> bytes:
        return self._storage.read(self._path)

    def write_bytes(self, data: bytes) -> None:
        self._storage.write(self._path, data)

    @property
    def os_path(self) -> Path:
        """The absolute path of the file on disk."""
        assert isinstance(self._storage, FilesystemStorage)
        return self._storage.os_path(self._path)


class FilesystemCollection(Collection):
    """A directory below (or at) the mounted directory."""

    @property
    def os_path(self) -> Path:
        """The absolute path of the directory on disk."""
        assert isinstance(self._storage, FilesystemStorage)
        return self._storage.os_path(self._path)


class FilesystemStorage(Storage):
    """A directory on disk. Symlinks are followed only while they stay inside the root."""

    def __init__(self, root: Path) -> None:
        self._root = Path(os.path.realpath(root))
        self._confined: set[Path] = {self._root}  # directories known to resolve inside
        # When set, `read_objects` notes here what else it saw in each directory it
        # scans (by root-relative path): temporary files and subdirectories.
        self.listing: dict[str, ListedDirectory] | None = None

    @property
    def root_path(self) -> Path:
        """The mounted directory (symlinks resolved)."""
        return self._root

    def os_path(self, path: PurePosixPath) -> Path:
        """The absolute path for ``path``, refusing symlinks that lead out of the root."""
        if not path.parts:
            return self._root
        return self._located(path)[0]

    def _located(self, path: PurePosixPath) -> tuple[Path, int | None]:
        """``os_path``, and the mode ``lstat`` found there (``None``: nothing there)."""
        full = self._root.joinpath(*path.parts)
        if path.parts:
            self._confine(full.parent)
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            return full, None
        if stat.S_ISLNK(mode):
            self._check_inside(full, Path(os.path.realpath(full)))
        return full, mode

    def _confine(self, directory: Path) -> None:
        if directory in self._confined:
            return
        resolved = Path(os.path.realpath(directory))
        self._check_inside(directory, resolved)
        self._confined.add(directory)

    def _check_inside(self, path: Path, resolved: Path) -> None:
        if resolved != self._root and self._root not in resolved.parents:
            relative = path.relative_to(self._root) if path.is_relative_to(self._root) else path
            raise UnsafePathError(
                relative, f"it resolves to {resolved}, outside the mounted root", root=self._root
            )

    def kind_of(self, path: PurePosixPath) -> str | None:
        full, mode = self._located(path)
        if mode is None:
            return None
        if stat.S_ISLNK(mode):  # confined by _located: what it points to counts
            try:
                mode = os.stat(full).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return None
        if stat.S_ISDIR(mode):
            return "collection"
        if stat.S_ISREG(mode):
            return "object"
        raise StorageError(path, "neither a regular file nor a directory")

    def read(self, path: PurePosixPath) -> bytes:
        return self.read_limited(path, None)

    def read_limited(self, path: PurePosixPath, limit: int | None) -> bytes:
        return self._read_at(path, self.os_path(path), limit)

    def _read_at(self, path: PurePosixPath, full: Path, limit: int | None) -> bytes:
        """The file ``path``, found on disk at ``full`` (confined by `_located`)."""
        try:
            fd = os.open(full, _READ_FOLLOWING)
        except FileNotFoundError:
            raise StorageError(path, "no such file") from None
        try:
            return _read_all(fd, limit)
        except _OverLimit as over:
            raise ArtifactTooLargeError(path, over.size, over.limit) from None
        except IsADirectoryError:
            raise NodeKindError(path, "file", "directory") from None
        finally:
            os.close(fd)

    def read_objects(
        self, directory: PurePosixPath, suffix: str = "", limit: int | None = None
    ) -> dict[str, bytes | None]:
        """Read the matching files of ``directory`` in one pass (see ``Storage.read_objects``).

        One ``scandir`` and one ``open`` per regular file, instead of path objects and
        ``lstat`` calls per name. The directory is confined once; a symlink among the
        entries is followed only after its target is checked to be inside the root, and
        a plain entry is opened with ``O_NOFOLLOW``, so one swapped for a symlink since the
        scan is refused by the kernel (and then checked the slow way).

        Raises:
            UnsafePathError: the directory, or a symlink in it, leads out of the root.
            ArtifactTooLargeError: a file is larger than ``limit`` bytes.
        """
        full = self.os_path(directory)
        try:
            scan = os.scandir(full)
        except NotADirectoryError:
            raise NodeKindError(directory, "directory", "file") from None
        except FileNotFoundError:
            raise StorageError(directory, "no such directory") from None
        found: dict[str, bytes | None] = {}
        noted = None if self.listing is None else ListedDirectory([], [])
        with scan:
            self._confine(full)  # once it exists: the entries' paths all start with it
            for entry in scan:
                name = entry.name
                if not name.endswith(suffix) or name.startswith("."):
                    if noted is not None:
                        list_directory_entry(entry, noted)
                    continue
                flags = _READ_FLAGS
                if entry.is_symlink():
                    target = Path(entry.path)
                    self._check_inside(target, Path(os.path.realpath(target)))
                    flags = _READ_FOLLOWING
                if not entry.is_file():
                    if noted is not None:
                        list_directory_entry(entry, noted)
                    found[name] = None
                    continue
                # What _read_file does, inline: this runs once per item of a mount.
                try:
                    fd = os.open(entry.path, flags)
                except OSError:
                    found[name] = None  # gone, or swapped for a symlink: looked at again
                    continue
                try:
                    found[name] = _read_all(fd, limit)
                except _OverLimit as over:
                    # The item's path is joined only here: per file it costs ~1.5 us.
                    raise ArtifactTooLargeError(directory / name, over.size, over.limit) from None
                except IsADirectoryError:
                    found[name] = None
                finally:
                    os.close(fd)
        if noted is not None and self.listing is not None:
            self.listing[str(directory) if directory.parts else ""] = noted
        return found

    def write(self, path: PurePosixPath, data: bytes) -> None:
        full = self.os_path(path)
        if full.is_dir():
            raise NodeKindError(path, "file", "directory")
        try:
            atomic_write(full, data)
        except IsADirectoryError:  # made in its place since the check above
            raise NodeKindError(path, "file", "directory") from None
        except FileNotFoundError:
            raise StorageError(path, "its parent directory does not exist") from None

    def write_many(self, files: Sequence[tuple[PurePosixPath, bytes]]) -> None:
        """Replace each file atomically, flushed together (see `atomic_write_many`).

        A commit of 2,000 new items took 4,000 flushes one after the other, one by one;
        the batch flushes them in parallel and syncs each directory once.
        """
        if len(files) < 2:
            super().write_many(files)
            return
        batch: list[tuple[Path, bytes, int]] = []
        for path, data in files:
            full = self.os_path(path)
            if full.is_dir():
                raise NodeKindError(path, "file", "directory")
            try:
                mode = full.stat().st_mode & 0o7777  # kept, as `atomic_write` keeps it
            except FileNotFoundError:
                mode = 0o644
            batch.append((full, data, mode))
        try:
            atomic_write_many(batch)
        except IsADirectoryError:
            # A directory made in a file's place after the check above (by another writer).
            found = (path for (path, _), (full, _, _) in zip(files, batch, strict=True)
                     if full.is_dir())  # fmt: skip
            raise NodeKindError(next(found, files[0][0]), "file", "directory") from None
        except FileNotFoundError:
            missing = next(
                (path for (path, _), (full, _, _) in zip(files, batch, strict=True)
                 if not full.parent.is_dir()),
                files[0][0],
            )  # fmt: skip
            raise StorageError(missing, "its parent directory does not exist") from None

    def list_names(self, path: PurePosixPath) -> list[str]:
        full = self.os_path(path)
        try:
            names = os.listdir(full)
        except NotADirectoryError:
            raise NodeKindError(path, "directory", "file") from None
        except FileNotFoundError:
            raise StorageError(path, "no such directory") from None
        return sorted(name for name in names if name != ".git" and not is_temporary(name))

    def make_collection(self, path: PurePosixPath) -> None:
        full = self.os_path(path)
        try:
            full.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise NodeKindError(path, "directory", "file") from None
        except NotADirectoryError:
            raise NodeKindError(path, "directory", "file") from None

    def remove(self, path: PurePosixPath) -> None:
        if not path.parts:
            raise StorageError(path, "refusing to remove the mounted root")
        full = self.os_path(path)
        if full.is_symlink() or full.is_file():
            full.unlink()
        elif full.is_dir():
            shutil.rmtree(full)
        self._confined = {d for d in self._confined if d != full and full not in d.parents}

    def object_node(self, path: PurePosixPath) -> Object:
        return FilesystemObject(self, path)

    def collection_node(self, path: PurePosixPath) -> Collection:
        return FilesystemCollection(self, path)


_READ_FOLLOWING = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_READ_FLAGS = _READ_FOLLOWING | getattr(os, "O_NOFOLLOW", 0)


class _OverLimit(Exception):
    """A file over the size limit, found while read; the caller names it in an
    `ArtifactTooLargeError` (its path is built only then)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit


def _read_file(path: str, flags: int, limit: int | None = None) -> bytes | None:
    """The whole content of the file at ``path``; ``None`` if it cannot be opened as one.

    Raises:
        _OverLimit: the file is over ``limit`` bytes.
    """
    try:
        fd = os.open(path, flags)
    except OSError:
        return None  # gone, replaced (by a directory or a symlink): the caller looks again
    try:
        return _read_all(fd, limit)
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)


def _read_all(fd: int, limit: int | None) -> bytes:
    """Everything from ``fd`` to its end: what ``open(path, "rb").read()`` gives, at a
    fraction of the cost for a small file (no file object, no ``fstat`` or ``ioctl``).

    A file over ``limit`` bytes is refused before it is read: a file that fills the
    first read gets one ``fstat`` for its size (small files, the usual case, none), and
    the count read is checked as it grows (a file appended to meanwhile).

    Raises:
        _OverLimit: the file is over ``limit`` bytes.
    """
    first = os.read(fd, _CHUNK)
    if not first:
        return first
    if len(first) < _CHUNK and (limit is None or len(first) <= limit):
        more = os.read(fd, _CHUNK)
        if not more:
            return first  # a small file, the usual case: one read, one more to see the end
        chunks = [first, more]
    else:
        if limit is not None and len(first) == _CHUNK and (size := os.fstat(fd).st_size) > limit:
            raise _OverLimit(size, limit)
        chunks = [first]
    held = sum(map(len, chunks))
    if limit is not None and held > limit:
        raise _OverLimit(held, limit)
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
        held += len(chunk)
        if limit is not None and held > limit:
            raise _OverLimit(held, limit)
    return b"".join(chunks)


_CHUNK = 1 << 16


class FilesystemMountDriver:
    """Mounts a directory on disk (created if missing)."""

    def mount(self, path: str | os.PathLike[str]) -> Collection:
        """The root collection of the directory at ``path``.

        Raises:
            NodeKindError: ``path`` exists and is not a directory.
        """
        directory = Path(path)
        if directory.exists() and not directory.is_dir():
            raise NodeKindError(directory, "directory", "file")
        directory.mkdir(parents=True, exist_ok=True)
        return FilesystemStorage(directory).root
