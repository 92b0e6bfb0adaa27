"""How the CLI reports failures: library errors become click exceptions with fixed exit codes.

Exit codes are part of the CLI's contract (``docs/cli.md``):

- ``0``: success;
- ``1``: a refused operation (`RefusedError`): validation failed, a conflict, an unknown
  revision or checkpoint, a path outside the repository, a ``--tree`` that cannot be
  loaded, not a repository;
- ``2``: a usage error, reported by click itself.

Every message is written to stderr as ``Error: <what happened>; <what to do next>``, never
as a traceback (``--debug`` adds the traceback).
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gitworktree import GitWorktreeError, ValidationIssue

__all__ = ["RefusedError", "from_exception", "issue_lines"]


class RefusedError(click.ClickException):
    """The operation was refused; nothing was changed. Exit status 1."""

    exit_code = 1


def issue_lines(issues: Sequence[ValidationIssue]) -> str:
    """Issues as indented lines, one per issue, each with its file, line and pointer."""
    return "".join(f"\n  - {issue}" for issue in issues)


def from_exception(error: Exception, *, debug: bool = False) -> RefusedError:
    """The `RefusedError` to report for an exception a command raised.

    Args:
        error: a library error, an ``OSError``, or anything unexpected.
        debug: also print the traceback to stderr (``--debug``).
    """
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    from gitworktree import GitWorktreeError

    if isinstance(error, GitWorktreeError):
        return RefusedError(_library_message(error))
    if isinstance(error, OSError):
        return RefusedError(f"{error}; check the path and its permissions")
    return RefusedError(
        f"unexpected {type(error).__name__}: {error} (this is a bug; rerun with --debug "
        "and report the traceback)"
    )


# git's reflog forms: HEAD@{1}, main@{2.days.ago}, @{-1}, @{u}.
_REFLOG = re.compile(r"@\{[^{}]*\}$")

_UNKNOWN_CHECKPOINT = {
    "unknown-checkpoint": "no checkpoint named",
    "unknown-target": "no checkpoint or revision named",
}


def _library_message(error: GitWorktreeError) -> str:
    """One sentence for a library error, with a hint on what to do next where it lacks one."""
    from gitworktree import (
        CheckpointError,
        CommitRejectedError,
        DocumentParseError,
        ForeignEditsError,
        InvalidNameError,
        MutationFailedError,
        RemoteError,
        SchemaValidationError,
        UnknownRevisionError,
        UnsafePathError,
        UnsupportedRepositoryError,
        UntrustedTreeError,
    )

    if isinstance(error, UnsupportedRepositoryError) and error.reason == "bare":
        import shlex

        # The library's advice speaks Python (mount(rev=...)); this one speaks commands.
        return (
            f"{error.path} is a bare repository (no work tree): gitworktree would write "
            "files among its objects and refs, so it refuses it. Clone it (`gitworktree "
            f"clone {shlex.quote(error.path)} DIR`, or `git clone`) and run gitworktree in "
            "the clone"
        )
    if isinstance(error, UnknownRevisionError) and error.hint is not None:
        return f"unknown revision {error.revision!r}; {error.hint}"
    if isinstance(error, UnknownRevisionError):
        return (
            f"unknown revision {error.revision!r}; list commits with `gitworktree log` and "
            "checkpoints with `gitworktree checkpoint list`"
        )
    if isinstance(error, CheckpointError) and error.reason in _UNKNOWN_CHECKPOINT:
        cause = error.__cause__  # the revision lookup that failed, for a restore's target
        if isinstance(cause, UnknownRevisionError) and cause.hint is not None:
            return f"{_UNKNOWN_CHECKPOINT[error.reason]} {error.name!r}; {cause.hint}"
        return (
            f"{_UNKNOWN_CHECKPOINT[error.reason]} {error.name!r}; list checkpoints with "
            "`gitworktree checkpoint list` and commits with `gitworktree log`"
        )
    if isinstance(error, CheckpointError) and isinstance(error.__cause__, UnknownRevisionError):
        # `checkpoint create NAME --rev REV` with a REV that names nothing.
        cause = error.__cause__
        advice = cause.hint or (
            "list commits with `gitworktree log` and checkpoints with `gitworktree checkpoint list`"
        )
        return (
            f"checkpoint {error.name!r} not created: unknown revision {cause.revision!r}; {advice}"
        )
    if isinstance(error, CheckpointError) and error.reason == "exists":
        return (
            f"checkpoint {error.name!r} already exists; choose another name, or delete it "
            f"with `gitworktree checkpoint delete {error.name}`"
        )
    if isinstance(error, RemoteError) and error.branch is not None:
        return (
            f"{error.url or error.remote} has no branch {error.branch!r} (branches: "
            f"{', '.join(error.branches)}); name one with --branch B"
        )
    if isinstance(error, ForeignEditsError):
        import shlex

        scope = " ".join(f"--path {shlex.quote(path)}" for path in error.paths)
        return (
            f"refused, nothing was written: {', '.join(error.paths)} had uncommitted edits on "
            "disk that the tree did not make (a person's, or another tool's). Commit them as "
            "yours with `gitworktree commit -m MSG --tree MODULE:CLASS`, throw them away with "
            f"`gitworktree restore --discard {scope}`, or let their author commit them with "
            "git; then retry"
        )
    if isinstance(error, UntrustedTreeError):
        return str(error)  # names the entry and the commit, and what to do
    if isinstance(error, UnsafePathError):
        return f"{error}; give paths inside the repository"
    if (
        isinstance(error, InvalidNameError)
        and error.reason == "ref-name"
        and _REFLOG.search(error.name)
    ):
        # `restore --hard` points people at `git reflog`, which prints HEAD@{1}.
        return (
            f"{error.name!r} is git's reflog syntax, which gitworktree does not read; give "
            "the commit id `git reflog` prints beside it"
        )
    if isinstance(error, InvalidNameError) and error.reason == "ref-name":
        return f"{error}; use a name like 'before-refactor'"
    if isinstance(error, CommitRejectedError):
        names = ", ".join(sorted(error.failures))
        advice = (
            # The hook may be --repair or the artifact class's own _repair.
            f"a repair hook ran on {', '.join(error.repaired)} and left it invalid; fix "
            "the files, or the hook"
            if error.repaired
            else "fix them, or commit with --repair MODULE:FUNC"
        )
        return (
            f"commit refused, nothing was written: {len(error.failures)} artifact(s) invalid "
            f"({names}); {advice}{issue_lines(error.issues)}"
        )
    if isinstance(error, DocumentParseError | SchemaValidationError | MutationFailedError):
        first = str(error).split("\n", 1)[0]
        return (
            f"{first}; fix the file (see `gitworktree validate --tree MODULE:CLASS`) or commit "
            f"with --repair MODULE:FUNC{issue_lines(error.issues)}"
        )
    return str(error)  # the library's messages already say what to do next
