"""The Git side of the saver: one ref per thread and namespace, an index of its commits.

Every checkpoint, and every batch of pending writes, is one commit on the ref of its
thread and namespace. A checkpoint commit's first parent is its parent checkpoint, and
its second the latest writes commit of that parent -- the writes LangGraph applied to
the parent to make it -- so ``git log --first-parent -p`` shows what each step changed.
A writes commit's parent is the ref's tip (see `CheckpointWriter.writes_draft`). When
the tip is none of a checkpoint commit's parents (a fork, writes stored early, a new
root), the tip becomes one more parent, so that every commit of the thread stays
reachable from the one ref.

The ref moves by compare-and-swap from the tip the commit was built on; if another
process moved it first, the commit is built again on the new tip. Nothing here touches
HEAD, the index, the branch or the work tree.
"""

from __future__ import annotations

import bisect
import stat
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dulwich.errors import WrongObjectException
from dulwich.objects import Commit, ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import ConflictError, RepositoryError
from gitworktree.history._core.identity import Signature
from gitworktree.history._core.locks import lock_errors, wait_for_lock
from gitworktree.history._objects.rawtrees import (
    RawTree,
    blob_content,
    read_tree,
    write_blob,
    write_object,
    write_tree,
)
from gitworktree.history._refs.refs import add_ref_if_new, delete_ref, read_ref, swap_ref
from gitworktree.langgraph._layout import CommitTrailers, parse_trailers

__all__ = ["BlobCache", "ChannelNames", "CommitDraft", "RefIndex", "ThreadStore", "TreeFiles"]

DIRECTORY_MODE = stat.S_IFDIR
FILE_MODE = 0o100644
#: How many times a commit is rebuilt when other writers keep moving the ref under it.
_CAS_ATTEMPTS = 50


@dataclass
class RefIndex:
    """What one ref holds: checkpoint id -> its commit, and -> its latest writes commit.

    Attributes:
        tip: the commit the ref pointed at when the index was last brought up to date.
        seq: the tip's ``Langgraph-Seq``.
        checkpoints: checkpoint id -> ``(seq, commit)`` of the checkpoint commit.
        writes: checkpoint id -> ``(seq, commit)`` of its latest writes commit.
        seen: every commit already indexed.
    """

    tip: ObjectID | None = None
    seq: int = 0
    checkpoints: dict[str, tuple[int, ObjectID]] = field(default_factory=dict)
    writes: dict[str, tuple[int, ObjectID]] = field(default_factory=dict)
    seen: set[ObjectID] = field(default_factory=set)

    def latest(self) -> str | None:
        """The newest checkpoint id (ids sort in creation order), or ``None``."""
        return max(self.checkpoints) if self.checkpoints else None


@dataclass(frozen=True)
class CommitDraft:
    """A commit to publish on a ref: its tree, what it builds on, and its message."""

    tree: ObjectID
    base: ObjectID | None
    message: str
    kind: str
    checkpoint_id: str
    #: Parents after ``base``: the writes a checkpoint was made from.
    also: tuple[ObjectID, ...] = ()


class TreeFiles:
    """The entries of one tree by name: ``name -> (mode, id)``."""

    def __init__(self, tree: RawTree) -> None:
        self.tree = tree

    def find_stem(self, stem: bytes) -> list[bytes]:
        """Names of the entries called ``<stem>.<anything>`` (the saver's value files)."""
        keys = self.tree.keys
        at = bisect.bisect_left(keys, stem + b".")
        found: list[bytes] = []
        while at < len(keys) and keys[at].startswith(stem + b"."):
            found.append(keys[at].rstrip(b"/"))
            at += 1
        return found


class BlobCache:
    """Blob contents by id, oldest out first, bounded by total size.

    A blob never changes, so a channel that did not change between two checkpoints is
    read from disk once, however many times it is loaded. (Oldest first, not least
    recently used: a state of 10,000 channels reads 10,000 blobs per load, and
    reordering on every hit costs more than the rare re-read it saves.)
    """

    def __init__(self, limit: int = 64 * 1024 * 1024) -> None:
        self._limit = limit
        self._size = 0
        self._blobs: dict[ObjectID, bytes] = {}

    def get(self, repo: Repo, blob_id: ObjectID) -> bytes:
        """The content of blob ``blob_id``.

        Raises:
            RepositoryError: if the object is missing or not a blob.
        """
        data = self._blobs.get(blob_id)
        if data is not None:
            return data
        try:
            data = blob_content(repo.object_store, blob_id)
        except KeyError:
            raise RepositoryError(repo.path, f"object {blob_id.decode()} is missing") from None
        except WrongObjectException:
            raise RepositoryError(repo.path, f"object {blob_id.decode()} is not a blob") from None
        self.put(blob_id, data)
        return data

    def put(self, blob_id: ObjectID, data: bytes) -> None:
        """Remember ``data`` as the content of ``blob_id``."""
        if blob_id in self._blobs or len(data) > self._limit // 4:
            return
        self._blobs[blob_id] = data
        self._size += len(data)
        while self._size > self._limit:
            oldest = next(iter(self._blobs))
            self._size -= len(self._blobs.pop(oldest))


class ChannelNames:
    """The channels a ``channels/`` tree holds, by tree id (a tree never changes), for
    the last few trees: a step finds the channels to delete by set difference."""

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._names: OrderedDict[ObjectID, frozenset[str]] = OrderedDict()

    def get(self, tree_id: ObjectID) -> frozenset[str] | None:
        """The channel names of ``tree_id``, if remembered."""
        return self._names.get(tree_id)

    def put(self, tree_id: ObjectID, names: frozenset[str]) -> None:
        """Remember the channel names of ``tree_id``."""
        self._names[tree_id] = names
        self._names.move_to_end(tree_id)
        while len(self._names) > self._limit:
            self._names.popitem(last=False)


class ThreadStore:
    """The refs and commits of the saver in one repository (callers hold its lock)."""

    def __init__(self, repo: Repo, identity: str) -> None:
        self.repo = repo
        self.identity = identity
        self.blobs = BlobCache()
        self.channel_names = ChannelNames()
        self._indexes: dict[str, RefIndex] = {}

    # --- reading -----------------------------------------------------------------------

    def index(self, ref: str) -> RefIndex:
        """The index of ``ref``, brought up to date with where the ref points now."""
        tip = read_ref(self.repo, Ref(ref.encode("utf-8")))
        index = self._indexes.get(ref)
        if index is not None and index.tip == tip:
            return index
        if tip is None:
            self._indexes.pop(ref, None)
            return RefIndex()
        try:
            if index is None or not self._extends(index, tip):
                index = RefIndex()  # the ref was rewritten (pruned, or reset by hand): start over
                self._walk_into(index, tip)
        except RepositoryError as error:
            # A ref moved by hand (or fetched from a host) may point at a blob, a tree or
            # a commit whose parents are missing; the message must say which ref it is.
            detail = str(error).removeprefix(f"{error.path}: ")
            raise RepositoryError(
                self.repo.path,
                f"{ref} cannot be read as LangGraph checkpoints: {detail}; point it back at "
                f"a checkpoint commit (git update-ref {ref} <commit>) or delete the thread "
                f"(git update-ref -d {ref})",
                reason="damaged",
            ) from None
        self._indexes[ref] = index
        return index

    def _extends(self, index: RefIndex, tip: ObjectID) -> bool:
        """Index the commits from ``tip`` down to those already indexed, if it reaches the
        old tip; ``False`` (and ``index`` untouched) if the ref no longer contains it."""
        fresh = RefIndex()  # the new commits only: a step costs what it added, not the history
        reached = self._walk_into(fresh, tip, stop=index.seen)
        if index.tip not in reached:
            return False
        for cid, entry in fresh.checkpoints.items():
            if entry[0] > index.checkpoints.get(cid, (-1, b""))[0]:
                index.checkpoints[cid] = entry
        for cid, entry in fresh.writes.items():
            if entry[0] > index.writes.get(cid, (-1, b""))[0]:
                index.writes[cid] = entry
        index.seen |= fresh.seen
        index.tip, index.seq = tip, fresh.seq
        return True

    def _walk_into(
        self, index: RefIndex, tip: ObjectID, stop: set[ObjectID] | None = None
    ) -> set[ObjectID]:
        """Add every commit reachable from ``tip`` (not past ``stop``) to ``index``;
        returns the commits of ``stop`` the walk reached."""
        reached: set[ObjectID] = set()
        queue = deque([tip])
        index.tip, index.seq = tip, 0
        first = True
        while queue:
            sha = queue.popleft()
            if stop is not None and sha in stop:
                reached.add(sha)
                continue
            if sha in index.seen and not first:
                continue
            index.seen.add(sha)
            commit = self.commit(sha)
            trailers = parse_trailers(commit.message)
            if trailers is not None:
                if first:
                    index.seq = trailers.seq
                table = index.checkpoints if trailers.kind == "checkpoint" else index.writes
                known = table.get(trailers.checkpoint_id)
                if known is None or trailers.seq > known[0]:
                    table[trailers.checkpoint_id] = (trailers.seq, sha)
            first = False
            queue.extend(commit.parents)
        return reached

    def commit(self, sha: ObjectID) -> Commit:
        """The commit ``sha``.

        Raises:
            RepositoryError: if it is missing or not a commit.
        """
        try:
            obj = self.repo.object_store[sha]
        except KeyError:
            raise RepositoryError(self.repo.path, f"commit {sha.decode()} is missing") from None
        if not isinstance(obj, Commit):
            raise RepositoryError(self.repo.path, f"{sha.decode()} is not a commit")
        return obj

    def tree(self, tree_id: ObjectID) -> TreeFiles:
        """The tree ``tree_id`` (shared: copy ``.tree`` before editing it)."""
        try:
            return TreeFiles(read_tree(self.repo.object_store, tree_id))
        except KeyError:
            raise RepositoryError(self.repo.path, f"tree {tree_id.decode()} is missing") from None

    def refs(self, prefix: str) -> dict[str, ObjectID]:
        """Every ref under ``prefix`` (full names) and the commit it points at."""
        found = self.repo.refs.as_dict(Ref(prefix.rstrip("/").encode("utf-8")))
        return {prefix + name.decode("utf-8"): sha for name, sha in found.items()}

    # --- writing -----------------------------------------------------------------------

    def write_blob(self, data: bytes) -> ObjectID:
        """Store a blob; its id."""
        blob_id = write_blob(self.repo.object_store, data)
        self.blobs.put(blob_id, data)
        return blob_id

    def write_tree(self, tree: RawTree) -> ObjectID:
        """Store a tree; its id."""
        return write_tree(self.repo.object_store, tree)

    @contextmanager
    def writing(self, ref: str) -> Iterator[None]:
        """Translate a held lock file and a failed write (disk full, read-only) into a
        `RepositoryError`; the ref is then where it was."""
        with lock_errors():
            try:
                yield
            except OSError as err:
                raise RepositoryError(
                    self.repo.path, f"cannot write {ref} ({err}); nothing was changed"
                ) from err

    def publish(self, ref: str, build: Callable[[RefIndex], CommitDraft | None]) -> ObjectID | None:
        """Commit what ``build`` drafts on ``ref`` and move the ref to it, compare-and-swap.

        ``build`` is called again with the new index if another writer moved the ref; it
        returns ``None`` when there is nothing to commit (the ref's tip is returned).

        Raises:
            ConflictError: if the ref kept moving for every attempt.
            RepositoryError: if a lock file of the ref stays held.
        """
        with self.writing(ref):
            return self._publish(ref, build)

    def _publish(
        self, ref: str, build: Callable[[RefIndex], CommitDraft | None]
    ) -> ObjectID | None:
        for _ in range(_CAS_ATTEMPTS):
            index = self.index(ref)
            draft = build(index)
            if draft is None:
                return index.tip
            parents = [] if draft.base is None else [draft.base]
            parents += [sha for sha in draft.also if sha not in parents]
            if index.tip is not None and index.tip not in parents:
                parents.append(index.tip)
            trailers = CommitTrailers(draft.kind, draft.checkpoint_id, index.seq + 1)
            commit = self._make_commit(draft, parents, trailers)
            if self._swap(ref, index.tip, commit):
                table = index.checkpoints if draft.kind == "checkpoint" else index.writes
                table[draft.checkpoint_id] = (trailers.seq, commit)
                index.seen.add(commit)
                index.tip, index.seq = commit, trailers.seq
                self._indexes[ref] = index
                return commit
        raise ConflictError(
            f"{ref} kept moving while a checkpoint was written ({_CAS_ATTEMPTS} attempts); "
            "nothing was written -- retry",
            ref=ref,
        )

    def _make_commit(
        self, draft: CommitDraft, parents: list[ObjectID], trailers: CommitTrailers
    ) -> ObjectID:
        """Store the commit (its body written here, as git lays it out); its id."""
        signature = Signature.now(self.identity)
        sign = b"%s %d %s" % (signature.raw, signature.timestamp, _zone(signature.offset))
        body = b"tree %s\n" % draft.tree
        body += b"".join(b"parent %s\n" % parent for parent in parents)
        body += b"author %s\ncommitter %s\n\n" % (sign, sign)
        body += f"{draft.message}\n\n{trailers.render()}".encode()
        with lock_errors():
            return write_object(self.repo.object_store, Commit, body)

    def _swap(self, ref: str, old: ObjectID | None, new: ObjectID) -> bool:
        name = Ref(ref.encode("utf-8"))
        with lock_errors():
            if old is None:
                in_the_way = wait_for_lock(lambda: add_ref_if_new(self.repo, name, new))
                return in_the_way is None
            return wait_for_lock(lambda: swap_ref(self.repo, name, old, new))

    def move(self, ref: str, old: ObjectID, new: ObjectID | None) -> bool:
        """Move ``ref`` from ``old`` to ``new`` (``None``: delete it), compare-and-swap;
        whether it moved (``False``: it no longer pointed at ``old``)."""
        name = Ref(ref.encode("utf-8"))
        with self.writing(ref):
            if new is None:
                moved = bool(wait_for_lock(lambda: delete_ref(self.repo, name, old)))
            else:
                moved = self._swap(ref, old, new)
        self._indexes.pop(ref, None)
        return moved

    def point(self, ref: str, sha: ObjectID) -> None:
        """Point ``ref`` at ``sha``, whatever it pointed at (a copy or a prune)."""
        for _ in range(_CAS_ATTEMPTS):
            old = read_ref(self.repo, Ref(ref.encode("utf-8")))
            with self.writing(ref):
                moved = self._swap(ref, old, sha)
            if moved:
                self._indexes.pop(ref, None)
                return
        raise ConflictError(f"{ref} kept moving; nothing was changed -- retry", ref=ref)

    def delete(self, ref: str) -> None:
        """Delete ``ref`` (its commits stay in the object store until ``git gc``)."""
        name = Ref(ref.encode("utf-8"))
        for _ in range(_CAS_ATTEMPTS):
            old = read_ref(self.repo, name)
            if old is None:
                break
            with self.writing(ref):
                if wait_for_lock(lambda old=old: delete_ref(self.repo, name, old)):  # type: ignore[misc]
                    break
        self._indexes.pop(ref, None)

    def root_commit(self, tree: ObjectID, subject: str, checkpoint_id: str) -> ObjectID:
        """A new parentless commit of ``tree`` (for a pruned thread), not yet on a ref."""
        draft = CommitDraft(tree, None, subject, "checkpoint", checkpoint_id)
        return self._make_commit(draft, [], CommitTrailers("checkpoint", checkpoint_id, 1))


def _zone(offset: int) -> bytes:
    """A UTC offset in seconds as git writes it: ``+0100``, ``-0530``."""
    sign = b"-" if offset < 0 else b"+"
    minutes = abs(offset) // 60
    return b"%s%02d%02d" % (sign, minutes // 60, minutes % 60)
