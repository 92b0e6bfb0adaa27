"""The configuration files, parsed again only when one of them changed.

dulwich opens and parses every config file (``.git/config``, the global and the system
one) each time it is asked for the config stack, and a commit asks for it to learn its
line endings, ``core.fileMode``, ``core.splitIndex`` and the identity. `ConfigFiles`
keeps the last stack and checks its files with one ``stat`` each instead: a file
edited, created, deleted or replaced since (another inode, size, modification or change
time) makes the stack be read again, so an edit made between two commits applies from
the next one, as it does with git.

A file is trusted by its stamp only once its clock has moved on since its last change:
two edits of the same size within one tick of the file system's clock would leave the
same stamps (git's "racily clean" case). A file changed less than 100 ms before it was
read (two seconds where its stamps are whole seconds, as on FAT or HFS+) is read again
the next time. A stack whose files include others (``include.path``, ``includeIf``) is
never kept: the included files, and conditions such as ``onbranch:``, are not watched.
`FileStamp` and `settled` serve the attributes files the same way (`AttributeFiles`).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, NamedTuple

from dulwich.config import StackedConfig

if TYPE_CHECKING:
    from dulwich.config import NameLike, SectionLike, Value
    from dulwich.repo import Repo

__all__ = ["ConfigFiles", "FileStamp", "settled", "stamp_of"]

# How long a file must have stayed unchanged before its stamp stands for its content:
# longer than a tick of the kernel's coarse clock (1-10 ms) that stamps files, and than a
# whole second where the file system keeps no more.
_SETTLE_NS = 100_000_000
_SETTLE_COARSE_NS = 2_000_000_000
_SECOND_NS = 1_000_000_000

# The environment variables that decide which config files dulwich reads.
_PLACING = (
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
)


class FileStamp(NamedTuple):
    """What ``stat`` says of a file: any edit, replacement or ``touch`` changes it."""

    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileStamp:
        """The stamp of a file whose ``stat`` is ``info``."""
        return cls(info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def stamp_of(path: str) -> FileStamp | None:
    """The stamp of the file at ``path`` (symbolic links followed); ``None``: no file.

    Raises:
        OSError: if it cannot be looked at (a permission): nothing can be kept for it.
    """
    try:
        return FileStamp.of(os.stat(path))
    except (FileNotFoundError, NotADirectoryError):
        return None


def settled(stamp: FileStamp | None, now_ns: int) -> bool:
    """Whether a file stamped ``stamp`` when read at ``now_ns`` cannot change unnoticed.

    That is, whether any later edit would give it another stamp (see above).
    """
    if stamp is None:
        return True
    coarse = stamp.mtime_ns % _SECOND_NS == 0 or stamp.ctime_ns % _SECOND_NS == 0
    margin = _SETTLE_COARSE_NS if coarse else _SETTLE_NS
    return max(stamp.mtime_ns, stamp.ctime_ns) + margin < now_ns


class ConfigFiles:
    """The config stack of one repository, read again only when one of its files changed.

    The stack returned is shared until a file changes: read it, never ``set`` in it
    (write config through ``Repo.get_config`` and ``write_to_path``; the change is then
    seen by the next call).
    """

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._kept: tuple[tuple[tuple[str, FileStamp | None], ...], StackedConfig] | None = None
        self._paths_for: tuple[tuple[str | None, ...], tuple[str, ...] | None] | None = None

    def stack(self) -> StackedConfig:
        """The config stack as its files are now (dulwich's ``Repo.get_config_stack``).

        Raises:
            ValueError: a config file does not parse (as dulwich raises it).
        """
        paths = self._paths()
        now = time.time_ns()
        try:
            stamps = tuple((path, stamp_of(path)) for path in paths) if paths else None
        except OSError:
            stamps = None  # a file we cannot look at: read as dulwich reads it, every time
        kept = self._kept
        if stamps is not None and kept is not None and kept[0] == stamps:
            return kept[1]
        stack = self._repo.get_config_stack()
        self._kept = None
        all_settled = stamps is not None and all(settled(s, now) for _, s in stamps)
        if stamps is not None and all_settled and _self_contained(stack, paths):
            stack = _KeptStack(stack)
            self._kept = (stamps, stack)
        return stack

    def _paths(self) -> tuple[str, ...] | None:
        """The files dulwich's ``get_config_stack`` reads, in its order (``None``: unknown).

        Worked out again only when a variable that places them changed.
        """
        environment = tuple(os.environ.get(name) for name in _PLACING)
        known = self._paths_for
        if known is not None and known[0] == environment:
            return known[1]
        paths = self._find_paths()
        self._paths_for = (environment, paths)
        return paths

    def _find_paths(self) -> tuple[str, ...] | None:
        from dulwich.config import get_xdg_config_home_path

        if sys.platform == "win32":
            return None  # more system files, found by searching PATH
        paths = [os.path.join(self._repo.commondir(), "config")]
        environ = os.environ
        if "GIT_CONFIG_GLOBAL" in environ:
            paths.append(environ["GIT_CONFIG_GLOBAL"])
        else:
            paths.append(os.path.expanduser("~/.gitconfig"))
            paths.append(get_xdg_config_home_path("git", "config"))
        if "GIT_CONFIG_SYSTEM" in environ:
            paths.append(environ["GIT_CONFIG_SYSTEM"])
        elif "GIT_CONFIG_NOSYSTEM" not in environ:
            paths.append("/etc/gitconfig")
        return tuple(paths)


class _KeptStack(StackedConfig):
    """A stack kept while its files are unchanged: its answers are kept with it.

    A commit asks the same handful of settings (``core.autocrlf``, ``core.fileMode``,
    ...); each plain lookup walks every file of the stack.
    """

    def __init__(self, stack: StackedConfig) -> None:
        super().__init__(stack.backends, writable=stack.writable)
        self._answers: dict[tuple[SectionLike, NameLike], Value | None] = {}

    def get(self, section: SectionLike, name: NameLike) -> Value:
        key = (section, name)
        try:
            found = self._answers[key]
        except KeyError:
            try:
                found = super().get(section, name)
            except KeyError:
                found = None
            self._answers[key] = found
        if found is None:
            raise KeyError(name)
        return found


def _self_contained(stack: StackedConfig, paths: tuple[str, ...] | None) -> bool:
    """Whether the stamps of ``paths`` alone tell when ``stack`` must be read again."""
    if paths is None:
        return False
    for backend in stack.backends:
        if getattr(backend, "path", None) not in paths:
            return False  # a file dulwich reads that we do not watch (config.worktree)
        for section in backend.sections():
            if section and section[0].lower() in (b"include", b"includeif"):
                return False
    return True
