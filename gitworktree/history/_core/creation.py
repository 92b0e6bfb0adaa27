"""Creating a repository whole: ``.git`` appears complete, or not at all.

dulwich's ``Repo.init`` makes ``.git`` first and fills it in afterwards (folders, the
object store, ``HEAD``, ``config``). Another process opening the directory meanwhile —
a second agent mounting the same fresh directory at the same moment, a person's
``git status`` — finds a ``.git`` without ``HEAD`` or with an empty one, and reads it as a
damaged repository. So the control directory is built in a private folder inside the
work tree and renamed into place in one step, as git writes any file it must not be
seen half-written. A process that loses the race to another finds that one's
repository in place, complete, and uses it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from dulwich.repo import Repo

from gitworktree.atomic import unique_token
from gitworktree.history._core.opening import GitRepo
from gitworktree.history._core.processes import holder_is_alive

__all__ = ["BUILDING_PREFIX", "create_repository", "is_empty_directory", "remove_if_unused"]

#: The private folder ``.git`` is built in: ``<root>/.gitworktree-init-<pid>-<id>``.
BUILDING_PREFIX = ".gitworktree-init-"

#: The ``.git`` directories this process put in place, by (device, inode).
_CREATED: set[tuple[int, int]] = set()


def create_repository(root: Path, branch: bytes) -> Repo:
    """Make ``root/.git`` (a repository whose HEAD names ``branch``), or open the one
    another process made meanwhile.

    Raises:
        OSError: the folder cannot be made or renamed (permissions, a full disk).
    """
    _remove_abandoned(root)
    building = root / f"{BUILDING_PREFIX}{os.getpid()}-{unique_token()}"
    building.mkdir()
    try:
        (building / ".git").mkdir()
        # dulwich's `Repo.init` without its `mkdir` of the final `.git`: the same files.
        made = Repo._init_maybe_bare(
            str(building), str(building / ".git"), False, default_branch=branch
        )
        made.close()
        try:
            os.rename(building / ".git", root / ".git")
            info = os.stat(root / ".git")
            _CREATED.add((info.st_dev, info.st_ino))
        except OSError:
            if not os.path.lexists(root / ".git"):
                raise
            # Another process put its repository in place first: that one is used.
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return GitRepo(str(root))


def _remove_abandoned(root: Path) -> None:
    """Remove the building folders of processes killed while they made a repository."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            if not entry.name.startswith(BUILDING_PREFIX) or not entry.is_dir():
                continue
            pid = entry.name[len(BUILDING_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not holder_is_alive({"pid": int(pid)}):
                shutil.rmtree(entry.path, ignore_errors=True)


def remove_if_unused(git_dir: Path) -> bool:
    """Remove ``git_dir`` if this process created it and no ref was ever written in it.

    What a failed first mount takes away. A repository another process created — it
    may have mounted the same directory at the same moment — or one that holds a
    commit (this process's or another's) is left alone: removing it would lose work.

    Returns:
        Whether it was removed.
    """
    try:
        info = os.stat(git_dir)
    except OSError:
        return False
    if (info.st_dev, info.st_ino) not in _CREATED or _holds_refs(git_dir):
        return False
    _CREATED.discard((info.st_dev, info.st_ino))
    shutil.rmtree(git_dir, ignore_errors=True)
    return True


def _holds_refs(git_dir: Path) -> bool:
    """Whether any ref (loose or packed) or reflog exists: someone committed here."""
    with contextlib.suppress(OSError):
        if (git_dir / "packed-refs").stat().st_size:
            return True
    for folder in ("refs", "logs"):
        for _directory, _folders, files in os.walk(git_dir / folder):
            if files:
                return True
    return False


def is_empty_directory(path: Path) -> bool:
    """Whether ``path`` is a directory (not a link to one) holding nothing: an empty
    ``.git`` that ``git init`` would fill, and creation's rename replaces whole."""
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False
