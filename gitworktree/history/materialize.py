"""Writing committed files into the work tree: atomically, and only the changed paths.

`check_worktree_targets` runs before anything is published, so that a path blocked on
disk (a symlinked parent directory, a directory where a file goes) fails the commit
while nothing has been written yet. `write_worktree` then deletes, writes, and returns
the stat of every written file for the index.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitworktree.atomic import atomic_write_many, fsync_directory, is_temporary
from gitworktree.errors import NodeKindError, UnsafePathError

__all__ = [
    "PARKED_PREFIX",
    "ParkedFiles",
    "WorktreeFile",
    "check_worktree_targets",
    "park_worktree",
    "write_worktree",
]

_SYMLINK_MODE = 0o120000
_EXECUTABLE_MODE = 0o100755
_GITLINK_MODE = 0o160000


@dataclass(frozen=True)
class WorktreeFile:
    """A file to write: its git mode (100644, 100755 or 120000) and content."""

    mode: int
    data: bytes


def check_worktree_targets(root: Path, files: Mapping[str, WorktreeFile | None]) -> None:
    """Check that every path in ``files`` can be written or deleted under ``root``.

    Args:
        root: the work tree root.
        files: checked repository-relative path -> file to write, or ``None`` to delete.

    Raises:
        UnsafePathError: if a parent directory on disk is a symbolic link (writing through
            it could leave the root).
        NodeKindError: if a file stands where a parent directory is needed and is not
            deleted by the same change, or a non-empty directory stands where a file goes.
    """
    deleted = {path for path, file in files.items() if file is None}
    for path, file in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            kind = _kind(root / parent)
            if kind == "symlink":
                raise UnsafePathError(path, f"{parent!r} is a symbolic link", root=root)
            if kind == "file" and file is not None and parent not in deleted:
                raise NodeKindError(root / parent, "directory", "file")
        if (
            file is not None
            and _kind(root / path) == "directory"
            and not any(other.startswith(path + "/") for other in deleted)
        ):
            raise NodeKindError(root / path, "file", "directory")


@dataclass
class ParkedFiles:
    """The files a write is about to replace or delete, kept aside until it lands.

    Each is hard-linked into a private folder of the ``.git`` directory (no data is
    copied, and nothing needs disk space to be put back), or, where hard links are not
    available, read into memory.
    """

    root: Path
    folder: Path
    linked: dict[str, Path] = field(default_factory=dict)
    copied: dict[str, WorktreeFile] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)

    def put_back(self) -> None:
        """Make every path as it was when parked (the write did not land)."""
        for path in sorted(self.absent, reverse=True):
            target = self.root / path
            if _kind(target) in ("file", "symlink"):
                target.unlink()
            _prune_empty_parents(self.root, target.parent)
        for path, parked in self.linked.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(parked, target)
        if self.copied:
            write_worktree(self.root, self.copied)
        self.drop()

    def drop(self) -> None:
        """Forget the parked files (the write landed)."""
        for parked in self.linked.values():
            parked.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError, OSError):
            self.folder.rmdir()


def park_worktree(
    root: Path, control_dir: Path, files: Mapping[str, WorktreeFile | None]
) -> ParkedFiles:
    """Keep aside what is on disk at each path of ``files``, for `ParkedFiles.put_back`.

    The folder is ``<control_dir>/gitworktree-parked-<pid>``: a writer killed mid-write
    leaves it, and the next one removes it (it is named by the dead writer's pid).
    Submodule entries are left out, as `write_worktree` leaves them.
    """
    parked = ParkedFiles(root, control_dir / f"{PARKED_PREFIX}{os.getpid()}")
    for number, (path, file) in enumerate(sorted(files.items())):
        if file is not None and file.mode == _GITLINK_MODE:
            continue
        target = root / path
        kind = _kind(target)
        if kind is None:
            parked.absent.append(path)
        elif kind in ("file", "symlink"):
            _park(parked, path, target, number)
        # a directory: the files below it that change are in ``files`` themselves
    return parked


#: The folder a writer keeps the files it replaces in, until its commit lands.
PARKED_PREFIX = "gitworktree-parked-"


def _park(parked: ParkedFiles, path: str, target: Path, number: int) -> None:
    destination = parked.folder / str(number)
    try:
        parked.folder.mkdir(exist_ok=True)
        os.link(target, destination, follow_symlinks=False)
    except OSError:  # no hard links here (some file systems): keep the bytes instead
        mode = os.lstat(target).st_mode
        if stat.S_ISLNK(mode):
            parked.copied[path] = WorktreeFile(_SYMLINK_MODE, os.fsencode(os.readlink(target)))
        else:
            git_mode = _EXECUTABLE_MODE if mode & 0o100 else 0o100644
            parked.copied[path] = WorktreeFile(git_mode, target.read_bytes())
        return
    parked.linked[path] = destination


def write_worktree(
    root: Path, files: Mapping[str, WorktreeFile | None]
) -> dict[str, os.stat_result | None]:
    """Delete and write files under ``root``: each write is atomic (temp file + rename).

    Deletions go first, and directories they leave empty are removed, so that a file can
    replace a directory and the reverse.

    Returns:
        path -> ``lstat`` of the written file, or ``None`` for a deleted path. Submodule
        entries are neither written nor returned.
    """
    written: dict[str, os.stat_result | None] = {}
    unlinked: dict[Path, None] = {}
    for path in sorted((p for p, f in files.items() if f is None), reverse=True):
        target = root / path
        if _kind(target) in ("file", "symlink"):
            target.unlink()
            unlinked[target.parent] = None
        _prune_empty_parents(root, target.parent)
        written[path] = None
    for directory in unlinked:
        if directory.is_dir():  # pruned directories took their entries with them
            fsync_directory(directory)
    regular: list[tuple[Path, bytes, int]] = []
    for path, file in sorted(files.items()):
        if file is None or file.mode == _GITLINK_MODE:
            continue
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.mode == _SYMLINK_MODE:
            _write_symlink(target, os.fsdecode(file.data))
        else:
            regular.append((target, file.data, 0o755 if file.mode == _EXECUTABLE_MODE else 0o644))
    if regular:
        atomic_write_many(regular)  # each file atomic; flushed in batches
    for path, file in files.items():
        if file is not None and file.mode != _GITLINK_MODE:
            written[path] = os.lstat(root / path)
    return written


def _kind(path: Path) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    return "directory" if stat.S_ISDIR(mode) else "file"


def _prune_empty_parents(root: Path, directory: Path) -> None:
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:  # not empty (or already gone): stop here
            return
        directory = directory.parent


def _write_symlink(target: Path, destination: str) -> None:
    temp = target.parent / f".gwt-tmp-{target.name}.{os.getpid()}.{os.urandom(4).hex()}"
    assert is_temporary(temp.name)  # the name atomic.py's clean-up recognizes
    os.symlink(destination, temp)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(target.parent)
