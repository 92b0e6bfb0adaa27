"""gitworktree: typed, always-valid, auditable state for AI agents.

Declare a tree of artifacts, mount it on storage (Git by default), and every
``commit()`` validates, repairs or refuses the changes before they land.
"""

# The package loads its names on first access (PEP 562): ``import gitworktree`` and every
# ``gitworktree.<sub>`` import stay cheap, so the CLI's history commands (log, show,
# diff, status, checkpoints, restore) never import Pydantic, JSON Schema, lxml or the
# artifact layer they do not use. Type checkers see the same names through the imports
# under ``TYPE_CHECKING``; ``__all__`` stays the one list of public names.

from __future__ import annotations

from typing import TYPE_CHECKING

from gitworktree._lazy import lazy_front

if TYPE_CHECKING:
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

# Where each public name is defined; kept in step with ``__all__`` by
# tests/test_architecture.py.
_SOURCES: dict[str, str] = {
    "Document": "gitworktree.artifacts.document",
    "DocumentMutation": "gitworktree.artifacts.document",
    "JsonDocument": "gitworktree.artifacts.json",
    "PydanticArtifact": "gitworktree.artifacts.pydantic",
    "TextArtifact": "gitworktree.artifacts.text",
    "XmlDocument": "gitworktree.artifacts.xml",
    "AmbiguousRevisionError": "gitworktree.errors",
    "ArtifactTooLargeError": "gitworktree.errors",
    "CheckpointError": "gitworktree.errors",
    "CommitRejectedError": "gitworktree.errors",
    "ConflictError": "gitworktree.errors",
    "DocumentParseError": "gitworktree.errors",
    "ForeignEditsError": "gitworktree.errors",
    "GitWorktreeError": "gitworktree.errors",
    "InsideRunningLoopError": "gitworktree.errors",
    "InvalidNameError": "gitworktree.errors",
    "InvalidSchemaError": "gitworktree.errors",
    "MergeConflict": "gitworktree.errors",
    "MissingInitialStateError": "gitworktree.errors",
    "MutationFailedError": "gitworktree.errors",
    "NodeKindError": "gitworktree.errors",
    "OperationInProgressError": "gitworktree.errors",
    "ReadOnlyError": "gitworktree.errors",
    "RemoteError": "gitworktree.errors",
    "RepositoryError": "gitworktree.errors",
    "SchemaValidationError": "gitworktree.errors",
    "StorageError": "gitworktree.errors",
    "UnknownRevisionError": "gitworktree.errors",
    "UnsafePathError": "gitworktree.errors",
    "UnsupportedAttributeError": "gitworktree.errors",
    "UnsupportedRepositoryError": "gitworktree.errors",
    "UntrustedTreeError": "gitworktree.errors",
    "Checkpoint": "gitworktree.history",
    "CommitInfo": "gitworktree.history",
    "FetchResult": "gitworktree.history",
    "FileChange": "gitworktree.history",
    "PointerChange": "gitworktree.history",
    "PushResult": "gitworktree.history",
    "Repository": "gitworktree.history",
    "SyncResult": "gitworktree.history",
    "TreeCheck": "gitworktree.mounting.check",
    "check_tree": "gitworktree.mounting.check",
    "BaseMounter": "gitworktree.mounting.mount",
    "mount": "gitworktree.mounting.mount",
    "pull": "gitworktree.mounting.remote_sync",
    "push": "gitworktree.mounting.remote_sync",
    "sync_with": "gitworktree.mounting.remote_sync",
    "Anchor": "gitworktree.tree.items",
    "Artifact": "gitworktree.tree.items",
    "BaseWorktreeItem": "gitworktree.tree.items",
    "CollectionClaim": "gitworktree.tree.items",
    "LayoutAnchor": "gitworktree.tree.items",
    "ObjectClaim": "gitworktree.tree.items",
    "Syncable": "gitworktree.tree.items",
    "Worktree": "gitworktree.tree.items",
    "ArtifactMap": "gitworktree.tree.maps",
    "ValidationIssue": "gitworktree.validation.issues",
    "FixingLoop": "gitworktree.validation.loop",
    "FixingLoopResult": "gitworktree.validation.loop",
    "FixingLoopStatus": "gitworktree.validation.loop",
    "RepairFunction": "gitworktree.validation.loop",
    "arun_fixing_loop": "gitworktree.validation.loop",
    "run_fixing_loop": "gitworktree.validation.loop",
}


__getattr__, __dir__ = lazy_front(__name__, _SOURCES, globals())
