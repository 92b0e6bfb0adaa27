"""``Syncable``: the ``sync`` / ``commit`` lifecycle, as a base class.

A plain class rather than gitworktree's ``typing.Protocol`` so that it can be mixed with
a Pydantic model (two metaclasses would clash); every subclass still satisfies
``isinstance(item, gitworktree.Syncable)``.
"""

from __future__ import annotations

from gitworktree.compat.worktree.decorators import not_implemented

__all__ = ["Syncable"]


class Syncable:
    """Loads from storage (``sync``) and writes back to it (``commit``)."""

    @not_implemented
    def sync(self) -> None:
        """Downstream: from storage (or initial state, written back) to memory."""

    @not_implemented
    def commit(self, message: str | None = None) -> None:
        """Upstream: from memory to storage."""
