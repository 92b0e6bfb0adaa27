"""Diffs between two commits, or a commit and the work tree, as `FileChange` lists.

Each change carries a git-style unified patch (``diff --git`` header, ``--- a/path`` /
``+++ b/path``, ``Binary files ... differ`` for binary content) and, for ``.json`` files
whose both sides parse, the structural changes by JSON Pointer.

Both are bounded, because a diff reads what others committed: a side over
`PATCH_LIMIT` bytes gets no line patch (``Large files ... differ``) and no pointer diff,
and is never held in memory while other files are diffed; a pointer diff lists at most
`LISTED_POINTERS` changes and counts the rest (see `bounded_pointer_changes`).

The patch text is written here, in the format of dulwich's ``gen_diff_header`` and
``unified_diff`` (git's), rather than with them: their module imports the email package,
which would make every ``show`` and ``diff`` start slower.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.object_store import BaseObjectStore
from dulwich.objects import S_ISGITLINK, Blob, ObjectID
from dulwich.repo import Repo

from gitworktree.history._core.damage import load_object
from gitworktree.history._core.paths import encode_path, under_prefix
from gitworktree.history._core.quoting import quote_path
from gitworktree.history._json.pointers import PointerChange, bounded_pointer_changes
from gitworktree.history._objects.rawtrees import diff_tree_files
from gitworktree.history._objects.sizes import object_size
from gitworktree.history._objects.trees import lookup_entry

if TYPE_CHECKING:
    from gitworktree.history._worktree.attributes import WorktreeFilters
    from gitworktree.history._worktree.status import StaleStats

__all__ = ["PATCH_LIMIT", "FileChange", "diff_trees", "diff_worktree", "file_change"]

# Sides larger than this get no line patch and no pointer diff: a unified diff of a
# bigger file is unreadable and costs several times its size in memory.
PATCH_LIMIT = 8 * 1024 * 1024
_SYMLINK_MODE = 0o120000
# As git: content with a NUL byte in its first 8000 bytes is binary (xdiff-interface.c).
_BINARY_PROBE = 8000
_NO_NEWLINE_AT_EOF = b"\n\\ No newline at end of file\n"


class _Side:
    """One side of a file change: its mode, blob id, size, and content if small enough.

    A plain class, not a dataclass: building a dataclass at import costs as much as the
    rest of this module, and ``show`` and ``diff`` import it at every start.
    """

    __slots__ = ("data", "mode", "sha", "size")

    def __init__(self, mode: int, sha: str, size: int, data: bytes | None) -> None:
        self.mode = mode
        self.sha = sha
        self.size = size
        self.data = data  # None: larger than PATCH_LIMIT, not held


@dataclass(frozen=True)
class FileChange:
    """How one file differs between two states.

    Attributes:
        path: repository-relative POSIX path.
        status: ``"added"``, ``"modified"`` or ``"deleted"``.
        old_sha: blob id before, ``None`` if added.
        new_sha: blob id after, ``None`` if deleted.
        patch: unified diff text with git-style headers; for a side over `PATCH_LIMIT`
            bytes, a ``Large files ... differ`` line with both sizes instead.
        pointers: for a ``.json`` file whose both sides parse, the changed values by JSON
            Pointer (at most `LISTED_POINTERS`); otherwise empty.
        pointers_omitted: changed values found beyond those listed in ``pointers``.
        pointers_complete: ``False`` if the documents were too large to compare to the
            end (``pointers_omitted`` is then a lower bound).
    """

    path: str
    status: str
    old_sha: str | None
    new_sha: str | None
    patch: str
    pointers: tuple[PointerChange, ...] = ()
    pointers_omitted: int = 0
    pointers_complete: bool = True


def diff_trees(
    store: BaseObjectStore,
    old_tree: ObjectID | None,
    new_tree: ObjectID | None,
    prefixes: Sequence[str] | None = None,
) -> list[FileChange]:
    """Changes from ``old_tree`` to ``new_tree`` (``None``: empty), sorted by path.

    A file whose type changed (a file became a symlink) is one change; a file that became
    a directory, or the reverse, is a deletion and additions. Submodules are left out.
    """
    changes = []
    # Our raw-tree diff, not dulwich's ``tree_changes``: same changes, and ``show`` does
    # not import dulwich's diff_tree module at start.
    for path, (old, new) in sorted(diff_tree_files(store, old_tree, new_tree).items()):
        entry = new if new is not None else old
        if entry is None or S_ISGITLINK(entry[0]) or not under_prefix(path, prefixes):
            continue
        old_side = None if old is None else _tree_side(store, old[0], old[1])
        new_side = None if new is None else _tree_side(store, new[0], new[1])
        changes.append(file_change(path, old_side, new_side))
    return changes


def diff_worktree(
    repo: Repo,
    old_tree: ObjectID | None,
    prefixes: Sequence[str] | None = None,
    stale: StaleStats | None = None,
) -> list[FileChange]:
    """Changes from ``old_tree`` to the files in the work tree, sorted by path (``stale``:
    where to note files found unchanged though their stat data changed)."""
    from gitworktree.history._worktree.attributes import WorktreeFilters
    from gitworktree.history._worktree.status import scan_worktree

    root = Path(repo.path)
    filters = WorktreeFilters.for_repo(repo)
    changes = []
    for status in scan_worktree(repo, old_tree, prefixes, stale):
        old_side: _Side | None = None
        new_side: _Side | None = None
        if status.old_sha is not None:
            assert old_tree is not None
            entry = lookup_entry(repo.object_store, old_tree, status.path)
            if entry is not None:
                old_side = _tree_side(repo.object_store, entry[0], entry[1])
        if status.new_sha is not None:
            new_side = _disk_side(root, status.path, status.new_sha, filters)
        changes.append(file_change(status.path, old_side, new_side))
    return changes


def file_change(path: str, old: _Side | None, new: _Side | None) -> FileChange:
    """Describe the change of ``path`` from side ``old`` to side ``new``."""
    status = "added" if old is None else "deleted" if new is None else "modified"
    pointers: tuple[PointerChange, ...] = ()
    omitted, complete = 0, True
    if (
        path.endswith(".json")
        and old is not None
        and new is not None
        and old.data is not None
        and new.data is not None
    ):
        found = bounded_pointer_changes(old.data, new.data)
        if found is not None:
            pointers, omitted, complete = found.listed, found.omitted, found.complete
    return FileChange(
        path,
        status,
        None if old is None else old.sha,
        None if new is None else new.sha,
        _patch(path, old, new),
        pointers,
        omitted,
        complete,
    )


def _patch(path: str, old: _Side | None, new: _Side | None) -> str:
    # Names quoted as git quotes them, so that a newline in a name cannot forge a line.
    quoted_a, quoted_b = (encode_path(quote_path(side + path)) for side in ("a/", "b/"))
    out = io.BytesIO()
    out.write(b"diff --git " + quoted_a + b" " + quoted_b + b"\n")
    out.write(_header(old, new))
    from_name = b"/dev/null" if old is None else quoted_a
    to_name = b"/dev/null" if new is None else quoted_b
    if (old is not None and old.data is None) or (new is not None and new.data is None):
        sizes = " and ".join(f"{side.size} bytes" for side in (old, new) if side is not None)
        out.write(
            b"Large files "
            + from_name
            + b" and "
            + to_name
            + b" differ ("
            + sizes.encode("ascii")
            + b"; no line diff past %d bytes)\n" % PATCH_LIMIT
        )
        return out.getvalue().decode("utf-8", "replace")
    before = b"" if old is None or old.data is None else old.data
    after = b"" if new is None or new.data is None else new.data
    if b"\0" in before[:_BINARY_PROBE] or b"\0" in after[:_BINARY_PROBE]:
        out.write(b"Binary files " + from_name + b" and " + to_name + b" differ\n")
    else:
        out.writelines(_unified_diff(_lines(before), _lines(after), from_name, to_name))
    return out.getvalue().decode("utf-8", "replace")


def _header(old: _Side | None, new: _Side | None) -> bytes:
    """The lines after ``diff --git``: mode changes, then ``index <old>..<new> [<mode>]``."""
    lines = []
    if old is None and new is not None:
        lines.append(b"new file mode %o\n" % new.mode)
    elif new is None and old is not None:
        lines.append(b"deleted file mode %o\n" % old.mode)
    elif old is not None and new is not None and old.mode != new.mode:
        lines.append(b"old file mode %o\nnew file mode %o\n" % (old.mode, new.mode))
    index = b"index %s..%s" % (
        b"0000000" if old is None else old.sha[:7].encode("ascii"),
        b"0000000" if new is None else new.sha[:7].encode("ascii"),
    )
    if old is not None and new is not None:
        index += b" %o" % new.mode
    return b"".join(lines) + index + b"\n"


def _unified_diff(
    a: list[bytes], b: list[bytes], from_name: bytes, to_name: bytes
) -> Iterator[bytes]:
    """The hunks from ``a`` to ``b`` with 3 lines of context, as ``git diff`` writes them.

    A last line without a newline is followed by ``\\ No newline at end of file``.
    """
    from difflib import SequenceMatcher

    started = False
    for group in SequenceMatcher(a=a, b=b).get_grouped_opcodes(3):
        if not started:
            started = True
            yield b"--- " + from_name + b"\n"
            yield b"+++ " + to_name + b"\n"
        first, last = group[0], group[-1]
        old_range = _hunk_range(first[1], last[2])
        new_range = _hunk_range(first[3], last[4])
        yield b"@@ -" + old_range + b" +" + new_range + b" @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for index in range(i1, i2):
                    line = a[index]
                    if line[-1:] != b"\n" and index == len(a) - 1:
                        line += _NO_NEWLINE_AT_EOF
                    yield b" " + line
                continue
            if tag in ("replace", "delete"):
                for line in a[i1:i2]:
                    yield b"-" + (line if line[-1:] == b"\n" else line + _NO_NEWLINE_AT_EOF)
            if tag in ("replace", "insert"):
                for line in b[j1:j2]:
                    yield b"+" + (line if line[-1:] == b"\n" else line + _NO_NEWLINE_AT_EOF)


def _hunk_range(start: int, stop: int) -> bytes:
    """A hunk's line range in the unified format: ``first,count`` (``first`` alone for one)."""
    length = stop - start
    if length == 1:
        return b"%d" % (start + 1)
    return b"%d,%d" % (start + 1 if length else start, length)


def _tree_side(store: BaseObjectStore, mode: int, sha: ObjectID | None) -> _Side:
    """A side from the object store; a large blob is measured from its header, not loaded
    (or, where the header cannot be read, loaded once and let go)."""
    assert sha is not None  # a side that exists has an id
    known = object_size(store, sha)
    if known is not None and known > PATCH_LIMIT:
        return _Side(mode, sha.decode("ascii"), known, None)
    blob = load_object(store, sha, Blob)
    size = blob.raw_length()
    data = blob.as_raw_string() if size <= PATCH_LIMIT else None
    return _Side(mode, sha.decode("ascii"), size, data)


def _disk_side(root: Path, path: str, sha: str, filters: WorktreeFilters) -> _Side:
    """A side from the work tree (its id already computed by the scan), as git would
    store it: line endings converted as the attributes say."""
    target = root / path
    if target.is_symlink():
        link = os.fsencode(os.readlink(target))
        return _Side(_SYMLINK_MODE, sha, len(link), link)
    info = target.stat()
    mode = 0o100755 if info.st_mode & 0o100 else 0o100644
    if info.st_size > PATCH_LIMIT:
        return _Side(mode, sha, info.st_size, None)
    data = filters.clean(path, target.read_bytes())
    return _Side(mode, sha, len(data), data)


def _lines(data: bytes) -> list[bytes]:
    """``data`` split after each newline, as git splits it (a lone ``\r`` ends no line)."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
