"""Checking a repository's git directory before dulwich reads a byte of it.

dulwich reads several of git's files whole, with a plain ``open``, while it opens a
repository (``.git`` as a file, ``commondir``, ``config``, ``info/grafts``, ``shallow``)
or at the first ref or object lookup (``HEAD``, ``packed-refs``,
``objects/info/alternates``). A damaged or tampered ``.git`` can hold a FIFO there (a
plain ``open`` blocks forever; git itself hangs too) or a link to ``/dev/zero`` (read to
its end, it fills memory until a `MemoryError`). And a ``.git`` file or ``commondir``
can name a directory that is no repository at all (``/``, ``/etc``, the work tree
itself), which dulwich opens as an empty one: a mount there would start a new history
and write refs and objects into whatever directory it names. git refuses it ("not a git
repository"), and so does this, by git's own test (``is_git_directory`` in setup.c: a
``HEAD`` file, an ``objects`` and a ``refs`` directory).

Each check is one ``stat`` per file (and one listing of ``objects/pack``, whose packs
and indexes dulwich opens and maps the same way): nothing here reads more than the
``.git`` file, ``commondir`` and ``config`` (for the files its ``[include]`` sections
name, which dulwich reads the same way).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from gitworktree.errors import RepositoryError
from gitworktree.history._core.damage import damaged
from gitworktree.history._core.plainfiles import read_plain_file

__all__ = ["check_git_dir"]

# Read whole by dulwich in the repository's own git directory, and in the common one.
_OWN_FILES = ("HEAD", "config", "commondir")
_COMMON_FILES = ("config", "packed-refs", "shallow", "info/grafts", "objects/info/alternates")

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def check_git_dir(path: str | os.PathLike[str]) -> None:
    """Refuse a git directory that names no repository, or holds a special file where
    git keeps one of its own files.

    ``path`` is the work tree root, or a bare repository; a missing ``.git`` is left
    for the opener to report (not a repository), and a ``.git`` file naming a directory
    that does not exist too (it says so with the linked worktree's repair).

    Raises:
        RepositoryError: ``reason="damaged"``, naming the file or directory.
    """
    root = Path(path)
    dot_git = root / ".git"
    kind = _kind(dot_git)
    if kind is None and _looks_bare(root):
        control = root  # a bare repository (a host on this machine)
    elif kind is None or kind == "a directory":
        control = dot_git
    elif kind != "a file":
        raise _special(root, dot_git, kind, "move it aside")
    else:
        control = _follow_git_file(root, dot_git)
        if not control.exists():
            return
        _check_is_git_dir(root, control, f"its .git file points at {control}")
    for name in _OWN_FILES:
        _check_plain(root, control / name)
    common = _common_dir(root, control)
    if common != control:
        _check_is_git_dir(root, common, f"{control / 'commondir'} points at {common}")
    for name in _COMMON_FILES:
        _check_plain(root, common / name)
    for config in {control / "config", common / "config"}:
        for included in _included_files(config):
            _check_plain(root, included, f"remove the [include] naming it from {config}")
    _check_packs(root, common / "objects" / "pack")


_SECTION = re.compile(rb"^\s*\[\s*(include|includeif)\b", re.IGNORECASE)
_PATH = re.compile(rb"^\s*path\s*=\s*(.*?)\s*$", re.IGNORECASE)


def _included_files(config: Path) -> list[Path]:
    """The files ``config``'s ``[include]`` and ``[includeIf]`` sections name (dulwich
    reads them whole, with a plain ``open``, as it reads the config)."""
    found = read_plain_file(config)  # checked to be a plain file (or absent) just before
    if found is None:
        return []
    included, inside = [], False
    for line in found[0].splitlines():
        if line.lstrip().startswith(b"["):
            inside = _SECTION.match(line) is not None
            continue
        match = _PATH.match(line) if inside else None
        if match:
            name = os.fsdecode(match.group(1).strip(b'"'))
            included.append(config.parent / os.path.expanduser(name))
    return included


def _check_packs(root: Path, folder: Path) -> None:
    """Each pack and pack index, which dulwich opens (and maps) at the first lookup.

    One ``stat`` per file: a repository keeps a handful of packs (gitworktree and
    ``git gc --auto`` pack them into one past 50).
    """
    try:
        names = os.listdir(folder)
    except OSError:  # none yet, or unreadable: dulwich reports what it cannot read
        return
    for name in names:
        if name.endswith((".pack", ".idx")):
            _check_plain(root, folder / name)


def _looks_bare(root: Path) -> bool:
    return (root / "objects").is_dir() and (root / "refs").is_dir()


def _follow_git_file(root: Path | str, dot_git: Path) -> Path:
    """The directory a ``.git`` file's ``gitdir:`` line names (relative to the work tree)."""
    found = read_plain_file(dot_git)
    text = found[0] if found is not None else b""
    if not text.startswith(b"gitdir: "):
        raise damaged(root, f"its .git file does not start with `gitdir: ` ({dot_git})")
    target = os.fsdecode(text[len(b"gitdir: ") :].strip())
    if not target or "\0" in target:
        raise damaged(root, f"its .git file names no directory ({dot_git})")
    return dot_git.parent / target


def _common_dir(root: Path | str, control: Path) -> Path:
    """The common git directory: the one ``commondir`` names, else ``control`` itself."""
    pointer = control / "commondir"
    found = read_plain_file(pointer)  # checked to be a plain file just before
    if found is None:
        return control
    target = os.fsdecode(found[0].rstrip(b"\r\n"))
    if not target or "\0" in target:
        raise damaged(root, f"{pointer} names no directory")
    return control / target


def _check_is_git_dir(root: Path | str, directory: Path, how: str) -> None:
    """git's test of a git directory: a ``HEAD`` file, ``objects`` and ``refs`` folders.

    A linked worktree's own directory keeps its objects and refs in the common one,
    which it names in ``commondir``: there those two are looked for.
    """
    if _kind(directory / "HEAD") != "a file":
        raise _not_a_git_dir(root, directory, how)
    common = directory
    if (directory / "commondir").is_file():
        common = _common_dir(root, directory)
    if not ((common / "objects").is_dir() and (common / "refs").is_dir()):
        raise _not_a_git_dir(root, directory, how)


def _check_plain(root: Path | str, path: Path, repair: str = "move it aside") -> None:
    kind = _kind(path)
    if kind is not None and kind != "a file":
        raise _special(root, path, kind, repair)


def _kind(path: Path) -> str | None:
    """What is at ``path`` (links followed): ``"a file"``, ``"a FIFO"``, ... or ``None``."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:  # unreadable (permissions, a link loop): left to the reader to report
        return None
    if stat.S_ISREG(mode):
        return "a file"
    return _KINDS.get(stat.S_IFMT(mode), "a special file")


def _special(root: Path | str, path: Path, kind: str, repair: str) -> RepositoryError:
    # Named as damage, with the one repair that helps: git hangs or fails on it too.
    return damaged(root, f"{path} is {kind}, not a file (git cannot read it either); {repair}")


def _not_a_git_dir(root: Path | str, directory: Path, how: str) -> RepositoryError:
    return damaged(
        root,
        f"{how}, which is not a git directory (no HEAD file, objects and refs folders); "
        "fix that line",
    )
