"""The history layer: Git repositories read and written through dulwich.

It knows commits, trees, refs, checkpoints, the index, the work tree's files and remotes
(fetch, push, pull, and the three-way merge by file and JSON Pointer), and nothing about
artifact trees. The ``git`` binary is never run.
"""

from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.refnames import check_ref_name
from gitworktree.history._json.pointers import PointerChange
from gitworktree.history._objects.trees import TreeItem
from gitworktree.history._refs.checkpoints import Checkpoint, CheckpointOwner
from gitworktree.history._remote.integrate import MergeGate
from gitworktree.history._remote.syncloop import SyncResult
from gitworktree.history._remote.transfer import FetchResult, PushResult
from gitworktree.history._repository import Repository
from gitworktree.history._worktree.commit import ANY_HEAD, ExpectedHead
from gitworktree.history._worktree.diff import FileChange
from gitworktree.history._worktree.index import update_index_entries
from gitworktree.history._worktree.status import FileStatus

__all__ = [
    "ANY_HEAD",
    "Checkpoint",
    "CheckpointOwner",
    "CommitInfo",
    "ExpectedHead",
    "FetchResult",
    "FileChange",
    "FileStatus",
    "MergeGate",
    "PointerChange",
    "PushResult",
    "Repository",
    "SyncResult",
    "TreeItem",
    "check_ref_name",
    "update_index_entries",
]
