"""git's split index: a small ``.git/index`` over a large, rarely rewritten shared index.

With ``core.splitIndex`` on, git keeps most entries in ``.git/sharedindex.<id>`` (an
ordinary index file named by its own checksum, never changed once written) and writes
only what differs from it into ``.git/index``, under the ``link`` extension:

- the shared index's id;
- a bitmap of the shared entries deleted, and one of those replaced (EWAH-compressed,
  as git writes them: `decode_ewah`, `encode_ewah`);
- the entries themselves: first the replacements, in the order of their positions and
  with their path left out (it is the shared entry's), then the added entries.

A commit then rewrites a file that grows with what changed since the shared index was
written, not with the tree's size. When the split file would hold more than
``splitIndex.maxPercentChange`` percent of all the entries (20 unless set; 0: every
write, 100: never), a new shared index is written, and shared indexes no index has used
since ``splitIndex.sharedIndexExpire`` (two weeks ago unless set) are removed, as git
documents both. The split file's entries are the ones added and the ones replaced, as
the documentation says; git's code (read-cache.c ``too_many_not_shared_entries``)
counts only the added ones, so that a run of edits without additions never gets a
new shared index there, and its split file grows to the whole index. Either form is
an index git reads; counting the replaced entries keeps a commit's cost bounded.

libgit2 cannot read a split index (tools built on it, such as shell prompts, fail on
the ``link`` extension), so gitworktree writes one only where the person asked for it
(``core.splitIndex = true``), or keeps one git made; ``core.splitIndex = false``
turns it back into one file, as git does.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dulwich.file import adjust_shared_perm

from gitworktree.history._core.plainfiles import read_plain_file

if TYPE_CHECKING:
    from dulwich.file import SharedPerm

__all__ = [
    "SplitIndexSettings",
    "SplitLink",
    "decode_ewah",
    "encode_ewah",
    "freshen_shared_index",
    "load_shared_index",
    "merge_split",
    "parse_link",
    "split_entries",
    "split_entry_count",
    "strip_name",
    "with_name",
    "write_shared_index",
]

#: git's ``splitIndex.maxPercentChange`` default: past it, a new shared index is written.
_MAX_PERCENT_CHANGE = 20

#: git's ``splitIndex.sharedIndexExpire`` default (``2.weeks.ago``), in seconds.
_SHARED_INDEX_EXPIRY = 14 * 24 * 3600

#: The units of a relative ``splitIndex.sharedIndexExpire`` (``3.days.ago``), in seconds;
#: a month and a year counted as git's approxidate counts them back from today, roughly.
_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 24 * 3600,
    "week": 7 * 24 * 3600,
    "month": 30 * 24 * 3600,
    "year": 365 * 24 * 3600,
}

_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF
_RUN_MASK = 0xFFFFFFFF
_MAX_LITERALS = (1 << 31) - 1


@dataclass(frozen=True)
class SplitLink:
    """What an index in split form says about its shared index.

    Attributes:
        shared_id: the shared index's id (hex), as in its file name.
        shared_paths: the shared index's paths, in file order.
        shared_entries: the shared index's raw entries, in file order.
        changes: path -> the entry that replaces or adds it, or ``None`` where a shared
            entry is deleted; ``None`` as a whole if the changes cannot be told apart
            path by path (several stages of one path), and the next write must write a
            new shared index.
    """

    shared_id: str
    shared_paths: list[bytes]
    shared_entries: list[bytes]
    changes: dict[bytes, bytes | None] | None


@dataclass(frozen=True)
class SplitIndexSettings:
    """``splitIndex.maxPercentChange`` and ``splitIndex.sharedIndexExpire``, as documented.

    Attributes:
        max_percent_change: a new shared index is written when the split file would
            hold more than this percent of all entries (0: at every write; 100: never,
            unless the shared index is gone).
        expire_after: how old (by modification time, which every use refreshes) an
            unused shared index must be to be removed when a new one is written, in
            seconds; ``None``: never removed.
    """

    max_percent_change: int = _MAX_PERCENT_CHANGE
    expire_after: float | None = _SHARED_INDEX_EXPIRY

    @classmethod
    def parse(cls, max_percent_change: str | None, expire: str | None) -> SplitIndexSettings:
        """The settings from the two config values (``None``: unset).

        A percentage outside 0-100 is ignored, as git ignores it (with a warning).

        Raises:
            ValueError: for a value git refuses (not a number; an expiry git cannot read
                or in the future), or one we do not read (an absolute date): the message
                names the setting.
        """
        percent = _MAX_PERCENT_CHANGE
        if max_percent_change is not None:
            try:
                value = int(max_percent_change.strip())
            except ValueError:
                raise ValueError(
                    f"splitIndex.maxPercentChange = {max_percent_change!r} is not a number "
                    "from 0 to 100"
                ) from None
            if 0 <= value <= 100:
                percent = value
        expire_after: float | None = _SHARED_INDEX_EXPIRY
        if expire is not None:
            expire_after = _expiry(expire)
        return cls(percent, expire_after)

    def needs_new_shared_index(self, in_split: int, entries: int) -> bool:
        """Whether a split file of ``in_split`` entries, in an index of ``entries``,
        calls for a new shared index instead."""
        if self.max_percent_change == 0:
            return True
        if self.max_percent_change == 100:
            return False
        return entries * self.max_percent_change < in_split * 100


def _expiry(value: str) -> float | None:
    """``splitIndex.sharedIndexExpire`` as an age in seconds (``None``: ``never``).

    Read: ``now``, ``never``, and ``<n>.<unit>[s].ago`` with any of
    ``.``, ``_``, space between the words (``2.weeks.ago``, ``3 days ago``).

    Raises:
        ValueError: anything else.
    """
    words = [word for word in re.split(r"[^0-9a-z]+", value.strip().lower()) if word]
    if words == ["never"]:
        return None
    if words == ["now"]:
        return 0.0
    if words and words[-1] == "ago":
        words = words[:-1]
    if len(words) == 2 and words[0].isdigit():
        unit = _UNITS.get(words[1].removesuffix("s"))
        if unit is not None:
            return float(int(words[0]) * unit)
    raise ValueError(
        f"splitIndex.sharedIndexExpire = {value!r} is not an expiry gitworktree reads: "
        "use `now`, `never` or `<n>.<unit>.ago` (e.g. `2.weeks.ago`)"
    )


# --- EWAH bitmaps (git's ewah/ewah_io.c) ---------------------------------------------------


def decode_ewah(data: bytes, start: int = 0, limit: int | None = None) -> tuple[list[int], int]:
    """The set bits of the EWAH bitmap at ``data[start:]``, and where it ends.

    Args:
        data: the bytes holding the bitmap.
        start: where it starts.
        limit: the number of bits the bitmap may have (a split index's bitmaps have one
            per shared entry): a damaged or hostile one claiming more is refused before
            a run of set bits is expanded into a list.

    Raises:
        ValueError: if the bitmap is truncated, or longer than ``limit``.
    """
    if len(data) - start < 8:
        raise ValueError("truncated bitmap")
    bit_size, word_count = struct.unpack_from(">II", data, start)
    if limit is not None and bit_size > limit:
        raise ValueError(f"a bitmap of {bit_size} bits over {limit} entries")
    end = start + 8 + 8 * word_count + 4
    if end > len(data):
        raise ValueError("truncated bitmap")
    words = struct.unpack_from(f">{word_count}Q", data, start + 8)
    bits: list[int] = []
    position, at = 0, 0
    while at < word_count:
        marker = words[at]
        run, literals = (marker >> 1) & _RUN_MASK, marker >> 33
        if marker & 1 and position < bit_size:
            bits.extend(range(position, min(position + 64 * run, bit_size)))
        position += 64 * run
        at += 1
        if at + literals > word_count:
            raise ValueError("truncated bitmap")
        for word in words[at : at + literals]:
            while word:
                low = word & -word
                bit = position + low.bit_length() - 1
                if bit < bit_size:
                    bits.append(bit)
                word ^= low
            position += 64
        at += literals
    return bits, end


def encode_ewah(bits: Iterable[int]) -> bytes:
    """The EWAH bitmap of the (ascending, distinct) bit positions ``bits``, as git writes it."""
    literal: dict[int, int] = {}
    for bit in bits:
        literal[bit >> 6] = literal.get(bit >> 6, 0) | (1 << (bit & 63))
    out: list[int] = []
    marker_at, done = 0, 0  # done: words already described
    indexes = sorted(literal)
    at = 0
    while at < len(indexes):
        stop = at
        while stop + 1 < len(indexes) and indexes[stop + 1] == indexes[stop] + 1:
            stop += 1
        gap = indexes[at] - done
        while gap > _RUN_MASK:
            out.append(_RUN_MASK << 1)
            gap -= _RUN_MASK
        count = min(stop - at + 1, _MAX_LITERALS)
        marker_at = len(out)
        out.append((count << 33) | (gap << 1))
        out.extend(literal[index] for index in indexes[at : at + count])
        done = indexes[at] + count
        at += count
    if not out:
        out.append(0)  # an empty bitmap is one marker word, as git's ewah_new() makes
    bit_size = 0 if not literal else (max(literal) << 6) + literal[max(literal)].bit_length()
    return struct.pack(f">II{len(out)}QI", bit_size, len(out), *out, marker_at)


# --- entries ---------------------------------------------------------------------------------


def strip_name(entry: bytes) -> bytes:
    """``entry`` with its path left out, as a replacement is written in a split index."""
    flags = int.from_bytes(entry[60:62], "big")
    head = 64 if flags & _EXTENDED else 62
    stripped = entry[:60] + (flags & ~_NAME_MASK).to_bytes(2, "big") + entry[62:head]
    return stripped + bytes(((head + 8) & ~7) - head)


def with_name(entry: bytes, path: bytes) -> bytes:
    """A replacement ``entry`` (path left out) given the path of the entry it replaces."""
    flags = int.from_bytes(entry[60:62], "big")
    head = 64 if flags & _EXTENDED else 62
    named = (flags & ~_NAME_MASK) | min(len(path), _NAME_MASK)
    fixed = entry[:60] + named.to_bytes(2, "big") + entry[62:head]
    return fixed + path + bytes(((head + len(path) + 8) & ~7) - head - len(path))


def split_entry_count(changes: Mapping[bytes, bytes | None]) -> int:
    """How many entries a split file writing ``changes`` holds (added or replaced; a
    deleted shared entry is one bit of a bitmap): the count weighed against
    ``splitIndex.maxPercentChange``."""
    return sum(1 for entry in changes.values() if entry is not None)


def _stage(entry: bytes) -> int:
    return (entry[60] >> 4) & 3


# --- reading -------------------------------------------------------------------------------


#: The shared indexes parsed last (a few: a work tree uses one at a time).
_SHARED: OrderedDict[str, tuple[list[bytes], list[bytes]]] = OrderedDict()
_SHARED_KEPT = 4
_SHARED_LOCK = threading.Lock()


def load_shared_index(
    directory: str,
    shared_id: str,
    parse: Callable[[bytes], tuple[list[bytes], list[bytes]]],
) -> tuple[list[bytes], list[bytes]]:
    """The paths and entries of ``sharedindex.<shared_id>`` in ``directory``, parsed by
    ``parse`` once per process: a shared index never changes once written.

    Raises:
        ValueError: if it is missing, or its checksum is not ``shared_id``.
    """
    key = os.path.join(directory, f"sharedindex.{shared_id}")
    with _SHARED_LOCK:
        found = _SHARED.get(key)
    if found is not None:
        return found
    read = read_plain_file(key)
    if read is None:
        raise ValueError(f"its shared index sharedindex.{shared_id} is missing")
    raw = read[0]
    if raw[-20:].hex() != shared_id:
        raise ValueError(f"sharedindex.{shared_id} does not have that checksum")
    found = parse(raw)
    with _SHARED_LOCK:
        _SHARED[key] = found
        while len(_SHARED) > _SHARED_KEPT:
            _SHARED.popitem(last=False)
    return found


def parse_link(data: bytes, entries: int) -> tuple[list[int], list[int]]:
    """The deleted and replaced positions of a ``link`` extension over a shared index of
    ``entries`` entries (its id, the first 20 bytes, is the caller's to read).

    Raises:
        ValueError: if it is malformed.
    """
    if len(data) < 20:
        raise ValueError("the link extension is too short")
    if len(data) == 20:
        return [], []
    deleted, end = decode_ewah(data, 20, entries)
    replaced, end = decode_ewah(data, end, entries)
    if end != len(data):
        raise ValueError("garbage at the end of the link extension")
    return deleted, replaced


def merge_split(
    shared_paths: list[bytes],
    shared_entries: list[bytes],
    paths: list[bytes],
    entries: list[bytes],
    deleted: list[int],
    replaced: list[int],
) -> tuple[list[bytes], list[bytes], dict[bytes, bytes | None] | None]:
    """The whole index a split index stands for, as git's ``merge_base_index`` builds it.

    Returns:
        The merged paths and entries (sorted by path, then stage), and the changes
        against the shared index (see `SplitLink.changes`).

    Raises:
        ValueError: if the split index does not fit its shared index.
    """
    if len(replaced) > len(entries):
        raise ValueError("more replaced entries than entries")
    merged_paths, merged = list(shared_paths), list(shared_entries)
    changes: dict[bytes, bytes | None] | None = {}
    for k, position in enumerate(replaced):
        if position >= len(merged):
            raise ValueError(f"replaced position {position} is past the shared index")
        if paths[k]:
            raise ValueError(f"replacement {k} should have no path")
        merged[position] = with_name(entries[k], merged_paths[position])
        changes = _note(changes, merged_paths[position], merged[position])
    if deleted:
        gone = set(deleted)
        if max(gone) >= len(merged):
            raise ValueError("a deleted position is past the shared index")
        for position in gone:
            changes = _note(changes, merged_paths[position], None)
        merged_paths = [p for i, p in enumerate(merged_paths) if i not in gone]
        merged = [e for i, e in enumerate(merged) if i not in gone]
    for path, entry in zip(paths[len(replaced) :], entries[len(replaced) :], strict=True):
        if not path:
            raise ValueError("an added entry has no path")
        at = bisect.bisect_left(merged_paths, path)
        while at < len(merged_paths) and merged_paths[at] == path:
            if _stage(merged[at]) >= _stage(entry):
                break
            at += 1
        if (
            at < len(merged_paths)
            and merged_paths[at] == path
            and _stage(merged[at]) == _stage(entry)
        ):
            merged[at] = entry  # git's add_index_entry replaces the same path and stage
        else:
            merged_paths.insert(at, path)
            merged.insert(at, entry)
        changes = _note(changes, path, entry)
    return merged_paths, merged, changes


def _note(
    changes: dict[bytes, bytes | None] | None, path: bytes, entry: bytes | None
) -> dict[bytes, bytes | None] | None:
    if changes is None or path in changes or (entry is not None and _stage(entry)):
        return None  # several entries of one path: not expressible path by path
    changes[path] = entry
    return changes


# --- writing -------------------------------------------------------------------------------


def split_entries(
    link: SplitLink, changes: Mapping[bytes, bytes | None]
) -> tuple[list[bytes], list[bytes], bytes] | None:
    """The entries and ``link`` extension of a split index making ``changes`` to the shared one.

    Returns:
        ``(paths, entries, link data)`` for the split file (replacements with their path
        left out), or ``None`` if the changes touch a path with several shared entries.
    """
    shared_paths, shared = link.shared_paths, link.shared_entries
    replaced: list[tuple[int, bytes]] = []
    deleted: list[int] = []
    added: list[tuple[bytes, bytes]] = []
    for path in sorted(changes):
        entry = changes[path]
        at = bisect.bisect_left(shared_paths, path)
        found = at < len(shared_paths) and shared_paths[at] == path
        if found and (
            (at + 1 < len(shared_paths) and shared_paths[at + 1] == path) or _stage(shared[at])
        ):
            return None
        if not found:
            if entry is not None:
                added.append((path, entry))
        elif entry is None:
            deleted.append(at)
        else:
            replaced.append((at, strip_name(entry)))
    paths = [b""] * len(replaced) + [path for path, _ in added]
    entries = [entry for _, entry in replaced] + [entry for _, entry in added]
    # Both bitmaps, even empty: git reads a link extension without them but then walks
    # them unchecked when it merges (git 2.39 crashes on one).
    data = bytes.fromhex(link.shared_id)
    data += encode_ewah(deleted) + encode_ewah(at for at, _ in replaced)
    return paths, entries, data


def write_shared_index(
    directory: str,
    raw: bytes,
    shared_perm: SharedPerm | None = None,
    in_use: str | None = None,
    expire_after: float | None = _SHARED_INDEX_EXPIRY,
) -> str:
    """Store ``raw`` as ``sharedindex.<its checksum>`` (renamed into place); return the id.

    ``in_use`` is the id of the shared index the index on disk still names: it is kept
    however old, since that index is put back if the write does not land.

    With ``shared_perm`` (``core.sharedRepository``) it is widened for the group, as git
    widens it.

    Shared indexes no index has used for ``expire_after`` seconds (``None``: never
    removed) are removed, as git removes them when it writes a new one.
    """
    shared_id = raw[-20:].hex()
    path = os.path.join(directory, f"sharedindex.{shared_id}")
    if not os.path.exists(path):
        # Named like the index's own temporary file, so that the writer lock's clean-up
        # after a killed writer finds it (`writelock.clear_stale_temporaries`).
        temp = os.path.join(directory, f"sharedindex.gitworktree-{os.getpid()}")
        try:
            with open(temp, "wb") as handle:
                handle.write(raw)
            adjust_shared_perm(temp, shared_perm)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
    kept = {path}
    if in_use is not None:
        kept.add(os.path.join(directory, f"sharedindex.{in_use}"))
    if expire_after is not None:
        _remove_expired(directory, time.time() - expire_after, keep=kept)
    return shared_id


def freshen_shared_index(directory: str, shared_id: str) -> bool:
    """Touch the shared index in use, so that git does not expire it (as git does).

    Returns:
        Whether it is still there (someone may have deleted it by hand).
    """
    try:
        os.utime(os.path.join(directory, f"sharedindex.{shared_id}"))
    except FileNotFoundError:
        return False
    except OSError:
        pass  # another user's file in a shared repository: git only warns too
    return True


def _remove_expired(directory: str, limit: float, *, keep: set[str]) -> None:
    """Remove the shared indexes not in ``keep`` last modified at ``limit`` or before."""
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.startswith("sharedindex.") or entry.path in keep:
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime <= limit:
                    os.unlink(entry.path)
