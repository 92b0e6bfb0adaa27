"""Revision strings -> commit ids: ``HEAD~2``, ``main``, ``v1.0``, ``checkpoints/x``, ``3fa9c1e``.

A small, strict subset of git's revision syntax: a base (``HEAD``/``@``, a full or
abbreviated commit id, or a ref name looked up the way git does, then under
``refs/checkpoints/``) followed by any number of ``~N`` / ``^N`` steps. Names are checked
with the git ref-name rules first, so no revision string can reach outside the ref store.
"""

from __future__ import annotations

import re

from dulwich.objects import Commit, ObjectID, ShaFile, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import RepositoryError, UnknownRevisionError
from gitworktree.history.commits import load_commit
from gitworktree.history.damage import damaged, load_object
from gitworktree.history.refnames import check_ref_name
from gitworktree.history.refs import HEAD, read_ref

__all__ = ["CHECKPOINT_PREFIX", "resolve_revision"]

CHECKPOINT_PREFIX = "refs/checkpoints/"
_FULL_ID = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_ID = re.compile(r"[0-9a-fA-F]{4,39}")
# Refs git only ever points at commits.
_COMMIT_REFS = ("HEAD", "refs/heads/", CHECKPOINT_PREFIX, "refs/remotes/")
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
    found, ref = _resolve_base(repo, base, revision)
    sha = _peel_to_commit(repo, found, revision, ref)
    position = 0
    for match in _STEP.finditer(steps):
        if match.start() != position:
            break
        position = match.end()
        sha = _step(repo, sha, match.group(1), int(match.group(2) or 1), revision)
    if position != len(steps):
        raise UnknownRevisionError(repo.path, revision)
    return sha


def _resolve_base(repo: Repo, base: str, revision: str) -> tuple[ObjectID, str | None]:
    """The id ``base`` names, and the ref it was read from (``None``: an id was given)."""
    if base in ("HEAD", "@"):
        head = read_ref(repo, HEAD)
        if head is None:
            raise UnknownRevisionError(repo.path, revision)
        return head, "HEAD"
    if _FULL_ID.fullmatch(base):
        sha = ObjectID(base.lower().encode("ascii"))
        if sha in repo.object_store:
            return sha, None
        raise UnknownRevisionError(repo.path, revision)
    check_ref_name(base)
    candidates = [base] if base.startswith("refs/") else [p.format(base) for p in _REF_PATTERNS]
    for candidate in candidates:
        found = read_ref(repo, Ref(candidate.encode("utf-8")))
        if found is not None:
            return found, candidate
    if _SHORT_ID.fullmatch(base):
        return _expand_short_id(repo, base.lower(), revision), None
    raise UnknownRevisionError(repo.path, revision)


def _expand_short_id(repo: Repo, prefix: str, revision: str) -> ObjectID:
    matches = set(repo.object_store.iter_prefix(prefix.encode("ascii")))
    store = repo.object_store
    commits = {sha for sha in matches if isinstance(load_object(store, sha, ShaFile), Commit | Tag)}
    if len(commits) == 1:
        return commits.pop()
    if not commits:
        raise UnknownRevisionError(repo.path, revision)
    raise RepositoryError(
        repo.path, f"abbreviated id {prefix!r} is ambiguous; give more hex digits"
    )


def _peel_to_commit(repo: Repo, sha: ObjectID, revision: str, ref: str | None) -> ObjectID:
    """The commit ``sha`` is or (through tags) points at.

    A ref to an object that is missing, or a branch, ``HEAD`` or checkpoint pointing at
    something other than a commit, is damage (git never writes one); a tag or an id
    typed by the caller that names a tree or blob is only not a commit.
    """
    obj: ShaFile = load_object(repo.object_store, sha, ShaFile)
    while isinstance(obj, Tag):
        obj = load_object(repo.object_store, obj.object[1], ShaFile)
    if isinstance(obj, Commit):
        return obj.id
    if ref is not None and ref.startswith(_COMMIT_REFS):
        kind = obj.type_name.decode("ascii")
        raise damaged(repo.path, f"{ref} points at a {kind} ({sha.decode()}), not a commit")
    raise UnknownRevisionError(repo.path, revision)


def _step(repo: Repo, sha: ObjectID, kind: str, count: int, revision: str) -> ObjectID:
    """Apply one ``~N`` (N first parents back) or ``^N`` (the N-th parent) step."""
    if kind == "^":
        if count == 0:
            return sha
        parents = load_commit(repo.object_store, sha).parents
        if count > len(parents):
            raise UnknownRevisionError(repo.path, revision)
        return parents[count - 1]
    for _ in range(count):
        parents = load_commit(repo.object_store, sha).parents
        if not parents:
            raise UnknownRevisionError(repo.path, revision)
        sha = parents[0]
    return sha
