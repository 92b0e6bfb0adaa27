"""The history layer: Git repositories read and written through dulwich.

It knows commits, trees, refs, checkpoints, the index, the work tree's files and remotes
(fetch, push, pull, and the three-way merge by file and JSON Pointer), and nothing about
artifact trees. The ``git`` binary is never run.

This module is the layer's public front: the names documented in docs/history.md and
docs/remotes.md. Everything else lives in private sub-packages (``_core``, ``_json``,
``_objects``, ``_refs``, ``_worktree``, ``_remote``) that the rest of the package imports
directly; users should not.
"""

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
