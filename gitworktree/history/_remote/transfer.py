"""Moving history between repositories: fetch, push and clone, through dulwich's clients.

A transfer has a network half and a local half. The network half (objects in, or a pack
out) runs without the writer lock, so a slow remote never blocks local commits; the
local half (refs) is short and runs under it (the caller's job: `record_fetch` and
`record_push` are the parts to lock).

Refs that travel:

- branches: ``refs/heads/*`` on the remote are kept locally as
  ``refs/remotes/<remote>/*`` (forced, as git's ``+`` refspec does);
- checkpoints: the remote's ``refs/checkpoints/*`` are kept as
  ``refs/remotes/<remote>/checkpoints/*`` (forced too: they mirror the host), never as
  local checkpoints, so that nothing a host sends can stand in for a local name, a branch
  or a commit id. A host branch named ``checkpoints/...`` or ``HEAD`` would collide with
  them or with ``<remote>/HEAD``: it gets no remote-tracking ref (``pull`` can still
  merge it). Local checkpoints (``refs/checkpoints/*``) go to the host's
  ``refs/checkpoints/*`` only when asked (``checkpoints=True``).

A push is a fast-forward of the remote branch, or nothing: whether the remote's commit
is an ancestor of ours is checked against what the remote advertises, before any pack is
sent, and the remote moves the ref by compare-and-swap from that commit. Nothing is ever
forced unless ``force=True``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dulwich.config import Config
from dulwich.errors import NotGitRepository
from dulwich.file import FileLocked
from dulwich.object_store import DiskObjectStore
from dulwich.objects import ZERO_SHA, Blob, ObjectID
from dulwich.pack import PackFileDisappeared, UnpackedObject
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import ConflictError, InvalidNameError, RemoteError, RepositoryError
from gitworktree.history._core.damage import load_object
from gitworktree.history._core.identity import Signature, repository_identity
from gitworktree.history._core.locks import add_object
from gitworktree.history._core.looseobjects import guard_object_store
from gitworktree.history._core.refnames import check_ref_name, remote_checkpoint_prefix
from gitworktree.history._core.untrusted import naming_commit
from gitworktree.history._objects.commits import load_commit
from gitworktree.history._objects.housekeeping import (
    auto_pack_limit,
    consolidate_packs_if_due,
    unpack_limit,
)
from gitworktree.history._objects.mergebase import is_ancestor as commit_is_ancestor
from gitworktree.history._objects.objectwalk import (
    commits_to_fetch,
    commits_to_send,
    new_objects,
    unpacked_objects,
)
from gitworktree.history._refs.loose import guard_loose_refs
from gitworktree.history._refs.refs import read_ref, reflog_wanted
from gitworktree.history._refs.revisions import CHECKPOINT_PREFIX
from gitworktree.history._remote.remotes import (
    Progress,
    RemoteTarget,
    absolute_location,
    add_remote,
    check_not_checked_out,
    check_url,
    host_damage,
    open_client,
    sent_objects,
    set_upstream,
    transport_errors,
)
from gitworktree.history._worktree.commit import StagedFile, reset_branch
from gitworktree.history._worktree.restore import restore_edits

__all__ = [
    "FetchResult",
    "Fetched",
    "PushResult",
    "clone_repository",
    "fetch_objects",
    "is_ancestor",
    "push_refs",
    "record_fetch",
    "record_push",
]

if TYPE_CHECKING:
    from dulwich.client import GitClient

log = logging.getLogger(__name__)

T = TypeVar("T")

_HEADS = b"refs/heads/"
_CHECKPOINTS = CHECKPOINT_PREFIX.encode("ascii")


@dataclass(frozen=True)
class FetchResult:
    """What a fetch brought.

    Attributes:
        remote: the remote's name, or its URL (without password) when given as one.
        url: the remote's URL, without password.
        heads: the remote's branches: short name -> commit id.
        updated: local refs that moved (remote-tracking branches, the remote's
            checkpoints under ``refs/remotes/<remote>/checkpoints/``): full ref name ->
            commit id.
        kept: names of the remote's checkpoints that a local checkpoint of the same name
            points elsewhere than; the local one is untouched (as always).
        default_branch: the branch the remote's ``HEAD`` names (``master`` on a host
            made by ``git init --bare`` with git's defaults), if it names one of ``heads``.
    """

    remote: str
    url: str
    heads: dict[str, str] = field(default_factory=dict)
    updated: dict[str, str] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    default_branch: str | None = None


@dataclass(frozen=True)
class PushResult:
    """What a push changed on the remote.

    Attributes:
        remote: the remote's name, or its URL (without password) when given as one.
        url: the remote's URL, without password.
        updated: remote refs moved or created: full ref name -> commit id. Empty when the
            remote was already up to date.
    """

    remote: str
    url: str
    updated: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetched:
    """The network half of a fetch: the remote's refs (of interest) and symbolic refs."""

    target: RemoteTarget
    refs: dict[Ref, ObjectID]
    symrefs: dict[Ref, Ref]
    checkpoints: bool


def fetch_objects(
    repo: Repo, target: RemoteTarget, *, checkpoints: bool, progress: Progress | None
) -> Fetched:
    """Download the objects of the remote's branches (and checkpoints) that we lack.

    Objects land in the object store only; no ref is changed (see `record_fetch`).

    Raises:
        RemoteError: if the remote cannot be reached or read.
    """

    # The refs are read once, when deciding what to copy, and those are the refs
    # reported. A local transport reads the remote's refs a second time after copying:
    # a push landing in between would name a commit that was never copied.
    seen: dict[Ref, ObjectID] = {}

    def wanted(refs: Mapping[Ref, ObjectID | None], depth: int | None = None) -> list[ObjectID]:
        seen.clear()
        seen.update(_of_interest(refs, checkpoints))
        return sorted(sha for sha in set(seen.values()) if sha not in repo.object_store)

    def attempt() -> tuple[dict[Ref, ObjectID], dict[Ref, Ref]]:
        from dulwich.client import LocalGitClient

        with open_client(repo, target) as (client, path), transport_errors(target):
            if isinstance(client, LocalGitClient):
                return _fetch_local(repo, path, checkpoints, progress)
            result = client.fetch(path, repo, determine_wants=wanted, progress=_bytes(progress))
            return seen or _of_interest(result.refs, checkpoints), dict(result.symrefs)

    refs, symrefs = _again_if_packs_vanished(attempt, target)
    _tidy(repo.object_store, repo.get_config_stack())
    # Whatever the remote claimed, a ref is only recorded at a commit we now have.
    present = {ref: sha for ref, sha in refs.items() if sha in repo.object_store}
    return Fetched(target, present, symrefs, checkpoints)


def _fetch_local(
    repo: Repo, path: str, checkpoints: bool, progress: Progress | None
) -> tuple[dict[Ref, ObjectID], dict[Ref, Ref]]:
    """Copy what we lack from a repository on this machine; its refs, read once.

    dulwich's local fetch collects every ancestor of what we have and reads whole packs
    looking for deltas: its cost grows with history. Here it follows what is new.
    """
    store = repo.object_store
    with host_damage(path):
        host = Repo(path)
        guard_loose_refs(host)
        guard_object_store(host)
    # Read inside the translation, closed outside it: the translated error no longer
    # holds views of the host's packs, which closing them would refuse.
    with host, host_damage(path):
        refs = _of_interest(host.get_refs(), checkpoints)
        symrefs = dict(host.refs.get_symrefs())
        try:
            commits = commits_to_fetch(
                host.object_store, sorted(set(refs.values())), lambda sha: sha in store
            )
            wanted = [sha for sha in new_objects(host.object_store, commits) if sha not in store]
        except KeyError as err:
            sha = err.args[0] if err.args else b"?"
            name = sha.decode("ascii", "replace") if isinstance(sha, bytes) else str(sha)
            raise RemoteError(
                path, f"{path} is damaged: object {name} is missing or of the wrong type"
            ) from err
        if len(wanted) < unpack_limit(repo.get_config_stack(), "fetch"):
            for sha in wanted:  # as git does: a small fetch is kept as loose objects
                add_object(store, host.object_store[sha])
        elif wanted:
            store.add_pack_data(*unpacked_objects(host.object_store, wanted))
        if progress is not None:
            progress(f"Copying objects: {len(wanted)}, done.\n")
    return refs, symrefs


def record_fetch(repo: Repo, fetched: Fetched, signature: Signature) -> FetchResult:
    """Update the remote-tracking branches and checkpoints, with reflog entries."""
    target = fetched.target
    message = f"fetch: from {target.public_url}".encode()
    stamp = (signature.raw, signature.timestamp, signature.offset)
    updated: dict[str, str] = {}
    kept: list[str] = []
    heads: dict[str, str] = {}
    for ref, sha in sorted(fetched.refs.items()):
        local = _tracking_ref(target, ref)
        if ref.startswith(_HEADS):
            heads[ref[len(_HEADS) :].decode("utf-8")] = sha.decode("ascii")
        else:
            ours = read_ref(repo, ref)  # the local checkpoint of the same name
            if ours is not None and ours != sha:
                kept.append(ref[len(_CHECKPOINTS) :].decode("utf-8"))
        if local is not None and read_ref(repo, local) != sha:
            logged = message if reflog_wanted(repo, local) else None
            repo.refs.set_if_equals(local, None, sha, *stamp, message=logged)
            updated[local.decode("utf-8")] = sha.decode("ascii")
    head = fetched.symrefs.get(Ref(b"HEAD"), b"")
    named = head[len(_HEADS) :].decode("utf-8", "replace") if head.startswith(_HEADS) else None
    default = named if named in heads else None
    return FetchResult(target.label, target.public_url, heads, updated, tuple(kept), default)


def _tracking_ref(target: RemoteTarget, ref: Ref) -> Ref | None:
    """Where the remote's ``ref`` is kept here, or ``None`` if nowhere.

    ``refs/heads/<b>`` -> ``refs/remotes/<remote>/<b>``, ``refs/checkpoints/<c>`` ->
    ``refs/remotes/<remote>/checkpoints/<c>``; nothing for a remote given by URL (as with
    git), nor for a branch that would land on a checkpoint's or ``<remote>/HEAD``'s place.
    """
    if target.name is None:
        return None
    if ref.startswith(_CHECKPOINTS):
        prefix = remote_checkpoint_prefix(target.name).encode("utf-8")
        return Ref(prefix + ref[len(_CHECKPOINTS) :])
    branch = ref[len(_HEADS) :]
    if branch in (b"HEAD", b"checkpoints") or branch.startswith(b"checkpoints/"):
        return None
    return Ref(b"refs/remotes/" + target.name.encode("utf-8") + b"/" + branch)


def push_refs(
    repo: Repo,
    target: RemoteTarget,
    branch: Ref,
    *,
    checkpoints: bool,
    force: bool,
    progress: Progress | None,
) -> PushResult:
    """Push ``branch`` (and checkpoints) to the ref of the same name on the remote.

    Raises:
        ConflictError: the remote branch is not an ancestor of ours (pull first), or a
            checkpoint of the same name is at another commit there; nothing was pushed.
        RemoteError: the remote cannot be reached, or refused the update.
        RepositoryError: the branch has no commit yet.
    """
    ours = _refs_to_push(repo, branch, checkpoints)
    planned: dict[Ref, ObjectID] = {}

    def update_refs(remote_refs: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        planned.clear()
        planned.update(_plan_push(repo, target, branch, ours, remote_refs, force=force))
        return dict(planned)

    def pack(
        have: AbstractSet[ObjectID],
        want: AbstractSet[ObjectID],
        *,
        ofs_delta: bool = False,
        progress: Callable[[bytes], None] | None = None,
    ) -> tuple[int, Iterator[UnpackedObject]]:
        # dulwich annotates this progress as taking str, but calls it with bytes, as the
        # client's own (``progress`` here, which forwards to ours) expects.
        counting: Any = progress
        try:
            commits = commits_to_send(repo.object_store, sorted(want), sorted(have))
            objects = new_objects(repo.object_store, commits)
            if progress is not None:
                progress(f"counting objects: {len(objects)}, done.\n".encode())
            return unpacked_objects(repo.object_store, objects)
        except KeyError:
            # Not only commits wanted (or a damaged history): dulwich's own, slower search.
            return repo.generate_pack_data(
                set(have), set(want), ofs_delta=ofs_delta, progress=counting
            )

    def attempt() -> Any:
        with open_client(repo, target) as (client, path):
            check_not_checked_out(client, path, branch, target)
            try:
                with transport_errors(target):
                    sent = client.send_pack(
                        path.encode("utf-8"),
                        update_refs,
                        generate_pack_data=pack,
                        progress=_bytes(progress),
                    )
            except FileLocked as err:
                # A local host's ref is locked by another pusher (or git) right now.
                raise _moved_while_pushing(target, branch, "its lock file exists") from err
            if sent.ref_status is not None and not any(sent.ref_status.values()):
                _tidy_local_host(client, path)
            return sent

    result = _again_if_packs_vanished(attempt, target)
    _check_statuses(target, branch, result.ref_status or {})
    updated = {ref.decode("utf-8"): sha.decode("ascii") for ref, sha in planned.items()}
    return PushResult(target.label, target.public_url, updated)


def _refs_to_push(repo: Repo, branch: Ref, checkpoints: bool) -> dict[Ref, ObjectID]:
    local = read_ref(repo, branch)
    if local is None:
        raise RepositoryError(
            repo.path, f"nothing to push: {branch.decode('utf-8')} has no commit yet"
        )
    refs: dict[Ref, ObjectID] = {branch: local}
    if checkpoints:
        prefix = Ref(_CHECKPOINTS.rstrip(b"/"))
        for name, sha in repo.refs.as_dict(prefix).items():
            refs[Ref(_CHECKPOINTS + name)] = sha
    return refs


def record_push(repo: Repo, target: RemoteTarget, pushed: PushResult, signature: Signature) -> None:
    """Move the remote-tracking refs of the branches and checkpoints just pushed."""
    if target.name is None:
        return
    message = f"update by push to {target.public_url}".encode()
    for ref, sha in pushed.updated.items():
        local = _tracking_ref(target, Ref(ref.encode("utf-8")))
        if local is not None:
            repo.refs.set_if_equals(
                local,
                None,
                ObjectID(sha.encode("ascii")),
                signature.raw,
                signature.timestamp,
                signature.offset,
                message=message if reflog_wanted(repo, local) else None,
            )


def is_ancestor(repo: Repo, ancestor: ObjectID, descendant: ObjectID) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors (``False`` if unknown).

    Raises:
        MissingObjectError: ``descendant`` itself is missing: damage, not an answer.
    """
    load_commit(repo.object_store, descendant)
    try:
        return commit_is_ancestor(repo.object_store, ancestor, descendant)
    except KeyError:
        return False  # we do not have that commit: it cannot be in our history


def clone_repository(
    url: str,
    path: Path,
    *,
    remote: str,
    branch: str | None,
    checkpoints: bool,
    progress: Progress | None,
) -> Repo:
    """Create a repository at ``path`` from the one at ``url`` and check its branch out.

    The remote is configured as ``remote``, its branches kept as remote-tracking refs,
    and the checked-out branch tracks the remote's. An empty remote gives an empty
    repository whose first commit will create the branch there on push.

    Raises:
        RepositoryError: ``path`` exists and is not an empty directory.
        RemoteError: the remote cannot be reached, or has no branch ``branch``.
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RepositoryError(path, "already exists and is not an empty directory")
    if branch is not None:
        check_ref_name(branch)
    location = check_url(url, absolute_location(url))
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo.init(str(path), default_branch=b"main")
    try:
        _clone_into(repo, location, remote, branch, checkpoints, progress)
    except BaseException:
        repo.close()
        _remove_clone(path, created)
        raise
    return repo


def _clone_into(
    repo: Repo,
    url: str,
    remote: str,
    branch: str | None,
    checkpoints: bool,
    progress: Progress | None,
) -> None:
    add_remote(repo, remote, url)
    target = RemoteTarget(remote, url)
    signature = Signature.now(repository_identity(repo.get_config_stack(), "COMMITTER"))
    fetched = fetch_objects(repo, target, checkpoints=checkpoints, progress=progress)
    result = record_fetch(repo, fetched, signature)
    chosen = branch or _remote_default_branch(fetched, result.heads)
    if branch is not None and result.heads and branch not in result.heads:
        raise RemoteError(
            target.label,
            f"{target.public_url} has no branch {branch!r} (branches: "
            f"{', '.join(sorted(result.heads))})",
            url=target.public_url,
        )
    ref = Ref(_HEADS + chosen.encode("utf-8"))
    repo.refs.set_symbolic_ref(Ref(b"HEAD"), ref)
    set_upstream(repo, chosen, remote)
    sha = result.heads.get(chosen)
    if sha is None:
        return  # an empty remote: the branch is born with the first commit
    commit = ObjectID(sha.encode("ascii"))
    store = repo.object_store
    files: dict[str, StagedFile | None] = {}
    with naming_commit(commit), sent_objects(target):  # every entry checked as read
        for file, entry in restore_edits(store, None, load_commit(store, commit).tree).items():
            if entry is not None:
                files[file] = StagedFile(load_object(store, entry[1], Blob), entry[0])
        reset_branch(
            repo,
            commit,
            files,
            expected_head=None,
            signature=signature,
            message=f"clone: from {target.public_url}",
        )


def _remote_default_branch(fetched: Fetched, heads: Mapping[str, str]) -> str:
    """The branch the remote's HEAD names, else ``main`` (or its only branch)."""
    head = fetched.symrefs.get(Ref(b"HEAD"), b"")
    named = head[len(_HEADS) :].decode("utf-8", "replace") if head.startswith(_HEADS) else None
    if named is not None and (named in heads or not heads):
        return named  # an empty remote's HEAD still names the branch it expects
    if "main" in heads or not heads:
        return "main"
    return "master" if "master" in heads else sorted(heads)[0]


def _remove_clone(path: Path, created: bool) -> None:
    """Undo a failed clone: remove the directory we made, or empty the one we were given."""
    if created:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _of_interest(refs: Mapping[Ref, ObjectID | None], checkpoints: bool) -> dict[Ref, ObjectID]:
    """Branches, and checkpoints if wanted, with valid names (a remote may send anything)."""
    found: dict[Ref, ObjectID] = {}
    for ref, sha in refs.items():
        if sha is None or sha == ZERO_SHA or ref.endswith(b"^{}"):
            continue
        if not (ref.startswith(_HEADS) or (checkpoints and ref.startswith(_CHECKPOINTS))):
            continue
        try:
            check_ref_name(ref.decode("utf-8"))
        except (InvalidNameError, UnicodeDecodeError):
            continue
        found[ref] = sha
    return found


def _plan_push(
    repo: Repo,
    target: RemoteTarget,
    branch: Ref,
    ours: Mapping[Ref, ObjectID],
    remote_refs: Mapping[Ref, ObjectID],
    *,
    force: bool,
) -> dict[Ref, ObjectID]:
    """The remote refs to move; refuses (before anything is sent) what is not a fast-forward."""
    planned: dict[Ref, ObjectID] = {}
    refused: list[str] = []
    for ref, sha in ours.items():
        current = remote_refs.get(ref)
        if current == sha:
            continue
        fast_forward = ref == branch and is_ancestor(repo, current or sha, sha)
        if current is None or current == ZERO_SHA or force or fast_forward:
            planned[ref] = sha
        else:
            refused.append(ref.decode("utf-8"))
    if refused:
        raise _push_refused(target, branch, refused)
    return planned


def _push_refused(target: RemoteTarget, branch: Ref, refused: list[str]) -> ConflictError:
    name = branch.decode("utf-8")
    if name in refused:
        short = name.removeprefix("refs/heads/")
        return ConflictError(
            f"push to {target.label} rejected, nothing was pushed: {short} there has commits "
            f"that are not in yours (not a fast-forward). Pull first (pull({target.label!r}) "
            "merges them, artifact by artifact), then push again",
            ref=name,
        )
    names = ", ".join(ref.removeprefix(CHECKPOINT_PREFIX) for ref in refused)
    return ConflictError(
        f"push to {target.label} rejected, nothing was pushed: checkpoints {names} exist there "
        "at other commits; rename yours, or push without checkpoints",
        ref=refused[0],
    )


def _check_statuses(
    target: RemoteTarget, branch: Ref, statuses: Mapping[bytes, str | None]
) -> None:
    """Raise for any ref the remote refused to update."""
    failed = {ref: error for ref, error in statuses.items() if error is not None}
    if not failed:
        return
    if branch in failed and _moved_meanwhile(failed[branch] or ""):
        raise _moved_while_pushing(target, branch, failed[branch] or "")
    details = "; ".join(f"{ref.decode('utf-8', 'replace')}: {err}" for ref, err in failed.items())
    raise RemoteError(
        target.label, f"{target.public_url} refused the push: {details}", url=target.public_url
    )


def _moved_while_pushing(target: RemoteTarget, branch: Ref, detail: str) -> ConflictError:
    """Another push raced ours there: retryable, after a pull."""
    name = branch.decode("utf-8")
    return ConflictError(
        f"push to {target.label} rejected: {name} moved or was being moved there while we "
        f"pushed ({detail}). Pull first, then push again",
        ref=name,
    )


def _moved_meanwhile(error: str) -> bool:
    # git's receive-pack reports a lost compare-and-swap or a held ref lock as "failed to
    # update ref" (and "cannot lock ref"); dulwich's local transport as "unable to set".
    words = (
        "non-fast-forward",
        "fetch first",
        "unable to set",
        "stale info",
        "failed to lock",
        "failed to update ref",
        "cannot lock ref",
    )
    return any(word in error for word in words)


def _again_if_packs_vanished(attempt: Callable[[], T], target: RemoteTarget) -> T:
    """Run a transfer; again (twice at most) if a local host's packs were replaced meanwhile.

    Another process consolidating the host's packs removes those we listed a moment
    before opening them; their objects are in the new pack, which a fresh look finds.

    Raises:
        RemoteError: the packs kept changing under us three times in a row.
    """
    for tries_left in (2, 1, 0):
        try:
            return attempt()
        except PackFileDisappeared as err:
            if tries_left:
                continue
            raise RemoteError(
                target.label,
                f"the packs of {target.public_url} kept being rewritten while we read them "
                f"({err}); try again",
                url=target.public_url,
            ) from err
        except RemoteError as err:
            if tries_left and isinstance(err.__cause__, FileNotFoundError | PackFileDisappeared):
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _tidy(store: object, config: Config) -> None:
    """Consolidate the packs of a repository on this machine when ``gc --auto`` would.

    Tidying never fails a transfer: the refs are right either way.
    """
    if not isinstance(store, DiskObjectStore):
        return
    try:
        replaced = consolidate_packs_if_due(store, auto_pack_limit(config))
    except (OSError, FileLocked) as error:
        log.warning("could not consolidate the packs of %s: %s", store.path, error)
        return
    if replaced:
        log.info("consolidated %d packs of %s into one", replaced, store.path)


def _tidy_local_host(client: GitClient, path: str) -> None:
    """After a push into a repository on this machine, pack it as git's receive-pack would."""
    from dulwich.client import LocalGitClient

    if not isinstance(client, LocalGitClient):
        return  # a server packs its own repositories
    try:
        with Repo(path) as host:
            _tidy(host.object_store, host.get_config_stack())
    except (OSError, NotGitRepository) as error:
        log.warning("could not open %s to consolidate its packs: %s", path, error)


def _bytes(progress: Progress | None) -> Callable[[bytes], None] | None:
    if progress is None:
        return None
    report = progress

    def forward(data: bytes) -> None:
        report(data.decode("utf-8", "replace"))

    return forward
