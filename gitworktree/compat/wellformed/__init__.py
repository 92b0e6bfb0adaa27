"""wellformed's API on gitworktree: validated documents, the fixing loop, checkpoints.

Code written for ``wellformed`` runs with its imports changed from ``wellformed`` to
``gitworktree.compat.wellformed`` (formats: ``.json`` and ``.xml``). What differs, and
why, is in ``docs/migrating.md``.
"""

from gitworktree.compat.wellformed._checkpoints import Checkpoint, MultiFileCheckpoint
from gitworktree.compat.wellformed._directory import DirectoryCheckpoint
from gitworktree.compat.wellformed._document import DocumentMutation, ValidatedDocument
from gitworktree.compat.wellformed._errors import (
    CheckpointError,
    DocumentIntegrityError,
    DocumentParseError,
    InvariantViolationError,
    MutationFailedError,
    SchemaValidationError,
)
from gitworktree.compat.wellformed._formatting import (
    ErrorLocation,
    FormattedError,
    LocationExtractor,
    extract_line_column_from_message,
    format_error_with_context,
    format_validation_errors,
    summarize_errors,
)
from gitworktree.compat.wellformed._loop import (
    FixingLoop,
    FixingLoopResult,
    FixingLoopStatus,
    RepairFunction,
    ValidateFunction,
    make_schema_validator,
    run_fixing_loop,
)

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "DirectoryCheckpoint",
    "DocumentIntegrityError",
    "DocumentMutation",
    "DocumentParseError",
    "ErrorLocation",
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "FormattedError",
    "InvariantViolationError",
    "LocationExtractor",
    "MultiFileCheckpoint",
    "MutationFailedError",
    "RepairFunction",
    "SchemaValidationError",
    "ValidateFunction",
    "ValidatedDocument",
    "extract_line_column_from_message",
    "format_error_with_context",
    "format_validation_errors",
    "make_schema_validator",
    "run_fixing_loop",
    "summarize_errors",
]
