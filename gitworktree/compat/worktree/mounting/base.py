"""``BaseMounter``: mount a tree on one root collection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from gitworktree.compat.worktree.contract import Worktree
from gitworktree.compat.worktree.mounting.accessible import RootCollection
from gitworktree.compat.worktree.mounting.protocol import Mounter

__all__ = ["BaseMounter"]

T = TypeVar("T", bound=Worktree)


@dataclass(frozen=True)
class BaseMounter(Mounter):
    """Mounts trees on ``root``: ``BaseMounter(driver.mount(path)).mount(Tree)``."""

    root: RootCollection

    def mount(self, tree: type[T], initial_states: dict[str, Any] | None = None) -> T:
        """Build ``tree`` on the root and sync it (creating what is missing).

        Raises:
            MissingInitialStateError: an item has no stored state, default or initial state.
        """
        mounted = tree(self.root, initial_states=initial_states)
        mounted.sync()
        return mounted
