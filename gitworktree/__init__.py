"""gitworktree: typed, always-valid, auditable state for AI agents.

Declare a tree of artifacts, mount it on storage (Git by default), and every
``commit()`` validates, repairs or refuses the changes before they land.
"""

from gitworktree.artifacts.document import Document, DocumentMutation
from gitworktree.artifacts.json import JsonDocument
from gitworktree.artifacts.pydantic import PydanticArtifact
from gitworktree.artifacts.text import TextArtifact
from gitworktree.artifacts.xml import XmlDocument
from gitworktree.errors import (
    AmbiguousRevisionError,
    ArtifactTooLargeError,
    CheckpointError,
    CommitRejectedError,
    ConflictError,
    DocumentParseError,
    ForeignEditsError,
    GitWorktreeError,
    InsideRunningLoopError,
    InvalidNameError,
    InvalidSchemaError,
    MergeConflict,
    MissingInitialStateError,
    MutationFailedError,
    NodeKindError,
    OperationInProgressError,
    ReadOnlyError,
    RemoteError,
    RepositoryError,
    SchemaValidationError,
    StorageError,
    UnknownRevisionError,
    UnsafePathError,
    UnsupportedAttributeError,
    UnsupportedRepositoryError,
    UntrustedTreeError,
)
from gitworktree.history import (
    Checkpoint,
    CommitInfo,
    FetchResult,
    FileChange,
    PointerChange,
    PushResult,
    Repository,
    SyncResult,
)
from gitworktree.mounting.check import TreeCheck, check_tree
from gitworktree.mounting.mount import BaseMounter, mount
from gitworktree.mounting.remote_sync import pull, push, sync_with
from gitworktree.tree.items import (
    Anchor,
    Artifact,
    BaseWorktreeItem,
    CollectionClaim,
    LayoutAnchor,
    ObjectClaim,
    Syncable,
    Worktree,
)
from gitworktree.tree.maps import ArtifactMap
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import (
    FixingLoop,
    FixingLoopResult,
    FixingLoopStatus,
    RepairFunction,
    arun_fixing_loop,
    run_fixing_loop,
)

__all__ = [
    "AmbiguousRevisionError",
    "Anchor",
    "Artifact",
    "ArtifactMap",
    "ArtifactTooLargeError",
    "BaseMounter",
    "BaseWorktreeItem",
    "Checkpoint",
    "CheckpointError",
    "CollectionClaim",
    "CommitInfo",
    "CommitRejectedError",
    "ConflictError",
    "Document",
    "DocumentMutation",
    "DocumentParseError",
    "FetchResult",
    "FileChange",
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "ForeignEditsError",
    "GitWorktreeError",
    "InsideRunningLoopError",
    "InvalidNameError",
    "InvalidSchemaError",
    "JsonDocument",
    "LayoutAnchor",
    "MergeConflict",
    "MissingInitialStateError",
    "MutationFailedError",
    "NodeKindError",
    "ObjectClaim",
    "OperationInProgressError",
    "PointerChange",
    "PushResult",
    "PydanticArtifact",
    "ReadOnlyError",
    "RemoteError",
    "RepairFunction",
    "Repository",
    "RepositoryError",
    "SchemaValidationError",
    "StorageError",
    "SyncResult",
    "Syncable",
    "TextArtifact",
    "TreeCheck",
    "UnknownRevisionError",
    "UnsafePathError",
    "UnsupportedAttributeError",
    "UnsupportedRepositoryError",
    "UntrustedTreeError",
    "ValidationIssue",
    "Worktree",
    "XmlDocument",
    "arun_fixing_loop",
    "check_tree",
    "mount",
    "pull",
    "push",
    "run_fixing_loop",
    "sync_with",
]
