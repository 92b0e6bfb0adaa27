"""Writing committed files into the work tree: atomically, and only the changed paths.

`check_worktree_targets` runs before anything is published, so that a path blocked on
disk (a symlinked parent directory, a directory where a file goes) fails the commit
while nothing has been written yet. `write_worktree` then deletes, writes, and returns
the stat of every written file for the index.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from gitworktree.atomic import (
    atomic_write_many,
    fsync_directory,
    is_temporary,
    process_id,
    unique_token,
    write_all,
)
from gitworktree.errors import NodeKindError, UnsafePathError, UntrustedTreeError
from gitworktree.history._core.paths import encode_path
from gitworktree.history._core.untrusted import check_link_target, entry_problem
from gitworktree.history._worktree.attributes import WorktreeFilters

__all__ = [
    "PARKED_PREFIX",
    "ParkedFiles",
    "WorktreeFile",
    "check_worktree_targets",
    "park_worktree",
    "put_back_parked",
    "write_worktree",
]

_SYMLINK_MODE = 0o120000
_EXECUTABLE_MODE = 0o100755
_GITLINK_MODE = 0o160000


class WorktreeFile(NamedTuple):
    """A file to write: its git mode (100644, 100755 or 120000) and content."""

    mode: int
    data: bytes


def check_worktree_targets(root: Path, files: Mapping[str, WorktreeFile | None]) -> None:
    """Check that every path in ``files`` can be written or deleted under ``root``.

    Args:
        root: the work tree root.
        files: checked repository-relative path -> file to write, or ``None`` to delete.

    Raises:
        UntrustedTreeError: if a symbolic link would point anywhere but down from its own
            directory (see `check_link_target`).
        UnsafePathError: if a parent directory on disk is a symbolic link (writing through
            it could leave the root).
        NodeKindError: if a file stands where a parent directory is needed and is not
            deleted by the same change, or a non-empty directory stands where a file goes.
    """
    _check_paths(files)
    _check_links(files)
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


class ParkedFiles:
    """The files a write is about to replace or delete, kept aside until it lands.

    Each is hard-linked (or, where hard links are not available, copied) into a private
    folder of the ``.git`` directory, with a manifest naming every path the write
    touches. So putting them back needs no disk space, and a writer killed before its
    commit landed can be undone by the next one (`put_back_parked`).

    Attributes:
        root: the work tree root.
        folder: the private folder in ``.git`` the files are kept in.
        parked: repository-relative path -> its file's name in ``folder``.
        absent: the paths the write creates (nothing to keep; removed to put back).
    """

    # A plain class: every writing command imports this module, and making a dataclass
    # costs ~0.3 ms of its start-up.
    __slots__ = ("absent", "folder", "parked", "root")

    def __init__(
        self,
        root: Path,
        folder: Path,
        parked: dict[str, str] | None = None,
        absent: list[str] | None = None,
    ) -> None:
        self.root = root
        self.folder = folder
        self.parked: dict[str, str] = {} if parked is None else parked
        self.absent: list[str] = [] if absent is None else absent

    def put_back(self) -> None:
        """Make every path as it was when parked (the write did not land)."""
        for path in sorted(self.absent, reverse=True):
            target = self.root / path
            if _kind(target) in ("file", "symlink"):
                target.unlink()
            _prune_empty_parents(self.root, target.parent)
        for path, name in self.parked.items():
            target = self.root / path
            if _kind(target) == "directory":
                continue  # someone made a directory of it since: theirs
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / name, target)
        self.drop()

    def drop(self) -> None:
        """Forget the parked files (the write landed).

        The folder itself stays for this process's next write (making and removing a
        directory in ``.git`` cost more than the rest of parking): it is removed when the
        process exits, or by the next writer of another process (`remove_parked_folder`).
        """
        for name in [*self.parked.values(), _MANIFEST]:
            (self.folder / name).unlink(missing_ok=True)


#: The folder a writer keeps the files it replaces in, until its commit lands.
PARKED_PREFIX = "gitworktree-parked-"
_MANIFEST = "manifest.json"


def park_worktree(
    root: Path, control_dir: Path, files: Mapping[str, WorktreeFile | None]
) -> ParkedFiles:
    """Keep aside what is on disk at each path of ``files``, for `ParkedFiles.put_back`.

    The folder is ``<control_dir>/gitworktree-parked-<pid>``. Submodule entries are left
    out, as `write_worktree` leaves them. Costs a link per file that exists and one small
    manifest, not a copy of the data.
    """
    parked = ParkedFiles(root, control_dir / f"{PARKED_PREFIX}{process_id()}")
    if parked.folder not in _KEPT_FOLDERS:
        parked.folder.mkdir(exist_ok=True)
        _KEPT_FOLDERS.add(parked.folder)
        atexit.register(remove_parked_folder, control_dir, process_id())
    elif not parked.folder.is_dir():  # removed by someone since: make it again
        parked.folder.mkdir(exist_ok=True)
    for number, (path, file) in enumerate(sorted(files.items())):
        if file is not None and file.mode == _GITLINK_MODE:
            continue
        target = root / path
        kind = _kind(target)
        if kind is None:
            parked.absent.append(path)
        elif kind in ("file", "symlink"):
            name = str(number)
            _park(target, parked.folder / name)
            parked.parked[path] = name
        # a directory: the files below it that change are in ``files`` themselves
    manifest = json.dumps({"parked": parked.parked, "absent": parked.absent}).encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    fd = os.open(parked.folder / _MANIFEST, flags, 0o666)  # as `open` makes it
    try:  # a plain descriptor: a buffered file object costs three more system calls
        write_all(fd, manifest)
    finally:
        os.close(fd)
    return parked


#: The parking folders this process made and keeps (see `ParkedFiles.drop`).
_KEPT_FOLDERS: set[Path] = set()


def remove_parked_folder(control_dir: Path, pid: object) -> None:
    """Remove writer ``pid``'s parking folder if it is empty (a no-op otherwise)."""
    if isinstance(pid, int):
        folder = control_dir / f"{PARKED_PREFIX}{pid}"
        with contextlib.suppress(OSError):
            folder.rmdir()
        _KEPT_FOLDERS.discard(folder)


def put_back_parked(root: Path, folder: Path) -> list[str]:
    """Undo the work-tree writes of a writer killed before its commit landed.

    Returns:
        The paths put back (empty if its folder holds no manifest).
    """
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
        parked = ParkedFiles(root, folder, dict(manifest["parked"]), list(manifest["absent"]))
    except (OSError, ValueError, KeyError, TypeError):
        return []
    parked.parked = {path: name for path, name in parked.parked.items() if (folder / name).exists()}
    parked.put_back()
    return sorted([*parked.parked, *parked.absent])


def _park(target: Path, destination: Path) -> None:
    try:
        os.link(target, destination, follow_symlinks=False)
        return
    except FileExistsError:  # left by an earlier write of a process with this pid
        destination.unlink()
    except OSError:
        pass
    try:
        os.link(target, destination, follow_symlinks=False)
    except OSError:  # no hard links here (some file systems): copy it instead
        if stat.S_ISLNK(os.lstat(target).st_mode):
            os.symlink(os.readlink(target), destination)
        else:
            import shutil  # only without hard links: a restore need not load it

            shutil.copy2(target, destination)


def write_worktree(
    root: Path,
    files: Mapping[str, WorktreeFile | None],
    filters: WorktreeFilters | None = None,
) -> dict[str, os.stat_result | None]:
    """Delete and write files under ``root``: each write is atomic (temp file + rename).

    Deletions go first, and directories they leave empty are removed, so that a file can
    replace a directory and the reverse. With ``filters``, a file's blob content is
    written with the line endings git would check it out with.

    Returns:
        path -> ``lstat`` of the written file, or ``None`` for a deleted path. Submodule
        entries are neither written nor returned.

    Raises:
        UntrustedTreeError: if a path has a level git would refuse (``..``, ``.git``),
            or a symbolic link would lead out of its directory; nothing was written then.
        UnsafePathError: if a parent directory on disk is a symbolic link.
        NodeKindError: if a file or directory on disk stands where the other goes.
    """
    # Again, whatever the caller checked: paths may come from the index (recovery, a
    # discard), and a person may have made a directory a symbolic link since: writing or
    # deleting through it would reach outside the root. The last gate before the disk.
    check_worktree_targets(root, files)
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
    if filters is not None:
        for path, file in files.items():
            if path == ".gitattributes" or path.endswith("/.gitattributes"):
                filters.expect(path, None if file is None else file.data)
    regular: list[tuple[Path, bytes, int]] = []
    present: set[Path] = set()  # directories seen to exist (one look each)
    for path, file in sorted(files.items()):
        if file is None or file.mode == _GITLINK_MODE:
            continue
        target = root / path
        if target.parent not in present:
            if not target.parent.is_dir():
                target.parent.mkdir(parents=True, exist_ok=True)
            present.add(target.parent)
        if file.mode == _SYMLINK_MODE:
            _write_symlink(target, os.fsdecode(file.data))
        else:
            data = file.data if filters is None else filters.smudge(path, file.data)
            regular.append((target, data, 0o755 if file.mode == _EXECUTABLE_MODE else 0o644))
    if regular:
        atomic_write_many(regular)  # each file atomic; flushed in batches
    for path, file in files.items():
        if file is not None and file.mode != _GITLINK_MODE:
            written[path] = os.lstat(root / path)
    return written


def _check_paths(files: Mapping[str, WorktreeFile | None]) -> None:
    """Refuse, before anything is written, a path with a level git would refuse."""
    for path in files:
        if path.startswith("/"):
            raise UntrustedTreeError(path, "is an absolute path")
        for part in path.split("/"):
            problem = entry_problem(encode_path(part), b"100644")
            if problem is not None:
                raise UntrustedTreeError(path, problem)


def _check_links(files: Mapping[str, WorktreeFile | None]) -> None:
    for path, file in files.items():
        if file is not None and file.mode == _SYMLINK_MODE:
            check_link_target(path, file.data)


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
    temp = target.parent / f".gwt-tmp-{target.name}.{process_id()}.{unique_token()}"
    assert is_temporary(temp.name)  # the name atomic.py's clean-up recognizes
    os.symlink(destination, temp)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(target.parent)
