"""Hostile repositories built from raw Git objects, as an attacker would write them.

``git mktree`` and dulwich refuse some of these trees, so the objects are written by
hand: a zlib-compressed loose object per blob, tree and commit, entries in the order
given (duplicates and all), refs as plain files.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Gitlink",
    "Link",
    "Raw",
    "blob",
    "commit",
    "hostile_commit",
    "set_branch",
    "snapshot",
    "tree",
    "write_object",
]


@dataclass(frozen=True)
class Link:
    """A symbolic link entry (mode 120000) pointing at ``target``."""

    target: bytes


@dataclass(frozen=True)
class Gitlink:
    """A submodule entry (mode 160000) naming a commit we do not have."""

    sha: str = "1" * 40


@dataclass(frozen=True)
class Raw:
    """An entry written exactly as given: any mode, any id."""

    mode: bytes
    sha: str


#: What a tree entry holds: file content, a subtree, a link, a submodule or raw bytes.
Node = bytes | Sequence[tuple[bytes, "Node"]] | Link | Gitlink | Raw


def write_object(git_dir: Path, kind: str, body: bytes) -> str:
    """Store one loose object (``kind``: blob, tree or commit) and return its id."""
    data = f"{kind} {len(body)}".encode() + b"\0" + body
    sha = hashlib.sha1(data).hexdigest()
    path = git_dir / "objects" / sha[:2] / sha[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(zlib.compress(data))
    return sha


def blob(git_dir: Path, data: bytes) -> str:
    """Store a blob."""
    return write_object(git_dir, "blob", data)


def tree(git_dir: Path, entries: Sequence[tuple[bytes, Node]]) -> str:
    """Store a tree with ``entries`` exactly in the order given (not sorted, not checked)."""
    body = b""
    for name, node in entries:
        mode, sha = _entry(git_dir, node)
        body += mode + b" " + name + b"\0" + bytes.fromhex(sha)
    return write_object(git_dir, "tree", body)


def _entry(git_dir: Path, node: Node) -> tuple[bytes, str]:
    if isinstance(node, bytes):
        return b"100644", blob(git_dir, node)
    if isinstance(node, Link):
        return b"120000", blob(git_dir, node.target)
    if isinstance(node, Gitlink):
        return b"160000", node.sha
    if isinstance(node, Raw):
        return node.mode, node.sha
    return b"40000", tree(git_dir, node)


def commit(git_dir: Path, tree_id: str, parents: Sequence[str] = (), message: str = "m") -> str:
    """Store a commit of ``tree_id``."""
    lines = [f"tree {tree_id}"] + [f"parent {parent}" for parent in parents]
    who = "Mallory <mallory@example.com> 1700000000 +0000"
    lines += [f"author {who}", f"committer {who}", "", message, ""]
    return write_object(git_dir, "commit", "\n".join(lines).encode())


def set_branch(git_dir: Path, sha: str, branch: str = "main") -> None:
    """Point ``refs/heads/<branch>`` at ``sha`` (a plain ref file)."""
    ref = git_dir / "refs" / "heads" / branch
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(sha + "\n")


def hostile_commit(
    git_dir: Path, entries: Sequence[tuple[bytes, Node]], parent: str | None = None
) -> str:
    """A commit whose tree is ``notes.txt`` plus ``entries`` (appended, unsorted)."""
    root = [(b"notes.txt", b"hello\n"), *entries]
    return commit(git_dir, tree(git_dir, root), [parent] if parent else [], "hostile")


#: Written by every writer that takes the lock, refused or not (who held it last).
_LOCK_RECORD = ".git/gitworktree.lock"


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every file, link and directory under ``root``: kind and content hash (or target)."""
    found: dict[str, tuple[str, str]] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if relative.endswith(_LOCK_RECORD):
                continue
            if path.is_symlink():
                found[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                found[relative] = ("dir", "")
            else:
                found[relative] = ("file", hashlib.sha1(path.read_bytes()).hexdigest())
    return found
