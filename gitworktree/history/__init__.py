"""The history layer: Git repositories read and written through dulwich.

It knows commits, trees, refs, checkpoints, the index, the work tree's files and remotes
(fetch, push, pull, and the three-way merge by file and JSON Pointer), and nothing about
artifact trees. The ``git`` binary is never run.

This module is the layer's public front: the names documented in docs/history.md and
docs/remotes.md. Everything else lives in private sub-packages (``_core``, ``_json``,
``_objects``, ``_refs``, ``_worktree``, ``_remote``) that the rest of the package imports
directly; users should not.
"""

# The names load on first access (PEP 562), as the package's own front does: importing
# one private module of the layer (``gitworktree.history._core.info``, say) runs this
# file first, and must not bring in remotes, merges and the commit path with it.

from __future__ import annotations

from typing import TYPE_CHECKING

from gitworktree._lazy import lazy_front

if TYPE_CHECKING:
    from gitworktree.history._core.info import CommitInfo
    from gitworktree.history._json.pointers import PointerChange
    from gitworktree.history._refs.checkpoints import Checkpoint
    from gitworktree.history._remote.syncloop import SyncResult
    from gitworktree.history._remote.transfer import FetchResult, PushResult
    from gitworktree.history._repository import Repository
    from gitworktree.history._worktree.diff import FileChange

__all__ = [
    "Checkpoint",
    "CommitInfo",
    "FetchResult",
    "FileChange",
    "PointerChange",
    "PushResult",
    "Repository",
    "SyncResult",
]

# Where each public name is defined; kept in step with ``__all__`` by
# tests/test_architecture.py.
_SOURCES: dict[str, str] = {
    "CommitInfo": "gitworktree.history._core.info",
    "PointerChange": "gitworktree.history._json.pointers",
    "Checkpoint": "gitworktree.history._refs.checkpoints",
    "SyncResult": "gitworktree.history._remote.syncloop",
    "FetchResult": "gitworktree.history._remote.transfer",
    "PushResult": "gitworktree.history._remote.transfer",
    "Repository": "gitworktree.history._repository",
    "FileChange": "gitworktree.history._worktree.diff",
}


__getattr__, __dir__ = lazy_front(__name__, _SOURCES, globals())
