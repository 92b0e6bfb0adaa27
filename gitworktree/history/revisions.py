"""Revision strings -> commit ids: ``HEAD~2``, ``main``, ``v1.0``, ``checkpoints/x``, ``3fa9c1e``.

A small, strict subset of git's revision syntax: a base (``HEAD``/``@``, a full or
abbreviated commit id, or a ref name looked up the way git does, then under
``refs/checkpoints/``) followed by any number of ``~N`` / ``^N`` steps. Names are checked
with the git ref-name rules first, so no revision string can reach outside the ref store.
"""

from __future__ import annotations

import re

from dulwich.objects import Commit, ObjectID, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import RepositoryError, UnknownRevisionError
from gitworktree.history.commits import load_commit, parents_of, shallow_commits
from gitworktree.history.refnames import check_ref_name
from gitworktree.history.refs import HEAD, read_ref

__all__ = ["CHECKPOINT_PREFIX", "resolve_revision"]

CHECKPOINT_PREFIX = "refs/checkpoints/"
_FULL_ID = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_ID = re.compile(r"[0-9a-fA-F]{4,39}")
_STEP = re.compile(r"([~^])(\d*)")
# Where a short name is looked for, in git's order (git rev-parse, "SPECIFYING
# REVISIONS"), then among checkpoints so that a bare checkpoint name resolves too.
_REF_PATTERNS = (
    "refs/{}",
    "refs/tags/{}",
    "refs/heads/{}",
    "refs/remotes/{}",
    "refs/remotes/{}/HEAD",
    CHECKPOINT_PREFIX + "{}",
)


def resolve_revision(repo: Repo, revision: str) -> ObjectID:
    """The commit id ``revision`` names.

    Args:
        repo: the repository.
        revision: e.g. ``HEAD``, ``HEAD~1``, ``HEAD^2``, ``main``, ``v1.0``,
            ``checkpoints/before``, ``before`` (a checkpoint), ``refs/heads/main``, or a full
            or abbreviated (4+ hex digits) commit id.

    Raises:
        InvalidNameError: if the name breaks the git ref-name rules (e.g. ``../../x``).
        UnknownRevisionError: if nothing by that name exists, or it is not a commit.
        RepositoryError: if an abbreviated id is ambiguous.
    """
    cut = min((i for i in (revision.find("~"), revision.find("^")) if i >= 0), default=None)
    base, steps = (revision, "") if cut is None else (revision[:cut], revision[cut:])
    sha = _peel_to_commit(repo, _resolve_base(repo, base, revision), revision)
    position = 0
    shallow = shallow_commits(repo) if steps else frozenset()
    for match in _STEP.finditer(steps):
        if match.start() != position:
            break
        position = match.end()
        sha = _step(repo, sha, match.group(1), int(match.group(2) or 1), revision, shallow)
    if position != len(steps):
        raise UnknownRevisionError(repo.path, revision)
    return sha


def _resolve_base(repo: Repo, base: str, revision: str) -> ObjectID:
    if base in ("HEAD", "@"):
        head = read_ref(repo, HEAD)
        if head is None:
            raise UnknownRevisionError(repo.path, revision)
        return head
    if _FULL_ID.fullmatch(base):
        sha = ObjectID(base.lower().encode("ascii"))
        if sha in repo.object_store:
            return sha
        raise UnknownRevisionError(repo.path, revision)
    check_ref_name(base)
    candidates = [base] if base.startswith("refs/") else [p.format(base) for p in _REF_PATTERNS]
    for candidate in candidates:
        found = read_ref(repo, Ref(candidate.encode("utf-8")))
        if found is not None:
            return found
    if _SHORT_ID.fullmatch(base):
        return _expand_short_id(repo, base.lower(), revision)
    raise UnknownRevisionError(repo.path, revision)


def _expand_short_id(repo: Repo, prefix: str, revision: str) -> ObjectID:
    matches = set(repo.object_store.iter_prefix(prefix.encode("ascii")))
    commits = {sha for sha in matches if isinstance(repo.object_store[sha], Commit | Tag)}
    if len(commits) == 1:
        return commits.pop()
    if not commits:
        raise UnknownRevisionError(repo.path, revision)
    raise RepositoryError(
        repo.path, f"abbreviated id {prefix!r} is ambiguous; give more hex digits"
    )


def _peel_to_commit(repo: Repo, sha: ObjectID, revision: str) -> ObjectID:
    obj = repo.object_store[sha]
    while isinstance(obj, Tag):
        obj = repo.object_store[obj.object[1]]
    if not isinstance(obj, Commit):
        raise UnknownRevisionError(repo.path, revision)
    return obj.id


def _step(
    repo: Repo,
    sha: ObjectID,
    kind: str,
    count: int,
    revision: str,
    shallow: frozenset[ObjectID],
) -> ObjectID:
    """Apply one ``~N`` (N first parents back) or ``^N`` (the N-th parent) step.

    A shallow clone's boundary commits have no parents here, as in git.
    """
    if kind == "^":
        if count == 0:
            return sha
        parents = parents_of(load_commit(repo.object_store, sha), shallow)
        if count > len(parents):
            raise UnknownRevisionError(repo.path, revision, hint=_shallow_hint(sha, shallow))
        return parents[count - 1]
    for _ in range(count):
        parents = parents_of(load_commit(repo.object_store, sha), shallow)
        if not parents:
            raise UnknownRevisionError(repo.path, revision, hint=_shallow_hint(sha, shallow))
        sha = parents[0]
    return sha


def _shallow_hint(sha: ObjectID, shallow: frozenset[ObjectID]) -> str | None:
    if sha not in shallow:
        return None
    return (
        f"this is a shallow clone and its history ends at {sha.decode('ascii')[:12]}; "
        "fetch more of it with `git fetch --deepen=<n>` or `git fetch --unshallow`"
    )
