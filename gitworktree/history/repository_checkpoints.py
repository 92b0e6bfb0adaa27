"""`CheckpointOperations`: the part of `Repository` that names commits as checkpoints.

A checkpoint is the ref ``refs/checkpoints/<name>``, so plain git sees it (``git log
checkpoints/<name>``). Kept apart from ``repository.py`` so that each file holds one
idea; `Repository` inherits these methods and documents them as its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import CheckpointError, InvalidNameError, RemoteError, UnknownRevisionError
from gitworktree.history.core.damage import damaged, is_object_id, translates_damage
from gitworktree.history.core.identity import Signature
from gitworktree.history.core.info import CommitInfo
from gitworktree.history.core.locks import lock_errors, wait_for_lock
from gitworktree.history.core.refnames import remote_checkpoint_prefix
from gitworktree.history.refs.checkpoints import (
    Checkpoint,
    check_checkpoint_name,
    new_checkpoint_name,
    shadowing_reason,
)
from gitworktree.history.refs.refs import add_ref_if_new, append_reflog, delete_ref, read_ref
from gitworktree.history.refs.revisions import CHECKPOINT_PREFIX, REF_RULES, resolve_revision
from gitworktree.history.remote.remotes import list_remotes
from gitworktree.history.worktree.writelock import exclusive

__all__ = ["CheckpointOperations"]


class CheckpointOperations:
    """Create, list, find and delete checkpoints (mixed into `Repository`)."""

    _repo: Repo

    if TYPE_CHECKING:  # provided by Repository

        @property
        def control_dir(self) -> Path: ...

        @property
        def path(self) -> Path: ...

        def _identity(self, kind: str) -> str: ...

        def restore(
            self,
            target: str | Checkpoint,
            *,
            paths: Sequence[str] | None = None,
            hard: bool = False,
            author: str | None = None,
        ) -> CommitInfo: ...

    @translates_damage
    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, sorted by name."""
        refs = self._repo.refs.as_dict(Ref(CHECKPOINT_PREFIX.rstrip("/").encode("ascii")))
        for name, sha in refs.items():
            if not is_object_id(sha):
                ref = CHECKPOINT_PREFIX + name.decode("utf-8", "replace")
                raise damaged(self.path, f"{ref} holds {sha[:60]!r}, not an object id")
        found = [
            Checkpoint(self, name.decode("utf-8"), sha.decode("ascii"))
            for name, sha in refs.items()
        ]
        return sorted(found, key=lambda checkpoint: checkpoint.name)

    @translates_damage
    def remote_checkpoints(self, remote: str | None = None) -> list[Checkpoint]:
        """The checkpoints fetched from the remotes, sorted by remote, then name.

        They are kept as ``refs/remotes/<remote>/checkpoints/<name>`` (never as local
        checkpoints), have ``remote`` set, and restore by ``<remote>/checkpoints/<name>``.

        Args:
            remote: only this remote's; by default every configured remote's.

        Raises:
            RemoteError: ``remote`` is not a configured remote.
        """
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
                Checkpoint(self, ref.decode("utf-8"), sha.decode("ascii"), remote=name)
                for ref, sha in self._repo.refs.as_dict(Ref(prefix)).items()
            ]
        return sorted(found, key=lambda checkpoint: (checkpoint.remote or "", checkpoint.name))

    def checkpoint(self, name: str) -> Checkpoint:
        """The checkpoint ``name``.

        Raises:
            CheckpointError: if there is none by that name.
            InvalidNameError: if ``name`` is not a valid checkpoint name.
        """
        name = check_checkpoint_name(name)
        sha = read_ref(self._repo, self._checkpoint_ref(name))
        if sha is None:
            raise CheckpointError(
                name,
                f"no checkpoint named {name!r}; Repository.checkpoints() lists them",
                reason="unknown-checkpoint",
            )
        return Checkpoint(self, name, sha.decode("ascii"))

    @translates_damage
    @exclusive
    def create_checkpoint(self, name: str | None = None, rev: str = "HEAD") -> Checkpoint:
        """Create ``refs/checkpoints/<name>`` at ``rev``, with a reflog entry.

        Args:
            name: the checkpoint name; a fresh ``cp-<date>-<time>-<hex>`` one if ``None``.
            rev: the commit to checkpoint.

        Raises:
            CheckpointError: if the name is taken, a branch, tag or remote-tracking ref
                has it (the checkpoint would be ambiguous), or ``rev`` does not exist
                (e.g. no commit yet).
            InvalidNameError: if ``name`` is not a valid git ref name, or reads as another
                revision: ``HEAD``, a commit id, ``origin/...`` (see `shadowing_reason`).
        """
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
        append_reflog(self._repo, ref, None, sha, signature=signature, message=message)
        return Checkpoint(self, name, sha.decode("ascii"))

    @exclusive
    def delete_checkpoint(self, name: str) -> None:
        """Delete the checkpoint ``name`` (and its reflog); its commits stay in history.

        Raises:
            CheckpointError: if there is no checkpoint by that name.
        """
        checkpoint = self.checkpoint(name)
        ref = self._checkpoint_ref(checkpoint.name)
        with lock_errors():
            deleted = delete_ref(self._repo, ref, ObjectID(checkpoint.sha.encode("ascii")))
        if not deleted:
            raise CheckpointError(name, f"checkpoint {name!r} changed while deleting; retry")

    def _check_new_name(self, name: str) -> str:
        """``name``, checked to name nothing but the new checkpoint."""
        name = check_checkpoint_name(name)
        reason = shadowing_reason(name, list_remotes(self._repo))
        if reason is not None:
            raise InvalidNameError(
                name, f"a checkpoint must not read as another revision: {reason}; choose another"
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
