"""`RemoteOperations`: talks to other repositories, for `Repository`.

Remotes, fetch, push, pull and merge. `Repository` holds one of these and delegates its
remote methods to it (they are documented there, on the public names; cloning, a way to
open a repository, stays on `Repository`). The work is done in `remotes`, `transfer`,
`merge` and `integrate`; these methods choose what to call and hold the writer lock for
the local half of each transfer only (see `transfer` for why).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import RemoteError
from gitworktree.history._core.damage import translates_damage
from gitworktree.history._core.identity import Signature, check_identity
from gitworktree.history._core.info import CommitInfo
from gitworktree.history._core.refnames import check_ref_name
from gitworktree.history._core.trailers import check_caller_text
from gitworktree.history._json.jsonmerge import Side
from gitworktree.history._objects.commits import commit_info
from gitworktree.history._refs.refs import branch_ref
from gitworktree.history._refs.revisions import resolve_revision
from gitworktree.history._remote.integrate import MergeGate, MergeRequest, integrate
from gitworktree.history._remote.remotes import (
    Progress,
    add_remote,
    list_remotes,
    remove_remote,
    resolve_remote,
    upstream_branch,
)
from gitworktree.history._remote.syncloop import (
    SyncPolicy,
    SyncResult,
    SyncState,
    SyncSteps,
    run_sync,
)
from gitworktree.history._remote.transfer import (
    FetchResult,
    PushResult,
    fetch_objects,
    push_refs,
    record_fetch,
    record_push,
)
from gitworktree.history._worktree.inprogress import check_no_operation_in_progress
from gitworktree.history._worktree.writelock import WriterGuard, exclusive

__all__ = ["RemoteOperations"]

T = TypeVar("T")


class RemoteOperations:
    """Remotes, fetch, push, pull and merge for one repository."""

    def __init__(
        self,
        repo: Repo,
        *,
        identity: Callable[[str], str],
        head: Callable[[], str | None],
        guard: WriterGuard,
    ) -> None:
        """Work on ``repo``.

        Args:
            repo: the open repository.
            identity: ``"AUTHOR"``/``"COMMITTER"`` -> ``"Name <email>"``, for merge
                commits and reflogs.
            head: the commit HEAD points at now (`sync_with` reads it after each push).
            guard: the repository object's writer-lock guard (see `WriterGuard`).
        """
        self._repo = repo
        self._identity = identity
        self._head = head
        self._writer_guard = guard
        # How long recent syncs took: `sync_with` steps aside for a while after landing.
        self._sync_state = SyncState()

    @property
    def control_dir(self) -> Path:
        """The ``.git`` directory (where the writer lock lives)."""
        return Path(self._repo.controldir())

    @property
    def path(self) -> Path:
        """The work tree root (named by damage errors)."""
        return Path(self._repo.path)

    # -- remotes ---------------------------------------------------------------------

    def remotes(self) -> dict[str, str]:
        """See `Repository.remotes`."""
        return list_remotes(self._repo)

    @exclusive
    def add_remote(self, name: str, url: str) -> None:
        """See `Repository.add_remote`."""
        add_remote(self._repo, name, url)

    @exclusive
    def remove_remote(self, name: str) -> None:
        """See `Repository.remove_remote`."""
        remove_remote(self._repo, name)

    # -- transfers -------------------------------------------------------------------

    @translates_damage
    def fetch(
        self,
        remote: str = "origin",
        *,
        checkpoints: bool = True,
        progress: Progress | None = None,
    ) -> FetchResult:
        """See `Repository.fetch`."""
        target = resolve_remote(self._repo, remote)
        fetched = fetch_objects(self._repo, target, checkpoints=checkpoints, progress=progress)
        return self._locked(lambda: record_fetch(self._repo, fetched, self._signature()))

    @translates_damage
    def push(
        self,
        remote: str = "origin",
        *,
        branch: str | None = None,
        checkpoints: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> PushResult:
        """See `Repository.push`."""
        target = resolve_remote(self._repo, remote)
        ref = (
            branch_ref(self._repo)
            if branch is None
            else Ref(f"refs/heads/{check_ref_name(branch)}".encode())
        )
        pushed = push_refs(
            self._repo, target, ref, checkpoints=checkpoints, force=force, progress=progress
        )
        self._locked(lambda: record_push(self._repo, target, pushed, self._signature()))
        return pushed

    @translates_damage
    def pull(
        self,
        remote: str = "origin",
        *,
        branch: str | None = None,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        message: str | None = None,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> CommitInfo | None:
        """See `Repository.pull`."""
        fetched = self.fetch(remote, progress=progress)
        tracked = upstream_branch(self._repo, remote)
        name = branch or tracked or self._branch_name()
        if not (branch or tracked) and name not in fetched.heads and fetched.default_branch:
            # Nothing named, nothing tracked, no branch of our name there: follow the
            # remote's HEAD, as a clone does (`master` on a host made by `git init --bare`).
            name = fetched.default_branch
        sha = fetched.heads.get(name)
        if sha is None:
            if not fetched.heads:
                return None
            raise RemoteError(
                fetched.remote,
                f"{fetched.url} has no branch {name!r} (branches: "
                f"{', '.join(sorted(fetched.heads))}); name one with branch=",
                url=fetched.url,
                branch=name,
                branches=sorted(fetched.heads),
            )
        label = f"{fetched.remote}/{name}"
        request = self._merge_request(sha.encode("ascii"), label, message, author, gate, prefer)
        return self._integrate(request)

    @translates_damage
    def merge(
        self,
        rev: str,
        *,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        message: str | None = None,
        author: str | None = None,
    ) -> CommitInfo | None:
        """See `Repository.merge`."""
        sha = resolve_revision(self._repo, rev)
        request = self._merge_request(sha, rev, message, author, gate, prefer)
        return self._integrate(request)

    def sync_with(
        self,
        remote: str = "origin",
        *,
        gate: MergeGate | None = None,
        prefer: Side | None = None,
        attempts: int = 16,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """See `Repository.sync_with`."""
        steps = SyncSteps(
            pull=lambda: self._pull_if_there(remote, gate, prefer, author, progress),
            push=lambda: self.push(remote, progress=progress),
            head=self._head,
        )
        policy = SyncPolicy(attempts, backoff, max_backoff)
        return run_sync(steps, policy, self._sync_state, remote)

    # -- internals -------------------------------------------------------------------

    def _pull_if_there(
        self,
        remote: str,
        gate: MergeGate | None,
        prefer: Side | None,
        author: str | None,
        progress: Progress | None,
    ) -> CommitInfo | None:
        """`pull`, except that a remote without our branch yet has nothing to bring in:
        the push that follows creates it (one branch per agent starts this way)."""
        fetched = self.fetch(remote, progress=progress)
        name = upstream_branch(self._repo, remote) or self._branch_name()
        sha = fetched.heads.get(name)
        if sha is None:
            return None
        label = f"{fetched.remote}/{name}"
        request = self._merge_request(sha.encode("ascii"), label, None, author, gate, prefer)
        return self._integrate(request)

    def _merge_request(
        self,
        sha: bytes,
        label: str,
        message: str | None,
        author: str | None,
        gate: MergeGate | None,
        prefer: Side | None,
    ) -> MergeRequest:
        check_caller_text(message)
        if prefer not in (None, "ours", "theirs"):
            raise ValueError(f"prefer must be 'ours', 'theirs' or None, not {prefer!r}")
        identity = check_identity(author) if author else self._identity("AUTHOR")
        return MergeRequest(
            ObjectID(sha),
            label,
            message or f"Merge {label} into {self._branch_name()}",
            Signature.now(identity, "AUTHOR"),
            self._signature(),
            gate,
            prefer,
        )

    @exclusive
    def _integrate(self, request: MergeRequest) -> CommitInfo | None:
        # Before merging anything: git's own unfinished merge would read as local edits.
        check_no_operation_in_progress(self._repo)
        commit = integrate(self._repo, request)
        return None if commit is None else commit_info(self._repo.object_store, commit)

    @exclusive
    def _locked(self, action: Callable[[], T]) -> T:
        """Run ``action`` under the writer lock."""
        return action()

    def _branch_name(self) -> str:
        return branch_ref(self._repo).decode("utf-8").removeprefix("refs/heads/")

    def _signature(self) -> Signature:
        return Signature.now(self._identity("COMMITTER"))
