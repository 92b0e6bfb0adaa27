"""The history layer: Git repositories read and written through dulwich.

It knows commits, trees, refs, checkpoints, the index, the work tree's files and remotes
(fetch, push, pull, and the three-way merge by file and JSON Pointer), and nothing about
artifact trees. The ``git`` binary is never run.
"""

from gitworktree.history.checkpoints import Checkpoint, CheckpointOwner
from gitworktree.history.commit import ANY_HEAD, ExpectedHead
from gitworktree.history.diff import FileChange
from gitworktree.history.index import update_index_entries
from gitworktree.history.info import CommitInfo
from gitworktree.history.integrate import MergeGate
from gitworktree.history.pointers import PointerChange
from gitworktree.history.refnames import check_ref_name
from gitworktree.history.repository import Repository
from gitworktree.history.status import FileStatus
from gitworktree.history.syncloop import SyncResult
from gitworktree.history.transfer import FetchResult, PushResult
from gitworktree.history.trees import TreeItem

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
