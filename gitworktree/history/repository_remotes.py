"""`RemoteOperations`: the part of `Repository` that talks to other repositories.

Clone, remotes, fetch, push, pull and merge. Kept apart from ``repository.py`` so that each
file holds one idea; `Repository` inherits these methods, and they are documented and
used as its own (``repo.pull("origin")``). The work is done in `remotes`, `transfer`,
`merge` and `integrate`; these methods choose what to call and hold the writer lock for
the local half of each transfer only (see `transfer` for why).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypeVar, cast

from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import RemoteError
from gitworktree.history.core.damage import translates_damage
from gitworktree.history.core.identity import Signature, check_identity
from gitworktree.history.core.info import CommitInfo
from gitworktree.history.core.refnames import check_ref_name
from gitworktree.history.core.trailers import check_caller_text
from gitworktree.history.json.jsonmerge import Side
from gitworktree.history.objects.commits import commit_info
from gitworktree.history.refs.refs import branch_ref
from gitworktree.history.refs.revisions import resolve_revision
from gitworktree.history.remote.integrate import MergeGate, MergeRequest, integrate
from gitworktree.history.remote.remotes import (
    Progress,
    add_remote,
    list_remotes,
    remove_remote,
    resolve_remote,
    upstream_branch,
)
from gitworktree.history.remote.syncloop import (
    SyncPolicy,
    SyncResult,
    SyncState,
    SyncSteps,
    run_sync,
)
from gitworktree.history.remote.transfer import (
    FetchResult,
    PushResult,
    clone_repository,
    fetch_objects,
    push_refs,
    record_fetch,
    record_push,
)
from gitworktree.history.worktree.inprogress import check_no_operation_in_progress
from gitworktree.history.worktree.shapes import check_location
from gitworktree.history.worktree.writelock import exclusive

__all__ = ["RemoteOperations"]

T = TypeVar("T")


class RemoteOperations:
    """Clone, remotes, fetch, push, pull and merge (mixed into `Repository`)."""

    _repo: Repo

    if TYPE_CHECKING:  # provided by Repository

        def __init__(self, repo: Repo) -> None: ...

        @property
        def control_dir(self) -> Path: ...

        @property
        def head(self) -> str | None: ...

        @property
        def path(self) -> Path: ...

        def _identity(self, kind: str) -> str: ...

    @classmethod
    def clone(
        cls,
        url: str,
        path: str | os.PathLike[str],
        *,
        remote: str = "origin",
        branch: str | None = None,
        checkpoints: bool = True,
        progress: Progress | None = None,
    ) -> Self:
        """Clone the repository at ``url`` into ``path`` and check its branch out.

        ``url`` is a local path, ``file://``, ``git://``, ``http(s)://`` or ssh URL. It is
        configured as the remote ``remote``; the checked-out branch (``branch``, else the
        remote's default) tracks it; the remote's checkpoints come along as
        ``<remote>/checkpoints/<name>`` (not as local checkpoints). An empty remote gives
        an empty repository (push creates the branch there). The new ``.git/config`` is
        written by gitworktree alone: nothing in it comes from the remote.

        Raises:
            RepositoryError: ``path`` exists and is not an empty directory.
            UnsupportedRepositoryError: ``path`` is inside a bare repository or a ``.git``
                directory.
            RemoteError: the remote cannot be reached or read, or lacks ``branch``.
        """
        check_location(path)
        repo = clone_repository(
            url,
            Path(path),
            remote=remote,
            branch=branch,
            checkpoints=checkpoints,
            progress=progress,
        )
        return cls(repo)

    # -- remotes ---------------------------------------------------------------------

    def remotes(self) -> dict[str, str]:
        """The configured remotes, name -> URL (as ``git remote -v`` lists them)."""
        return list_remotes(self._repo)

    @exclusive
    def add_remote(self, name: str, url: str) -> None:
        """Add the remote ``name`` at ``url`` to ``.git/config``, as ``git remote add`` does.

        Args:
            name: e.g. ``origin``.
            url: a local path, ``file://``, ``git://``, ``http(s)://`` or ssh URL.

        Raises:
            InvalidNameError: ``name`` cannot name a remote.
            RemoteError: a remote by that name exists already.
        """
        add_remote(self._repo, name, url)

    @exclusive
    def remove_remote(self, name: str) -> None:
        """Remove the remote ``name`` and its remote-tracking refs (``git remote remove``).

        Raises:
            RemoteError: there is no remote by that name.
        """
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
        """Download the remote's branches and checkpoints; the work tree is not touched.

        Branches are kept as ``refs/remotes/<remote>/<branch>``, the remote's checkpoints
        as ``refs/remotes/<remote>/checkpoints/<name>`` (see `remote_checkpoints`; restore
        one as ``<remote>/checkpoints/<name>``). Local checkpoints are never touched;
        ``kept`` names the remote's checkpoints that a local one of the same name
        differs from.

        Args:
            remote: a configured remote's name, or a URL or path to fetch from directly
                (then no remote-tracking refs are kept).
            checkpoints: also fetch the remote's checkpoints.
            progress: receives the remote's progress messages as they come.

        Raises:
            RemoteError: the remote is unknown, cannot be reached, or cannot be read.
        """
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
        """Push a branch to the branch of the same name on the remote: a fast-forward only.

        Args:
            remote: a configured remote's name, or a URL or path.
            branch: the local branch; the checked-out one by default.
            checkpoints: also push every checkpoint (``refs/checkpoints/*``).
            force: overwrite the remote branch and checkpoints even when that drops
                commits there. Never done unless asked.

        Returns:
            The remote refs that moved.

        Raises:
            ConflictError: the remote branch has commits ours lacks (pull first), or a
                checkpoint of the same name is elsewhere there; nothing was pushed.
            RemoteError: the remote is unknown, unreachable, or refused the push.
            RepositoryError: the branch has no commit yet.
        """
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
        """Fetch from ``remote``, then merge its branch into the checked-out one (`merge`).

        Args:
            remote: a configured remote's name, or a URL or path.
            branch: the remote branch; by default the one the checked-out branch tracks,
                else the one of the same name, else the one the remote's ``HEAD`` names.
            gate: see `merge`.
            prefer: see `merge`.
            message: the merge commit's message; ``Merge <remote>/<branch> into <ours>``
                by default.
            author: ``"Name <email>"`` of the merge commit.
            progress: receives the remote's progress messages.

        Returns:
            What the branch now points at (a merge commit has two parents), or ``None``
            when there was nothing to bring in (an empty remote included).

        Raises:
            ConflictError: conflicts (in ``conflicts``), uncommitted edits in the way, or
                the branch moved meanwhile; nothing was changed.
            CommitRejectedError: the gate refused the merged content; nothing changed.
            RemoteError: the remote is unknown or unreachable, or lacks the branch.
        """
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
        """Bring revision ``rev`` (e.g. ``origin/main``) into the checked-out branch.

        A fast-forward when the branch is in ``rev``'s history; otherwise a merge commit
        whose files merge three-way, artifact by artifact, and inside JSON documents
        field by field (by JSON Pointer). Both sides changing the same field (or a
        non-JSON file) differently is a conflict: nothing is written, and the
        `ConflictError` lists each one with its base, ours and theirs values.

        Args:
            rev: any revision: a remote-tracking branch, a branch, a commit id.
            gate: called with every file whose content is new to the branch (path ->
                bytes); returns the bytes to commit (repaired, or as they were), or
                raises ``CommitRejectedError`` to refuse the merge. A mounted tree's
                ``pull`` passes its validate-and-repair gate here.
            prefer: ``"ours"`` or ``"theirs"``: resolve every conflict by taking that
                side's value, as ``git merge -X ours|theirs`` does.
            message: the merge commit's message; ``Merge <rev> into <branch>`` by default.
            author: ``"Name <email>"`` of the merge commit.

        Returns:
            What the branch now points at, or ``None`` if it already contained ``rev``.

        Raises:
            ConflictError: conflicts, uncommitted edits in the way, or the branch moved
                meanwhile; nothing was changed.
            CommitRejectedError: the gate refused the merged content; nothing changed.
            UnknownRevisionError: ``rev`` does not exist.
        """
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
        """Land our commits on ``remote``: pull, push, and retry fairly when others won.

        The loop many agents sharing one branch need: pull (merge what others pushed),
        push; when another push landed in between, back off for a random, growing time
        and do it again, up to ``attempts`` pushes. After landing, the next ``sync_with``
        of this repository first steps aside for one to three times a recent sync's
        duration, so agents that lost the race get their turn (see
        `gitworktree.history.remote.syncloop`).

        Args:
            remote: a configured remote's name, or a URL or path.
            gate: see `merge`.
            prefer: see `merge`; ``None`` stops at the first conflict.
            attempts: pushes tried at most.
            backoff: the first backoff window in seconds (doubled after each lost race).
            max_backoff: the largest backoff window, and the longest pause after landing.
            author: ``"Name <email>"`` of the merge commits.
            progress: receives the remote's progress messages.

        Returns:
            What happened: refs pushed, what each pull brought in, attempts, time waited.

        Raises:
            ConflictError: a merge conflict (``conflicts`` lists them; nothing changed),
                or the host's branch moved before each of ``attempts`` pushes (``ref`` is
                set; our commits stay here: call again later).
            CommitRejectedError: the gate refused the merged content; nothing changed.
            RemoteError: the remote is unknown, unreachable, or refused the push.
        """
        steps = SyncSteps(
            pull=lambda: self._pull_if_there(remote, gate, prefer, author, progress),
            push=lambda: self.push(remote, progress=progress),
            head=lambda: self.head,
        )
        state = self.__dict__.setdefault("_sync_state", SyncState())
        policy = SyncPolicy(attempts, backoff, max_backoff)
        return run_sync(steps, policy, cast(SyncState, state), remote)

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
