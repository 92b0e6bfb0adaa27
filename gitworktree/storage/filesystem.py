"""Filesystem storage: a plain directory, every write atomic, every path confined."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path, PurePosixPath

from gitworktree.atomic import atomic_write, is_temporary
from gitworktree.errors import NodeKindError, StorageError, UnsafePathError
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

    @property
    def root_path(self) -> Path:
        """The mounted directory (symlinks resolved)."""
        return self._root

    def os_path(self, path: PurePosixPath) -> Path:
        """The absolute path for ``path``, refusing symlinks that lead out of the root."""
        if not path.parts:
            return self._root
        full = self._root.joinpath(*path.parts)
        self._confine(full.parent)
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            return full
        if stat.S_ISLNK(mode):
            self._check_inside(full, Path(os.path.realpath(full)))
        return full

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
        full = self.os_path(path)
        try:
            mode = os.stat(full).st_mode
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        if stat.S_ISDIR(mode):
            return "collection"
        if stat.S_ISREG(mode):
            return "object"
        raise StorageError(path, "neither a regular file nor a directory")

    def read(self, path: PurePosixPath) -> bytes:
        full = self.os_path(path)
        try:
            return full.read_bytes()
        except IsADirectoryError:
            raise NodeKindError(path, "file", "directory") from None
        except FileNotFoundError:
            raise StorageError(path, "no such file") from None

    def write(self, path: PurePosixPath, data: bytes) -> None:
        full = self.os_path(path)
        if full.is_dir():
            raise NodeKindError(path, "file", "directory")
        try:
            atomic_write(full, data)
        except FileNotFoundError:
            raise StorageError(path, "its parent directory does not exist") from None

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
