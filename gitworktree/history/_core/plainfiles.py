"""Whole reads of git's own files (the index, a shared index), refusing what is not a file.

A damaged or tampered ``.git`` can hold a FIFO where the index goes, or a link to
``/dev/zero``: a plain ``open`` of the first blocks forever, and reading the second fills
memory until the process dies. git itself hangs on the first. Here each file is opened
without blocking, checked with ``fstat`` before a byte is read, and read to its size.
"""

from __future__ import annotations

import os
import stat

from gitworktree.errors import RepositoryError

__all__ = ["is_plain_file", "read_plain_file"]

_KINDS = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFSOCK: "socket",
    stat.S_IFDIR: "directory",
}


def read_plain_file(path: str | os.PathLike[str]) -> tuple[bytes, os.stat_result] | None:
    """The bytes of the regular file at ``path`` (symbolic links followed) and its stat.

    With plain descriptor calls: a buffered file object costs three more system calls.

    Returns:
        ``None`` if nothing is at ``path``.

    Raises:
        RepositoryError: if ``path`` is not a regular file (``reason="damaged"``).
        OSError: if it cannot be read (a permission, an I/O error).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:  # some systems refuse to open a directory at all
        raise _not_a_file(path, "directory") from None
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise _not_a_file(path, _KINDS.get(stat.S_IFMT(found.st_mode), "special file"))
        chunks = []
        left = found.st_size
        while True:  # to the end, though the size says when: a file may grow meanwhile
            chunk = os.read(fd, max(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), found
    finally:
        os.close(fd)


def is_plain_file(path: str | os.PathLike[str] | bytes, mode: int) -> bool:
    """Whether ``mode`` (of the file at ``path``) is a regular file; ``False`` for a
    directory (a ref folder where a ref is looked up: git reads none there either).

    Raises:
        RepositoryError: for a FIFO, device or socket (``reason="damaged"``).
    """
    if stat.S_ISREG(mode):
        return True
    if stat.S_ISDIR(mode):
        return False
    raise _not_a_file(os.fsdecode(path), _KINDS.get(stat.S_IFMT(mode), "special file"))


def _not_a_file(path: str | os.PathLike[str], kind: str) -> RepositoryError:
    return RepositoryError(
        os.fspath(path),
        f"this is a {kind}, not a file: the repository is damaged (git cannot read it "
        "either). Move it aside; for the index, `git reset` then writes a new one from HEAD",
        reason="damaged",
    )
