"""gitworktree: typed, always-valid, auditable state for AI agents.

Declare a tree of artifacts, mount it on storage (Git by default), and every
``commit()`` validates, repairs or refuses the changes before they land.
"""

from gitworktree.artifacts.pydantic import PydanticArtifact
from gitworktree.errors import (
    CheckpointError,
    CommitRejectedError,
    ConflictError,
    DocumentParseError,
    GitWorktreeError,
    InvalidNameError,
    MissingInitialStateError,
    MutationFailedError,
    NodeKindError,
    ReadOnlyError,
    RepositoryError,
    SchemaValidationError,
    StorageError,
    UnknownRevisionError,
    UnsafePathError,
)
from gitworktree.history.info import CommitInfo
from gitworktree.mount import BaseMounter, mount
from gitworktree.tree import (
    Anchor,
    Artifact,
    ArtifactMap,
    BaseWorktreeItem,
    CollectionClaim,
    LayoutAnchor,
    ObjectClaim,
    Syncable,
    Worktree,
)
from gitworktree.validation.issues import ValidationIssue
from gitworktree.validation.loop import (
    FixingLoop,
    FixingLoopResult,
    FixingLoopStatus,
    arun_fixing_loop,
    run_fixing_loop,
)

__all__ = [
    "Anchor",
    "Artifact",
    "ArtifactMap",
    "BaseMounter",
    "BaseWorktreeItem",
    "CheckpointError",
    "CollectionClaim",
    "CommitInfo",
    "CommitRejectedError",
    "ConflictError",
    "DocumentParseError",
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "GitWorktreeError",
    "InvalidNameError",
    "LayoutAnchor",
    "MissingInitialStateError",
    "MutationFailedError",
    "NodeKindError",
    "ObjectClaim",
    "PydanticArtifact",
    "ReadOnlyError",
    "RepositoryError",
    "SchemaValidationError",
    "StorageError",
    "Syncable",
    "UnknownRevisionError",
    "UnsafePathError",
    "ValidationIssue",
    "Worktree",
    "arun_fixing_loop",
    "mount",
    "run_fixing_loop",
]
