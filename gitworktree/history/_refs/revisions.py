"""Revision strings -> commit ids: ``HEAD~2``, ``main``, ``v1.0``, ``checkpoints/x``, ``3fa9c1e``.

A small, strict subset of git's revision syntax: a base followed by any number of
``~N`` / ``^N`` steps. The base is looked up in this order (docs/history.md, "Revision
lookup order"), so that an id printed by ``log`` always means that commit:

1. ``HEAD`` or ``@``;
2. 40 hex digits: that object, never a ref (as git does);
3. 4 to 39 hex digits that begin the id of exactly one commit (or tag): that commit, even
   when a ref has the same name (git prefers the ref; a ref named like an id could then
   shadow what ``log`` printed). Several such commits: `AmbiguousRevisionError`;
4. a full ref name (``refs/...``): that ref;
5. otherwise the name as git's ``ref_rev_parse_rules`` find it (``refs/<n>``,
   ``refs/tags/<n>``, ``refs/heads/<n>``, ``refs/remotes/<n>``, ``refs/remotes/<n>/HEAD``),
   then as a checkpoint (``refs/checkpoints/<n>``). Where git takes the first that
   exists, every one is looked at: two of them at different commits are refused as
   ambiguous, so that no branch, tag or fetched ref can silently stand in for another.

Names are checked with the git ref-name rules first, so no revision string can reach
outside the ref store.
"""

from __future__ import annotations

import re

from dulwich.objects import Commit, ObjectID, ShaFile, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import AmbiguousRevisionError, RepositoryError, UnknownRevisionError
from gitworktree.history._core.damage import damaged, load_object
from gitworktree.history._core.refnames import check_ref_name
from gitworktree.history._objects.commits import load_commit, parents_of, shallow_commits
from gitworktree.history._refs.refs import HEAD, branch_ref, read_ref

__all__ = ["CHECKPOINT_PREFIX", "REF_RULES", "is_object_id", "resolve_revision"]

CHECKPOINT_PREFIX = "refs/checkpoints/"
_FULL_ID = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_ID = re.compile(r"[0-9a-fA-F]{4,39}")
_STEP = re.compile(r"([~^])(\d*)")
# Refs git only ever points at commits.
_COMMIT_REFS = ("HEAD", "refs/heads/", CHECKPOINT_PREFIX, "refs/remotes/")
# Where a short name is looked for: git's order (refs.c, ref_rev_parse_rules), then among
# checkpoints so that a bare checkpoint name resolves too.
REF_RULES = (
    "refs/{}",
    "refs/tags/{}",
    "refs/heads/{}",
    "refs/remotes/{}",
    "refs/remotes/{}/HEAD",
    CHECKPOINT_PREFIX + "{}",
)


def is_object_id(name: str) -> bool:
    """Whether ``name`` reads as a full or abbreviated object id (4 to 40 hex digits)."""
    return bool(_FULL_ID.fullmatch(name) or _SHORT_ID.fullmatch(name))


def resolve_revision(repo: Repo, revision: str) -> ObjectID:
    """The commit id ``revision`` names (lookup order: see the module docstring).

    Args:
        repo: the repository.
        revision: e.g. ``HEAD``, ``HEAD~1``, ``HEAD^2``, ``main``, ``v1.0``,
            ``checkpoints/before``, ``before`` (a checkpoint), ``refs/heads/main``,
            ``origin/checkpoints/x`` (a host's checkpoint), or a full or abbreviated
            (4+ hex digits) commit id.

    Raises:
        InvalidNameError: if the name breaks the git ref-name rules (e.g. ``../../x``).
        UnknownRevisionError: if nothing by that name exists, or it is not a commit.
        AmbiguousRevisionError: if an abbreviated id begins several commits, or a name
            finds refs at different commits.
    """
    cut = min((i for i in (revision.find("~"), revision.find("^")) if i >= 0), default=None)
    base, steps = (revision, "") if cut is None else (revision[:cut], revision[cut:])
    found, ref = _resolve_base(repo, base, revision)
    sha = _peel_to_commit(repo, found, revision, ref)
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


def _resolve_base(repo: Repo, base: str, revision: str) -> tuple[ObjectID, str | None]:
    """The id ``base`` names, and the ref it was read from (``None``: an id was given)."""
    if base in ("HEAD", "@"):
        head = read_ref(repo, HEAD)
        if head is None:
            raise UnknownRevisionError(repo.path, revision, hint=_unborn_hint(repo))
        return head, "HEAD"
    if _FULL_ID.fullmatch(base):
        sha = ObjectID(base.lower().encode("ascii"))
        if sha in repo.object_store:
            return sha, None
        raise UnknownRevisionError(repo.path, revision)
    check_ref_name(base)
    if _SHORT_ID.fullmatch(base):
        found = _expand_short_id(repo, base.lower(), revision)
        if found is not None:
            return found, None
    if base.startswith("refs/"):
        full = read_ref(repo, Ref(base.encode("utf-8")))
        if full is None:
            raise UnknownRevisionError(repo.path, revision)
        return full, base
    return _resolve_short_name(repo, base, revision)


def _resolve_short_name(repo: Repo, base: str, revision: str) -> tuple[ObjectID, str]:
    """The one commit the refs ``base`` can name point at (see `REF_RULES`), and a ref."""
    found: dict[str, ObjectID] = {}
    for rule in REF_RULES:
        sha = read_ref(repo, Ref(rule.format(base).encode("utf-8")))
        if sha is not None:
            found[rule.format(base)] = sha
    commits = {_peel_to_commit(repo, sha, revision, ref): ref for ref, sha in found.items()}
    if len(commits) > 1:
        raise AmbiguousRevisionError(repo.path, revision, sorted(found))
    if not commits:
        raise UnknownRevisionError(repo.path, revision)
    return commits.popitem()


def _expand_short_id(repo: Repo, prefix: str, revision: str) -> ObjectID | None:
    """The one commit (or tag) whose id begins with ``prefix``; ``None`` if none does."""
    matches = set(repo.object_store.iter_prefix(prefix.encode("ascii")))
    store = repo.object_store
    commits = {sha for sha in matches if isinstance(load_object(store, sha, ShaFile), Commit | Tag)}
    if len(commits) > 1:
        names = sorted(sha.decode("ascii") for sha in commits)
        raise AmbiguousRevisionError(repo.path, revision, names)
    return commits.pop() if commits else None


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


def _unborn_hint(repo: Repo) -> str | None:
    """Why ``HEAD`` names no commit, as git says it, when its branch has none yet."""
    try:
        branch = branch_ref(repo).decode("utf-8", "replace").removeprefix("refs/heads/")
    except RepositoryError:  # detached or damaged: nothing more to say than "unknown"
        return None
    return (
        f"your current branch {branch!r} does not have any commits yet; the first commit "
        "(a mount, or `gitworktree commit`) makes one"
    )


def _shallow_hint(sha: ObjectID, shallow: frozenset[ObjectID]) -> str | None:
    if sha not in shallow:
        return None
    return (
        f"this is a shallow clone and its history ends at {sha.decode('ascii')[:12]}; "
        "fetch more of it with `git fetch --deepen=<n>` or `git fetch --unshallow`"
    )
