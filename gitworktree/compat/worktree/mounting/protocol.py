"""``Mounter``: builds a declared tree on a root collection and syncs it."""

from __future__ import annotations

from typing import Any, TypeVar

from gitworktree.compat.worktree.contract import Worktree
from gitworktree.compat.worktree.decorators import not_implemented

__all__ = ["Mounter"]

T = TypeVar("T", bound=Worktree)


class Mounter:
    """Something that mounts trees."""

    @not_implemented
    def mount(self, tree: type[T], initial_states: dict[str, Any] | None = None) -> T:
        """Build ``tree`` and sync it."""
        raise NotImplementedError
