"""Building hostile and damaged repositories from raw bytes, for the reliability suites.

Objects are written by hand (zlib and all: dulwich and ``git hash-object`` check some of
what these break), packs and their indexes too; a damage is a function of the work tree
root. `snapshot` records a directory's entries without opening a FIFO.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

from dulwich.pack import write_pack_index

from tests.oracle import git

__all__ = [
    "BLOB",
    "INFLATES_PAST_ITS_SIZE",
    "OFS_DELTA",
    "OTHER_ID",
    "REF_DELTA",
    "WHO",
    "append_config",
    "blob_of",
    "commit_on_top",
    "delta",
    "dev_zero",
    "entry_header",
    "fifo",
    "git_file_to",
    "in_git_dir",
    "in_place",
    "loose_file",
    "pack_holding_head_blob",
    "ref_delta_to",
    "snapshot",
    "text",
    "write_object",
]

WHO = b"Mallory <mallory@example.com> 1700000000 +0000"


def write_object(root: Path, kind: str, body: bytes) -> str:
    """A loose object written by hand: dulwich and ``git hash-object`` check some."""
    data = f"{kind} {len(body)}".encode() + b"\0" + body
    sha = hashlib.sha1(data).hexdigest()
    path = root / ".git" / "objects" / sha[:2] / sha[2:]
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(zlib.compress(data))
    return sha


def commit_on_top(header: bytes, message: bytes = b"\nhostile\n") -> Callable[[Path], None]:
    """A damage: ``main`` moved to a commit of HEAD's tree with ``header`` after its
    ``tree`` and ``parent`` lines, then ``message``."""

    def damage(root: Path) -> None:
        tree = git(root, "rev-parse", "HEAD^{tree}").strip().encode()
        parent = git(root, "rev-parse", "HEAD").strip().encode()
        body = b"tree %s\nparent %s\n%s%s" % (tree, parent, header, message)
        sha = write_object(root, "commit", body)
        (root / ".git" / "refs" / "heads" / "main").write_text(sha + "\n")

    return damage


def git_file_to(target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        shutil.rmtree(root / ".git")
        (root / ".git").write_text(f"gitdir: {target(root)}\n")

    return damage


def in_git_dir(name: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        path = root / ".git" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        make(path)

    return damage


def fifo(path: Path) -> None:
    os.mkfifo(path)


def in_place(path: Path, make: Callable[[Path], None]) -> None:
    """``make`` a special file where the file at ``path`` was."""
    path.unlink()
    make(path)


def dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def append_config(root: Path, lines: str) -> None:
    with open(root / ".git" / "config", "a") as config:
        config.write(lines)


def text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every entry under ``root`` (links not followed): its mode, and a file's bytes or a
    link's target. A FIFO is recorded, never opened."""
    found: dict[str, tuple[int, bytes]] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                content = os.readlink(path).encode()
            elif stat.S_ISREG(mode):
                content = path.read_bytes()
            else:
                content = b""
            found[str(path.relative_to(root))] = (mode, content)
    return found


OFS_DELTA, REF_DELTA, BLOB = 6, 7, 3


def entry_header(kind: int, size: int) -> bytes:
    """A pack entry's type and (inflated) size, as git varint-encodes them."""
    byte, size, out = (kind << 4) | (size & 0x0F), size >> 4, bytearray()
    while size:
        out.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    return bytes(out) + bytes([byte])


def delta(body: bytes) -> bytes:
    """A delta (base size 4, result size ``len(body)``) inserting ``body`` (< 128 bytes)."""
    return bytes([4, len(body), len(body)]) + body


Entry = bytes | Callable[[str], bytes]


def pack_holding_head_blob(*entries: tuple[str, Entry]) -> Callable[[Path], None]:
    """A damage: HEAD's ``notes.txt`` blob moved out of its loose file into a pack of
    ``entries`` (``"head"`` for its id, else an id in hex), each stored as given (or as
    made from the blob's id)."""

    def damage(root: Path) -> None:
        head = git(root, "rev-parse", "HEAD:notes.txt").strip()
        (root / ".git" / "objects" / head[:2] / head[2:]).unlink()
        data = bytearray(b"PACK" + (2).to_bytes(4, "big") + len(entries).to_bytes(4, "big"))
        index = []
        for name, entry in entries:
            sha = head if name == "head" else name
            raw = entry(head) if callable(entry) else entry
            index.append((bytes.fromhex(sha), len(data), zlib.crc32(raw)))
            data += raw
        checksum = hashlib.sha1(data).digest()
        pack = root / ".git" / "objects" / "pack" / f"pack-{checksum.hex()}"
        pack.with_suffix(".pack").write_bytes(bytes(data) + checksum)
        with open(pack.with_suffix(".idx"), "wb") as idx:
            write_pack_index(idx, sorted(index), checksum)

    return damage


def ref_delta_to(base: str) -> bytes:
    body = delta(b"two\n")
    return entry_header(REF_DELTA, len(body)) + bytes.fromhex(base) + zlib.compress(body)


OTHER_ID = "ab" * 20


INFLATES_PAST_ITS_SIZE = entry_header(BLOB, 4) + zlib.compress(b"\0" * 65536)


def loose_file(root: Path, revision: str) -> Path:
    sha = git(root, "rev-parse", revision).strip()
    return root / ".git" / "objects" / sha[:2] / sha[2:]


def blob_of(root: Path) -> str:
    return git(root, "rev-parse", "HEAD:notes.txt").strip()
