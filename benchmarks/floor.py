"""The floor of a commit: the same writes and fsyncs as ``tree.commit()``, no library.

`StraightLineCommit` commits one changed file of the benchmark's repository in straight
code: the file written atomically (temporary file, fsync, rename, fsync of its
directory), its blob and the trees on its path and the commit as loose objects (zlib as
gitworktree writes them: level 1, large trees stored at level 0), the whole index
rewritten with the entry's new id and stat data and a new checksum and renamed from
``index.lock``, the branch written through ``<ref>.lock`` with an fsync and a rename,
and a line in the branch's and HEAD's reflogs. No parsing, no checks, no validation:
what is left of a commit when everything but its bytes and system calls is taken away.
It knows where each entry is because the layout never changes (same-length names).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import zlib
from pathlib import Path

from benchmarks.data import git_env

__all__ = ["StraightLineCommit"]

_STORED_FROM = 64 * 1024  # as gitworktree/history/_objects/rawtrees.py
_IDENTITY = b"Bench <bench@example.com>"


def _cat(root: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, check=True, env=git_env()
    ).stdout


class StraightLineCommit:
    """Commits to one repository, one file at a time, with no library in the way."""

    def __init__(self, root: Path, directory: str) -> None:
        self.root = root
        self.git = root / ".git"
        self.directory = directory
        self.ref = _cat(root, "symbolic-ref", "HEAD").strip().decode()
        self.head = _cat(root, "rev-parse", "HEAD").strip()
        # The raw trees from the root down to ``directory``: (name in parent, raw body).
        self.trees: list[tuple[bytes, bytes]] = []
        spec = "HEAD^{tree}"
        name = b""
        for part in ["", *directory.split("/")]:
            if part:
                spec += f":{part}" if spec.endswith("}") else f"/{part}"
                name = part.encode()
            self.trees.append((name, _cat(self.root, "cat-file", "tree", spec)))
        self.index = (self.git / "index").read_bytes()

    def commit(self, name: str, data: bytes, message: bytes) -> None:
        """Write ``directory/name`` with ``data`` and commit it on the branch."""
        path = self.root / self.directory / name
        temp = path.with_name(f".{name}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(temp, path)
        directory_fd = os.open(path.parent, os.O_RDONLY)
        os.fsync(directory_fd)
        os.close(directory_fd)
        stat = os.lstat(path)

        sha = self._write_object(b"blob", data)
        entry_name = name.encode()
        trees = []
        for parent_name, body in reversed(self.trees):
            at = body.index(b" " + entry_name + b"\0") + len(entry_name) + 2
            body = body[:at] + sha + body[at + 20 :]
            trees.append((parent_name, body))
            sha = self._write_object(b"tree", body)
            entry_name = parent_name
        self.trees = list(reversed(trees))
        now = int(time.time())
        signature = b"%s %d +0000" % (_IDENTITY, now)
        commit = b"tree %s\nparent %s\nauthor %s\ncommitter %s\n\n%s\n" % (
            sha.hex().encode(), self.head, signature, signature, message
        )  # fmt: skip
        new = self._write_object(b"commit", commit).hex().encode()

        self._write_index(f"{self.directory}/{name}".encode(), stat, self._blob_of(data))
        lock = self.git / f"{self.ref}.lock"
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, new + b"\n")
        os.fsync(fd)
        os.close(fd)
        os.replace(lock, self.git / self.ref)
        line = b"%s %s %s\tcommit: %s\n" % (self.head, new, signature, message)
        for log in (self.git / "logs" / self.ref, self.git / "logs" / "HEAD"):
            with open(log, "ab") as handle:
                handle.write(line)
        self.head = new

    @staticmethod
    def _blob_of(data: bytes) -> bytes:
        return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).digest()

    def _write_object(self, kind: bytes, body: bytes) -> bytes:
        header = b"%s %d\0" % (kind, len(body))
        sha = hashlib.sha1(header + body, usedforsecurity=False).digest()
        hexsha = sha.hex()
        directory = self.git / "objects" / hexsha[:2]
        path = directory / hexsha[2:]
        if path.exists():
            return sha
        directory.mkdir(exist_ok=True)
        compressor = zlib.compressobj(0 if len(body) >= _STORED_FROM else 1)
        compressed = compressor.compress(header) + compressor.compress(body) + compressor.flush()
        temp = directory / f"tmp_obj_{os.getpid()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        os.write(fd, compressed)
        os.close(fd)
        os.replace(temp, path)
        return sha

    def _write_index(self, path: bytes, stat: os.stat_result, sha: bytes) -> None:
        at = self.index.index(path + b"\0") - 62
        fields = b"".join(
            (int(value) & 0xFFFFFFFF).to_bytes(4, "big")
            for value in (
                stat.st_ctime, stat.st_ctime_ns % 10**9, stat.st_mtime, stat.st_mtime_ns % 10**9,
                stat.st_dev, stat.st_ino, 0o100644, stat.st_uid, stat.st_gid, stat.st_size,
            )
        )  # fmt: skip
        body = self.index[:at] + fields + sha + self.index[at + 60 : -20]
        self.index = body + hashlib.sha1(body, usedforsecurity=False).digest()
        lock = self.git / "index.lock"
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, self.index)
        os.close(fd)
        os.replace(lock, self.git / "index")
