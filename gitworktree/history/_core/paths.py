"""Repository-relative paths: the only form in which paths enter the history layer.

A path is a POSIX string relative to the work tree root (``data/notes.json``). Anything
that could leave the root or reach into ``.git`` is refused with `UnsafePathError` before
it is used to build a tree or touch a file.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitworktree.errors import UnsafePathError
from gitworktree.history._core.untrusted import MAX_NAME_BYTES, entry_problem

__all__ = [
    "check_repo_path",
    "check_repo_prefixes",
    "decode_path",
    "encode_path",
    "under_prefix",
]


def check_repo_path(path: str) -> str:
    """Check a repository-relative file or directory path.

    Args:
        path: a POSIX path relative to the work tree root; one trailing ``/`` is allowed
            (and removed) so that directory prefixes can be written ``data/``.

    Returns:
        The path without a trailing ``/``.

    Raises:
        UnsafePathError: for an empty or absolute path, a ``.``, ``..`` or empty level, a
            ``.git`` level (in any case, or a spelling HFS+ or NTFS reads as ``.git``), a
            backslash, a control character, or a level longer than 255 bytes.
    """
    if not isinstance(path, str):
        raise UnsafePathError(path, "a path must be a string")
    clean = path[:-1] if path.endswith("/") else path
    if not clean:
        raise UnsafePathError(path, "the path is empty")
    if clean.startswith("/"):
        raise UnsafePathError(path, "absolute paths are not allowed; give it relative to the root")
    if "\\" in clean:
        raise UnsafePathError(path, "use '/' to separate levels, not '\\'")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in clean):
        raise UnsafePathError(path, "the path contains a control character")
    for part in clean.split("/"):
        if part in ("", ".", ".."):
            raise UnsafePathError(path, f"the path contains a {part or 'empty'!r} level")
        if part.lower() == ".git":
            raise UnsafePathError(path, "the path reaches into .git")
        if len(encode_path(part)) > MAX_NAME_BYTES:
            raise UnsafePathError(
                path, f"a level is longer than {MAX_NAME_BYTES} bytes, which file systems refuse"
            )
        # What we write must pass the rules we read trees by (``.git.``, ``git~1`` ...).
        problem = entry_problem(encode_path(part), b"100644")
        if problem is not None:
            raise UnsafePathError(path, f"the level {part!r} {problem}")
    return clean


def check_repo_prefixes(paths: Iterable[str] | None) -> tuple[str, ...] | None:
    """Check an optional collection of path filters (files or directory prefixes).

    Args:
        paths: the filters, or ``None`` for no filter.

    Returns:
        The checked paths, or ``None`` when ``paths`` is ``None``.

    Raises:
        UnsafePathError: if any of them is unsafe (see `check_repo_path`).
    """
    if paths is None:
        return None
    if isinstance(paths, str):
        paths = [paths]
    return tuple(check_repo_path(path) for path in paths)


def under_prefix(path: str, prefixes: Iterable[str] | None) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies in a directory named by one.

    Args:
        path: a repository-relative file path.
        prefixes: checked filters; ``None`` matches everything.
    """
    if prefixes is None:
        return True
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def encode_path(path: str) -> bytes:
    """A repository path as git stores it (UTF-8; undecodable bytes round-trip)."""
    return path.encode("utf-8", "surrogateescape")


def decode_path(raw: bytes) -> str:
    """A path from a git tree or index as a string (the inverse of `encode_path`)."""
    return raw.decode("utf-8", "surrogateescape")
