"""The exception hierarchy of gitworktree: one root, every error carries data.

```
GitWorktreeError
├── UnsafePathError (ValueError)          a path would leave the mounted root
│   └── UntrustedTreeError                a tree entry git would refuse to check out
├── InvalidNameError (ValueError)         not a valid ref, checkpoint or item name
├── MissingInitialStateError              an item has neither stored content nor a default
├── StorageError                          a storage node cannot be read or written
│   ├── NodeKindError                     a directory where a file is claimed, or the reverse
│   ├── UnsupportedAttributeError         a path's git attributes name a program to run
│   └── ArtifactTooLargeError             an artifact's file is over the size limit
├── DocumentParseError (ValueError)       stored or given content does not parse
├── SchemaValidationError (ValueError)    content parses but breaks its schema or model
├── InvalidSchemaError (ValueError)       a schema (JSON Schema, XSD, RELAX NG) is itself invalid
├── MutationFailedError                   the fixing loop could not make content valid
│   └── CommitRejectedError               the commit gate refused one or more artifacts
├── ConflictError                         someone else changed what we were about to write
│   │                                     (a moved ref, an edited file, a merge conflict,
│   │                                     a push that lost a race: pull and push again)
│   ├── ForeignEditsError                 a commit would carry edits this tree did not make
│   └── OperationInProgressError          a git merge, rebase, cherry-pick or revert is
│                                         under way (or the index has unmerged paths)
├── RemoteError                           a remote cannot be found, reached, read or written
├── CheckpointError                       a checkpoint cannot be created, found or restored
├── RepositoryError                       not a repository, or a damaged one
│   ├── UnknownRevisionError (LookupError) a revision or ref that does not exist
│   ├── AmbiguousRevisionError (LookupError) a revision that names more than one commit
│   └── UnsupportedRepositoryError        a repository gitworktree will not write as it is
│                                         (bare, sha256, sparse, a broken or unborn HEAD)
├── ReadOnlyError                         a write to a tree mounted at a past revision
└── InsideRunningLoopError (RuntimeError) sync code met an async hook inside a running
                                          event loop (use the async twin: ``acommit``)
```

Every error names what failed and where (an artifact path, a ref, a revision) in its
attributes as well as in its message, so that callers and agents can act on it.

``gitworktree.compat`` adds the seeds' exception names as subclasses of these (its
``DocumentParseError`` under ours, ``WrongAccessibleTypeException`` under ``NodeKindError``,
...), so one ``except`` catches both; see ``docs/migrating.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitworktree.validation.issues import ValidationIssue

__all__ = [
    "AmbiguousRevisionError",
    "ArtifactTooLargeError",
    "CheckpointError",
    "CommitRejectedError",
    "ConflictError",
    "DocumentParseError",
    "ForeignEditsError",
    "GitWorktreeError",
    "InsideRunningLoopError",
    "InvalidNameError",
    "InvalidSchemaError",
    "MergeConflict",
    "MissingInitialStateError",
    "MutationFailedError",
    "NodeKindError",
    "OperationInProgressError",
    "ReadOnlyError",
    "RemoteError",
    "RepositoryError",
    "SchemaValidationError",
    "StorageError",
    "UnknownRevisionError",
    "UnsafePathError",
    "UnsupportedAttributeError",
    "UnsupportedRepositoryError",
    "UntrustedTreeError",
]


class GitWorktreeError(Exception):
    """Root of every error raised by gitworktree."""


class UnsafePathError(GitWorktreeError, ValueError):
    """A path would leave the mounted root (``..``, an absolute path, a symlink out).

    Attributes:
        path: the offending path as given.
        root: the root it had to stay inside, when known.
    """

    def __init__(self, path: object, reason: str, *, root: object = None) -> None:
        self.path = str(path)
        self.root = None if root is None else str(root)
        where = f" (mounted root: {self.root})" if self.root else ""
        super().__init__(f"unsafe path {self.path!r}: {reason}{where}")


class UntrustedTreeError(UnsafePathError):
    """A tree holds an entry git itself refuses to check out, or a link that leads out.

    Raised before anything is written: a clone, pull, merge, restore or checkout of such
    a tree is refused whole (the files, the index, HEAD and every ref stay as they were).

    Attributes:
        path: the offending path in the tree (as far as known where it was found).
        reason: what is wrong with it, e.g. ``reaches into .git``.
        tree: the id of the tree object holding the entry, when known.
        commit: the id of the commit whose tree holds it, when known.
    """

    def __init__(
        self, path: str, reason: str, *, tree: str | None = None, commit: str | None = None
    ) -> None:
        self.path = path
        self.root = None
        self.reason = reason
        self.tree = tree
        self.commit = commit
        where = f"commit {commit}" if commit else f"tree {tree}" if tree else "a tree"
        GitWorktreeError.__init__(
            self,
            f"refused {where}: its entry {path!r} {reason}; nothing was changed. This "
            "history is unsafe to check out: ask who made it, or move the branch that holds "
            "it to a safe commit",
        )

    def located(self, *, prefix: str = "", commit: str | None = None) -> UntrustedTreeError:
        """The same error with the path under ``prefix`` and the ``commit`` named."""
        return UntrustedTreeError(
            prefix + self.path, self.reason, tree=self.tree, commit=commit or self.commit
        )


class InvalidNameError(GitWorktreeError, ValueError):
    """A name that cannot be used: a bad checkpoint or ref name, a reserved field name.

    Attributes:
        name: the refused name (at most its first 60 characters, for a very long one).
        reason: what kind of name it failed to be, for callers that branch on it:
            ``"ref-name"`` (git's ref name rules), ``"too-long"``, ``"shadows-revision"``
            (a checkpoint name that reads as HEAD, a commit id, ``origin/...``),
            ``"remote-name"``, ``"trailer-key"``, ``"reserved-trailer"``
            (``Gitworktree-*``), ``"nul-character"`` (a NUL in a commit message or
            trailer), ``"identity"`` (not ``Name <email>``), ``"date"``;
            ``None`` when none of these.
    """

    def __init__(self, name: str, message: str, *, reason: str | None = None) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid name {name!r}: {message}")


class MissingInitialStateError(GitWorktreeError):
    """An item is missing from storage and has no default to initialize it with.

    Attributes:
        item_path: dotted path of the item in the tree, e.g. ``app.storage.db``.
    """

    def __init__(self, item_path: str, detail: str = "") -> None:
        self.item_path = item_path
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"no initial state for {item_path!r}{extra}; give one with "
            f"initial_states={{...}} when mounting, or add defaults to its fields"
        )


class StorageError(GitWorktreeError):
    """A storage node cannot be read or written."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class NodeKindError(StorageError):
    """A node exists with the wrong kind: a directory where a file is claimed, or the reverse."""

    def __init__(self, path: object, expected: str, found: str) -> None:
        self.expected = expected
        self.found = found
        super().__init__(
            path,
            f"expected a {expected} but found a {found}; move it aside or change the "
            f"tree declaration",
        )


class UnsupportedAttributeError(StorageError):
    """A path's git attributes ask for a program or conversion gitworktree does not run.

    ``filter=`` (clean and smudge programs named by repository config), ``ident`` and
    ``working-tree-encoding``: writing the file without them would put in history (or on
    disk) something other than what git would, such as a secret a clean filter redacts.

    Attributes:
        path: the file, relative to the repository root.
        attribute: the attribute, e.g. ``filter``.
        value: its value, e.g. ``redact`` (``"set"`` for a bare attribute such as ``ident``).
    """

    def __init__(self, path: object, attribute: str, value: str) -> None:
        self.attribute = attribute
        self.value = value
        shown = attribute if value == "set" else f"{attribute}={value}"
        super().__init__(
            path,
            f"its git attributes give it {shown}, which gitworktree does not apply (it "
            "never runs programs named by repository config); nothing was written. "
            f"Commit this file with git, or unset the attribute for it (`{path} -{attribute}` "
            "in .gitattributes)",
        )


class ArtifactTooLargeError(StorageError):
    """An artifact's stored file is larger than the limit; it was not loaded.

    Attributes:
        path: the artifact's file.
        size: its size in bytes (at least this many, when it was refused while read).
        limit: the limit it is over, in bytes.
    """

    def __init__(self, path: object, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            path,
            f"{size:,} bytes, over the {limit:,}-byte limit on an artifact; it was not "
            "loaded. If it is meant to be this large, raise the limit with "
            "mount(..., max_artifact_bytes=N) or GITWORKTREE_MAX_ARTIFACT_BYTES=N "
            "(0: no limit)",
        )


class _IssuesError(GitWorktreeError):
    """Base for errors that carry validation issues."""

    def __init__(
        self, message: str, issues: Sequence[ValidationIssue] = (), *, artifact: str | None = None
    ) -> None:
        # Each issue line names its file, also when the issues came from a check that
        # saw only the text.
        self.issues: tuple[ValidationIssue, ...] = tuple(
            issue.for_artifact(artifact) if artifact else issue for issue in issues
        )
        self.artifact = artifact
        detail = "".join(f"\n  - {issue}" for issue in self.issues)
        super().__init__(message + detail)


class DocumentParseError(_IssuesError, ValueError):
    """Content does not parse (bad JSON, malformed or hostile XML, invalid UTF-8).

    Attributes:
        line: 1-based line of the first problem, when the parser reported one.
        column: 1-based column of the first problem, when the parser reported one.
    """

    @property
    def line(self) -> int | None:
        """Line of the first issue (``None`` when unknown)."""
        return self.issues[0].line if self.issues else None

    @property
    def column(self) -> int | None:
        """Column of the first issue (``None`` when unknown)."""
        return self.issues[0].column if self.issues else None


class SchemaValidationError(_IssuesError, ValueError):
    """Content parses but breaks its schema or model."""


class InvalidSchemaError(_IssuesError, ValueError):
    """A schema (JSON Schema, XSD, RELAX NG) is itself invalid or of an unknown kind.

    Attributes:
        schema: the schema file's path, when the schema came from a file.
        issues: where in the schema the problems are, when known.
    """

    def __init__(
        self, message: str, issues: Sequence[ValidationIssue] = (), *, schema: object = None
    ) -> None:
        self.schema = None if schema is None else str(schema)
        super().__init__(message, issues)


class MutationFailedError(_IssuesError):
    """The fixing loop could not make content valid.

    Attributes:
        issues: the issues of the last candidate.
        last_content: the last candidate the loop produced, kept so nothing is lost.
        history: the issues of every attempt, oldest first.
    """

    def __init__(
        self,
        message: str,
        issues: Sequence[ValidationIssue] = (),
        *,
        artifact: str | None = None,
        last_content: str | None = None,
        history: Sequence[Sequence[ValidationIssue]] = (),
    ) -> None:
        super().__init__(message, issues, artifact=artifact)
        self.last_content = last_content
        self.history = tuple(tuple(attempt) for attempt in history)


class CommitRejectedError(MutationFailedError):
    """The commit gate refused the commit: some artifacts stayed invalid. Nothing was written.

    Attributes:
        failures: artifact path -> the issues that remained after repair.
        candidates: artifact path -> the last content the repair loop produced (what
            the repair made of it, or the content as it was without a repair hook).
        histories: artifact path -> the issues of every validation pass, oldest first.
        repaired: the failing artifact paths a repair hook ran on (and could not fix).
    """

    def __init__(
        self,
        failures: Mapping[str, Sequence[ValidationIssue]],
        *,
        candidates: Mapping[str, str] | None = None,
        histories: Mapping[str, Sequence[Sequence[ValidationIssue]]] | None = None,
        repaired: Sequence[str] = (),
    ) -> None:
        self.failures = {path: tuple(issues) for path, issues in failures.items()}
        self.candidates = dict(candidates or {})
        self.histories = {
            path: tuple(tuple(attempt) for attempt in attempts)
            for path, attempts in (histories or {}).items()
        }
        self.repaired = tuple(sorted(path for path in repaired if path in self.failures))
        names = ", ".join(sorted(self.failures))
        every = [issue for issues in self.failures.values() for issue in issues]
        if self.repaired:
            # A hook was given: telling the caller to give one would send them in circles.
            advice = (
                f"the repair hook ran on {', '.join(self.repaired)} and left it invalid; fix "
                "the content, or the hook (its document_type argument is the artifact "
                "class's _get_document_type(): the class name unless overridden)"
            )
        else:
            advice = "fix them or give a repair= hook"
        super().__init__(
            f"commit rejected, nothing was written: {len(self.failures)} artifact(s) invalid "
            f"({names}); {advice}",
            every,
        )


@dataclass(frozen=True)
class MergeConflict:
    """One place where a merge found both sides changed the same thing differently.

    Attributes:
        path: the file, relative to the repository root, e.g. ``tasks/t1.json``.
        pointer: the RFC 6901 JSON Pointer inside a JSON file (``""``: the whole
            document); ``None`` for a file that is not JSON, compared as a whole.
        base: the value in the common ancestor: a JSON value for a pointer, the file's
            text for a whole file (``bytes`` if it is not UTF-8); ``None`` when absent.
        ours: the value on our side (the local branch), as ``base``.
        theirs: the value on their side (what is merged in), as ``base``.
        reason: what each side did, e.g. ``"changed on both sides"``,
            ``"removed on ours, changed on theirs"``.
    """

    path: str
    pointer: str | None
    base: Any
    ours: Any
    theirs: Any
    reason: str = "changed on both sides"

    def __str__(self) -> str:
        if self.pointer is None:
            where = self.path
        else:
            where = f"{self.path} {self.pointer or '(the whole document)'}"
        return (
            f"{where}: {self.reason} (base {_short(self.base)}, ours {_short(self.ours)}, "
            f"theirs {_short(self.theirs)})"
        )


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConflictError(GitWorktreeError):
    """Someone else changed what we were about to write; nothing of ours was written.

    Raised when a branch moved under a commit, when a file changed on disk since it was
    read, when a push is not a fast-forward or lost a race with another push (the host's
    branch moved or was locked meanwhile: pull, then push again — ``sync_with`` retries
    these), and when a merge finds both sides changed the same field (then ``conflicts``
    lists each one, and the branch, the work tree and the mounted tree are left exactly
    as they were).

    Attributes:
        paths: the artifact paths in conflict (may be empty for a moved ref).
        ref: the ref that moved under us, if that was the conflict.
        conflicts: for a merge, every conflicting file and JSON Pointer with its base,
            ours and theirs values.
        reason: ``"criss-cross"`` when a merge's several merge bases disagree (choosing
            a side with ``prefer=`` cannot resolve that); ``"foreign-commits"`` when a
            checkpoint's guard would undo a commit someone else made meanwhile; else
            ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        paths: Sequence[str] = (),
        ref: str | None = None,
        conflicts: Sequence[MergeConflict] = (),
        reason: str | None = None,
    ) -> None:
        self.conflicts = tuple(conflicts)
        found = paths or sorted({conflict.path for conflict in self.conflicts})
        self.paths = tuple(found)
        self.ref = ref
        self.reason = reason
        super().__init__(message)


class RemoteError(GitWorktreeError):
    """A remote cannot be found, reached, read or written, or refused what we sent.

    Attributes:
        remote: the remote's name (e.g. ``origin``), or the URL it was given as.
        url: the remote's URL with any password removed, when known.
        branch: for a pull from a remote without the branch asked for, that branch.
        branches: then, the branches the remote has.
    """

    def __init__(
        self,
        remote: str,
        message: str,
        *,
        url: str | None = None,
        branch: str | None = None,
        branches: Sequence[str] = (),
    ) -> None:
        self.remote = remote
        self.url = url
        self.branch = branch
        self.branches = tuple(branches)
        super().__init__(message)


class CheckpointError(GitWorktreeError):
    """A checkpoint cannot be created, found, or restored.

    Attributes:
        name: the checkpoint (or restore target) concerned.
        reason: what kind of failure, when it is one callers branch on:
            ``"unknown-checkpoint"`` (no checkpoint of that name), ``"unknown-target"``
            (a restore target that is no checkpoint and no revision), ``"exists"`` (a
            checkpoint of that name exists already); else ``None``.
    """

    def __init__(self, name: str, message: str, *, reason: str | None = None) -> None:
        self.name = name
        self.reason = reason
        super().__init__(message)


class RepositoryError(GitWorktreeError):
    """Not a repository, or a repository that cannot be read.

    Attributes:
        path: the repository (or the file in it) concerned.
        reason: what kind of failure, when it is one callers branch on:
            ``"not-a-repository"`` (none found there), ``"damaged"`` (objects, refs or
            configuration that cannot be read: run ``git fsck``); a refused repository
            (`UnsupportedRepositoryError`) has its own reasons; else ``None``.
    """

    def __init__(self, path: object, message: str, *, reason: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {message}")


class UnknownRevisionError(RepositoryError, LookupError):
    """A revision, ref or checkpoint that does not exist.

    Attributes:
        revision: the revision as given.
        hint: why it does not exist, when that is known, and what to do (a branch with
            no commits yet, the end of a shallow clone's history); else ``None``.
    """

    def __init__(self, path: object, revision: str, *, hint: str | None = None) -> None:
        self.revision = revision
        self.hint = hint
        more = f"; {hint}" if hint else ""
        super().__init__(path, f"unknown revision {revision!r}{more}")


class UnsupportedRepositoryError(RepositoryError):
    """A repository gitworktree refuses to mount or write as it is; nothing was changed.

    Attributes:
        path: the repository (or the directory asked for).
        reason: what makes it unsupported, one of ``"bare"``, ``"inside-git-dir"``,
            ``"object-format"``, ``"extension"``, ``"sparse-checkout"``,
            ``"broken-head"``, ``"broken-branch"``, ``"unborn-branch"``.
    """

    def __init__(self, path: object, message: str, *, reason: str) -> None:
        super().__init__(path, message, reason=reason)


class AmbiguousRevisionError(RepositoryError, LookupError):
    """A revision that could name more than one commit (see docs/history.md, lookup order).

    Attributes:
        revision: the revision as given.
        candidates: what it could mean: full ref names, or commit ids for an abbreviation.
    """

    def __init__(self, path: object, revision: str, candidates: Sequence[str]) -> None:
        self.revision = revision
        self.candidates = tuple(candidates)
        super().__init__(
            path,
            f"revision {revision!r} is ambiguous: it could be {', '.join(self.candidates)}; "
            "give one of these in full",
        )


class ReadOnlyError(GitWorktreeError):
    """A write to a tree mounted read-only (at a past revision)."""


class ForeignEditsError(ConflictError):
    """A commit would carry edits on disk that this tree did not make; nothing was written.

    The files changed on disk before the tree loaded them (a person's edit, another
    tool's): a commit of them would sign someone else's work with this tree's author.

    Attributes:
        paths: the files with such edits that the commit would have carried.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        names = ", ".join(paths)
        listed = "[" + ", ".join(repr(path) for path in paths) + "]"
        super().__init__(
            f"commit refused, nothing was written: {names} had uncommitted edits on disk "
            "that this tree did not make (a person's, or another tool's), and this commit "
            f"would record them under your author. Call tree.adopt({listed}) to commit "
            f"them as yours, tree.discard({listed}) to throw them away, or let their author "
            "commit them with git and call sync()",
            paths=paths,
        )


class OperationInProgressError(ConflictError):
    """A git merge, rebase, cherry-pick or revert is under way; nothing was written.

    Raised by every commit, restore and pull while git's own operation is unfinished
    (its state files exist, or the index holds unmerged paths): a commit now would
    record conflict markers, or the person's half-finished work, as a normal commit.

    Attributes:
        operation: ``"merge"``, ``"rebase"``, ``"am"``, ``"cherry-pick"``, ``"revert"``,
            or ``None`` when only the index has unmerged paths.
        paths: the unmerged paths (may be empty).
    """

    def __init__(self, operation: str | None, paths: Sequence[str]) -> None:
        self.operation = operation
        unmerged = f" (unmerged: {', '.join(paths)})" if paths else ""
        if operation is None:
            what = f"the index has unmerged paths{unmerged}"
            how = (
                "resolve them and `git add` them, or put them back with "
                "`git checkout HEAD -- <path>`"
            )
        else:
            what = f"a git {operation} is in progress{unmerged}"
            how = _FINISH.get(operation, f"finish it with `git {operation} --continue`")
        super().__init__(
            f"{what}; nothing was written. Finish it first: {how}. Then retry", paths=paths
        )


_FINISH = {
    "merge": "resolve the files, `git add` them and `git commit`, or `git merge --abort`",
    "rebase": "resolve, `git add` and `git rebase --continue`, or `git rebase --abort`",
    "am": "resolve, `git add` and `git am --continue`, or `git am --abort`",
    "cherry-pick": (
        "resolve, `git add` and `git cherry-pick --continue`, or `git cherry-pick --abort`"
    ),
    "revert": "resolve, `git add` and `git revert --continue`, or `git revert --abort`",
}


class InsideRunningLoopError(GitWorktreeError, RuntimeError):
    """Sync code was handed something async while an event loop runs in this thread.

    Blocking on it would deadlock the loop, so nothing ran; the message names the async
    twin to await instead (``await tree.acommit()``, ``await document.aapply(...)``).
    """
