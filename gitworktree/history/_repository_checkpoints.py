"""`CheckpointOperations`: names commits as checkpoints, for `Repository`.

A checkpoint is the ref ``refs/checkpoints/<name>``, so plain git sees it (``git log
checkpoints/<name>``). `Repository` holds one of these and delegates its checkpoint
methods to it (they are documented there, on the public names); what this needs from
the repository is passed in explicitly, so this file reads without the facade.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import (
    CheckpointError,
    ConflictError,
    GitWorktreeError,
    InvalidNameError,
    RemoteError,
    UnknownRevisionError,
)
from gitworktree.history._core.damage import damaged, is_object_id, translates_damage
from gitworktree.history._core.locks import lock_errors, wait_for_lock
from gitworktree.history._core.quoting import escape_text
from gitworktree.history._core.refnames import remote_checkpoint_prefix
from gitworktree.history._objects.commits import load_commit
from gitworktree.history._refs.checkpoints import (
    Checkpoint,
    CheckpointOwner,
    check_checkpoint_name,
    new_checkpoint_name,
    shadowing_reason,
)
from gitworktree.history._refs.refs import (
    add_ref_if_new,
    append_reflog,
    branch_ref,
    delete_ref,
    first_commit_not_moved_here,
    read_ref,
)
from gitworktree.history._refs.revisions import CHECKPOINT_PREFIX, REF_RULES, resolve_revision
from gitworktree.history._worktree.writelock import WriterGuard, exclusive

__all__ = ["CheckpointOperations"]


class CheckpointOperations:
    """Create, list, find and delete the checkpoints of one repository."""

    def __init__(
        self,
        repo: Repo,
        *,
        owner: CheckpointOwner,
        identity: Callable[[str], str],
        guard: WriterGuard,
    ) -> None:
        """Work on ``repo``.

        Args:
            repo: the open repository.
            owner: what the `Checkpoint`s handed out restore and delete through (the
                `Repository`, so that ``with checkpoint:`` restores the whole work tree).
            identity: ``"AUTHOR"``/``"COMMITTER"`` -> ``"Name <email>"``, for reflogs.
            guard: the repository object's writer-lock guard, shared so that a method
                here and one of the repository's never wait for each other in one thread.
        """
        self._repo = repo
        self._owner = owner
        self._identity = identity
        self._writer_guard = guard

    def _checkpoint(self, name: str, sha: str, remote: str | None = None) -> Checkpoint:
        return Checkpoint(self._owner, name, sha, remote, before_undo=self._check_undo)

    def _check_undo(self, checkpoint: Checkpoint, head: bytes | None) -> None:
        """Refuse a guard's whole-tree restore that would undo someone else's commit.

        ``head`` is the HEAD the restore moves the branch from (read under its locks).

        Raises:
            ConflictError: ``reason == "foreign-commits"``, naming the first commit on
                the branch since the checkpoint that this repository object did not make.
        """
        target = ObjectID(checkpoint.sha.encode("ascii"))
        tip = None if head is None else ObjectID(head)
        foreign = first_commit_not_moved_here(self._repo, tip, target)
        if foreign is None:
            return
        branch = branch_ref(self._repo).decode("utf-8", "replace")
        what = foreign.decode("ascii")[:12]
        with contextlib.suppress(GitWorktreeError, KeyError):
            commit = load_commit(self._repo.object_store, foreign)
            merged = ""
            if len(commit.parents) > 1:
                # A pull's merge: what undoing it reverts is the side it merged in.
                merged = f", merged in by {what}"
                what = commit.parents[1].decode("ascii")[:12]
                commit = load_commit(self._repo.object_store, commit.parents[1])
            subject = commit.message.decode("utf-8", "replace").split("\n", 1)[0]
            author = commit.author.decode("utf-8", "replace")
            what += f" ({escape_text(subject)!r} by {escape_text(author)}{merged})"
        raise ConflictError(
            f"{branch} has {what}, committed since checkpoint {checkpoint.name!r} by someone "
            "else (a person's `git commit`, another writer); restoring the whole tree to "
            f"{checkpoint.name!r} would undo it, so nothing was restored. Restore what the "
            f"failed step changed yourself: restore({checkpoint.name!r}, paths=[...])",
            ref=branch,
            reason="foreign-commits",
        )

    @property
    def control_dir(self) -> Path:
        """The ``.git`` directory (where the writer lock lives)."""
        return Path(self._repo.controldir())

    @property
    def path(self) -> Path:
        """The work tree root (named by damage errors)."""
        return Path(self._repo.path)

    @translates_damage
    def checkpoints(self) -> list[Checkpoint]:
        """See `Repository.checkpoints`."""
        refs = self._repo.refs.as_dict(Ref(CHECKPOINT_PREFIX.rstrip("/").encode("ascii")))
        for name, sha in refs.items():
            if not is_object_id(sha):
                ref = CHECKPOINT_PREFIX + name.decode("utf-8", "replace")
                raise damaged(self.path, f"{ref} holds {sha[:60]!r}, not an object id")
        found = [
            self._checkpoint(name.decode("utf-8"), sha.decode("ascii"))
            for name, sha in refs.items()
        ]
        return sorted(found, key=lambda checkpoint: checkpoint.name)

    @translates_damage
    def remote_checkpoints(self, remote: str | None = None) -> list[Checkpoint]:
        """See `Repository.remote_checkpoints`."""
        from gitworktree.history._remote.remotes import list_remotes

        configured = list_remotes(self._repo)
        if remote is not None and remote not in configured:
            raise RemoteError(
                remote,
                f"no remote named {remote!r} (configured: {', '.join(configured) or 'none'})",
            )
        found = []
        for name in [remote] if remote is not None else configured:
            prefix = remote_checkpoint_prefix(name).rstrip("/").encode("utf-8")
            found += [
                self._checkpoint(ref.decode("utf-8"), sha.decode("ascii"), remote=name)
                for ref, sha in self._repo.refs.as_dict(Ref(prefix)).items()
            ]
        return sorted(found, key=lambda checkpoint: (checkpoint.remote or "", checkpoint.name))

    def checkpoint(self, name: str) -> Checkpoint:
        """See `Repository.checkpoint`."""
        name = check_checkpoint_name(name)
        sha = read_ref(self._repo, self._checkpoint_ref(name))
        if sha is None:
            raise CheckpointError(
                name,
                f"no checkpoint named {name!r}; Repository.checkpoints() lists them",
                reason="unknown-checkpoint",
            )
        return self._checkpoint(name, sha.decode("ascii"))

    @translates_damage
    @exclusive
    def create_checkpoint(self, name: str | None = None, rev: str = "HEAD") -> Checkpoint:
        """See `Repository.create_checkpoint`."""
        from gitworktree.history._core.identity import Signature  # a write: not on open

        name = new_checkpoint_name() if name is None else self._check_new_name(name)
        try:
            sha = resolve_revision(self._repo, rev)
        except UnknownRevisionError as err:
            raise CheckpointError(name, f"cannot create checkpoint {name!r}: {err}") from err
        ref = self._checkpoint_ref(name)
        signature = Signature.now(self._identity("COMMITTER"))
        with lock_errors():
            in_the_way = wait_for_lock(lambda: add_ref_if_new(self._repo, ref, sha))
        if in_the_way == ref:
            raise CheckpointError(
                name,
                f"checkpoint {name!r} already exists; choose another name, or delete it first "
                "(Checkpoint.discard() or Repository.delete_checkpoint())",
                reason="exists",
            )
        if in_the_way is not None:
            other = in_the_way.decode("utf-8", "replace").removeprefix(CHECKPOINT_PREFIX)
            raise CheckpointError(
                name,
                f"cannot create checkpoint {name!r} next to checkpoint {other!r}: a name "
                "cannot be both a checkpoint and a folder of checkpoints; choose another name",
            )
        message = f"checkpoint: created at {rev}"
        append_reflog(self._repo, ref, None, sha, signature=signature, message=message, create=True)
        return self._checkpoint(name, sha.decode("ascii"))

    @exclusive
    def delete_checkpoint(self, name: str) -> None:
        """See `Repository.delete_checkpoint`."""
        checkpoint = self.checkpoint(name)
        ref = self._checkpoint_ref(checkpoint.name)
        with lock_errors():
            deleted = delete_ref(self._repo, ref, ObjectID(checkpoint.sha.encode("ascii")))
        if not deleted:
            raise CheckpointError(name, f"checkpoint {name!r} changed while deleting; retry")

    def _check_new_name(self, name: str) -> str:
        """``name``, checked to name nothing but the new checkpoint."""
        from gitworktree.history._remote.remotes import list_remotes

        name = check_checkpoint_name(name)
        reason = shadowing_reason(name, list_remotes(self._repo))
        if reason is not None:
            raise InvalidNameError(
                name,
                f"a checkpoint must not read as another revision: {reason}; choose another",
                reason="shadows-revision",
            )
        for rule in REF_RULES:
            ref = rule.format(name)
            if not ref.startswith(CHECKPOINT_PREFIX) and read_ref(self._repo, Ref(ref.encode())):
                raise CheckpointError(
                    name,
                    f"cannot create checkpoint {name!r}: {ref} has that name, and a checkpoint "
                    "must not read as another revision; choose another name",
                )
        return name

    def _checkpoint_ref(self, name: str) -> Ref:
        return Ref((CHECKPOINT_PREFIX + name).encode("utf-8"))
