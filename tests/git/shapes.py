"""Helpers of the repository-shape tests: a fingerprint of everything under a directory."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["fingerprint"]


def fingerprint(root: Path) -> dict[str, tuple[int, str]]:
    """Every file, directory and symlink under ``root`` (``.git`` included): mode and digest.

    Two equal fingerprints mean nothing was created, deleted, rewritten or chmod-ed.
    """
    found: dict[str, tuple[int, str]] = {}
    if not root.exists():
        return found
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory) / name
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[relative] = (info.st_mode, os.readlink(path))
            elif path.is_dir():
                found[relative] = (info.st_mode, "")
            else:
                found[relative] = (info.st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return found
