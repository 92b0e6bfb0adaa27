"""Where an index file's entries lie, and its checksum kept as it goes along.

A commit changes a few entries of an index of thousands; the new file is the old one
with those entries replaced, put in, or taken out (see
`gitworktree.history._worktree.index_file.splice_index`). That needs two things the Python
side can keep up to date in O(changed entries), whatever the index's size:

- where each entry starts in the old file (`EntryOffsets`): a list of offsets computed
  once, plus the short log of the edits made since, so that inserting an entry does
  not shift ten thousand numbers;
- the SHA-1 state at every `CHUNK` bytes of the old file (`ChunkHashes`), so that the
  new trailer is hashed from the first byte that changed, not from the start.

The bytes themselves are joined and hashed in C.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _hashlib import HASH


__all__ = ["CHUNK", "ChunkHashes", "EntryOffsets", "OffsetEdit"]

#: Bytes of index between two saved SHA-1 states: small enough that little is hashed
#: twice, large enough that saving a state (a copy of ~100 bytes) is rare.
CHUNK = 1 << 15

#: Edits kept before the offsets are computed afresh: finding an offset walks the edits,
#: so past this many one pass over the entries (in C) is cheaper.
_MAX_EDITS = 32


class OffsetEdit:
    """One splice of an index's entries, in the positions of the index it was made on.

    A slotted class rather than a named tuple, whose class is slower to build at import.

    Attributes:
        start: the position of the first entry replaced (or where entries went in).
        removed: how many entries were taken out there.
        lengths: the byte length of each entry put in their place.
        delta: the bytes the entries after them moved by.
    """

    __slots__ = ("delta", "lengths", "removed", "start")

    def __init__(self, start: int, removed: int, lengths: tuple[int, ...], delta: int) -> None:
        self.start = start
        self.removed = removed
        self.lengths = lengths
        self.delta = delta


class EntryOffsets:
    """Where each entry of an index file starts, and where the entries end.

    Never changed once built (`after` makes a new one). A plain class rather than a
    frozen dataclass, whose methods would be built at every ``status`` start.

    Attributes:
        base: the offsets of an earlier index's entries (the end of the entries last).
        edits: the splices made since, oldest first.
    """

    __slots__ = ("base", "edits")

    def __init__(self, base: list[int], edits: tuple[OffsetEdit, ...] = ()) -> None:
        self.base = base
        self.edits = edits

    @classmethod
    def of(cls, first: int, entries: Iterable[bytes]) -> EntryOffsets:
        """The offsets of ``entries`` written one after the other from byte ``first``."""
        return cls(list(accumulate(map(len, entries), initial=first)))

    def at(self, position: int) -> int:
        """Where entry ``position`` starts (the entries' end for their count)."""
        moved = 0
        for edit in reversed(self.edits):
            if position <= edit.start:
                continue
            inserted = len(edit.lengths)
            if position >= edit.start + inserted:  # after the splice: it moved
                position += edit.removed - inserted
                moved += edit.delta
            else:  # one of the entries the splice put in
                moved += sum(edit.lengths[: position - edit.start])
                position = edit.start
        return self.base[position] + moved

    def after(
        self, edits: Sequence[OffsetEdit], first: int, entries: Sequence[bytes]
    ) -> EntryOffsets:
        """The offsets once ``edits`` are made, in that order, giving ``entries``.

        Args:
            edits: splices, each in the positions of the index the ones before it made.
            first: where the first entry starts (after the header).
            entries: the entries once every edit is made (to start afresh from).
        """
        if not edits:
            return self
        if len(self.edits) + len(edits) > _MAX_EDITS:
            return EntryOffsets.of(first, entries)
        return EntryOffsets(self.base, (*self.edits, *edits))


class ChunkHashes:
    """SHA-1 states of a file's bytes: ``states[k]`` has hashed the first ``(k + 1) * CHUNK``.

    States are never updated once saved (each is a copy), so a later file can resume
    from any of them whose bytes it shares (`kept_before`); only the `ChunkHashes` a
    file's bytes were hashed into (once, by `resume`) saves new ones.
    """

    def __init__(self, states: list[HASH] | None = None) -> None:
        self.states: list[HASH] = states or []

    def kept_before(self, changed: int) -> ChunkHashes:
        """The states that hashed only bytes before offset ``changed``."""
        return ChunkHashes(self.states[: changed // CHUNK])

    def resume(self, pieces: Iterable[bytes | memoryview]) -> bytes:
        """The digest of ``pieces`` (a file's bytes, one after the other, trailer left out),
        hashed on from the last saved state (the bytes before it are taken as hashed),
        saving a state at every `CHUNK`.
        """
        start = len(self.states) * CHUNK
        state = self.states[-1].copy() if self.states else hashlib.sha1(usedforsecurity=False)
        position = 0
        for piece in pieces:
            view = memoryview(piece)
            end = position + len(view)
            if end <= start:
                position = end
                continue
            if position < start:
                view = view[start - position :]
                position = start
            while view:
                part = view[: CHUNK - position % CHUNK]
                state.update(part)
                position += len(part)
                view = view[len(part) :]
                if position % CHUNK == 0:
                    self.states.append(state.copy())
        return state.digest()
