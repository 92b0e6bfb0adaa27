"""`GitSaver`: a LangGraph checkpointer whose every checkpoint is a Git commit.

Layout (see docs/langgraph.md)::

    refs/langgraph/<thread>/root          the root namespace of a thread
    refs/langgraph/<thread>/ns/<ns>       a subgraph's namespace

    <checkpoint commit>
        checkpoint.json                   id, ts, channel_versions, versions_seen, parent
        metadata.json                     source, step, run_id, ...
        channels/<channel>.json           a value that is plain JSON data
        channels/<channel>.<type>.bin     any other value, as the serializer writes it
    <writes commit> = the ref tip's tree, with writes/ holding its checkpoint's writes:
        writes/<task>/<idx>.<channel>.json (or .<type>.bin), writes/<task>/task_path

Names are encoded by `gitworktree.langgraph._layout.encode_name` (``branch:to:plan``
stays as it is in a file name; ``a/b`` becomes ``a=2Fb``).
"""

from __future__ import annotations

import asyncio
import builtins
import os
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from dulwich.errors import NotGitRepository
from dulwich.objects import ObjectID
from dulwich.repo import Repo
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from gitworktree.errors import ConflictError, RepositoryError
from gitworktree.history._core.damage import check_alternates
from gitworktree.history._core.gitdir import check_git_dir
from gitworktree.history._core.identity import check_identity, repository_identity
from gitworktree.history._core.opening import GitRepo, check_control_dir, open_repo
from gitworktree.history._worktree.shapes import check_format, format_errors
from gitworktree.langgraph._layout import (
    REF_PREFIX,
    WRITES_DIR,
    namespace_ref,
    parse_ref,
    thread_prefix,
)
from gitworktree.langgraph._reader import CheckpointReader
from gitworktree.langgraph._rewrite import rewrite_without
from gitworktree.langgraph._store import (
    DIRECTORY_MODE,
    RefIndex,
    ThreadStore,
)
from gitworktree.langgraph._writer import CheckpointWriter, PendingCheckpoint, PendingWrites

__all__ = ["GitSaver"]

#: How many times a history rewrite starts over when writers keep moving the ref.
_REWRITE_ATTEMPTS = 10


class GitSaver(BaseCheckpointSaver[int]):
    """A checkpointer that stores every checkpoint as a commit in a Git repository.

    Each thread and namespace is one ref under ``refs/langgraph/``; each checkpoint a
    commit whose tree holds the channel values as files (JSON when the value is plain
    JSON data), and whose parent is the parent checkpoint. Pending writes are commits too,
    on the ref's tip. The work tree, index, HEAD and branches are never touched,
    so the repository can be one a tree is mounted on.

    Args:
        path: the repository (its work tree, or a bare repository); created if missing.
        serde: the serializer for values that are not plain JSON (LangGraph's default).
        author: ``"Name <email>"`` for the commits; default: the repository's
            ``user.name``/``user.email``, else ``gitworktree <gitworktree@localhost>``.

    Raises:
        RepositoryError: if ``path`` is a file, cannot be created, or holds a damaged
            repository (``reason="damaged"``: its config, shallow or .git file).
        UnsupportedRepositoryError: for a SHA-256 repository or an unknown extension.
        InvalidNameError: if ``author`` is not ``"Name <email>"``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        serde: SerializerProtocol | None = None,
        author: str | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self.path = Path(path)
        if author is not None:
            check_identity(author)  # before the repository is created
        repo = _open_or_init(self.path)
        identity = author or repository_identity(repo.get_config_stack)
        self._store = ThreadStore(repo, identity)
        self._reader = CheckpointReader(self._store)
        self._writer = CheckpointWriter(self._store)
        # One writer at a time per saver: refs move by compare-and-swap across processes,
        # but the saver's indexes are shared by the threads (and to_thread calls) using it.
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the repository's open files (pack files); the saver is not used after."""
        self._store.repo.close()

    def __enter__(self) -> GitSaver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> GitSaver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint as a commit on its thread's ref.

        Only the channels in ``new_versions`` are serialized; the others keep the blob
        of the parent checkpoint.

        Returns:
            The config of the stored checkpoint.
        """
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        checkpoint_ns = str(configurable.get("checkpoint_ns", ""))
        pending = PendingCheckpoint.encode(
            checkpoint,
            get_checkpoint_metadata(config, metadata),
            new_versions,
            configurable.get("checkpoint_id"),
            self.serde.dumps_typed,
        )
        with self._lock:
            self._store.publish(
                namespace_ref(thread_id, checkpoint_ns),
                partial(self._writer.checkpoint_draft, pending),
            )
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint["id"],
            }
        }

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes for a checkpoint, as a commit on top of it.

        A regular write already stored for the same task and index is kept (a retried
        task does not overwrite it); the special writes (errors, interrupts, ...) replace.
        """
        configurable = config["configurable"]
        pending = PendingWrites.encode(
            str(configurable["checkpoint_id"]), writes, task_id, task_path, self.serde.dumps_typed
        )
        ref = namespace_ref(
            str(configurable["thread_id"]), str(configurable.get("checkpoint_ns", ""))
        )
        with self._lock:
            self._store.publish(ref, partial(self._writer.writes_draft, pending))

    # --- reading -----------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names (its ``checkpoint_id``, else the thread's latest).

        Returns:
            The checkpoint tuple, pending writes in `writes_sort_key` order; ``None`` if
            there is no such checkpoint.
        """
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        checkpoint_ns = str(configurable.get("checkpoint_ns", ""))
        with self._lock:
            index = self._store.index(namespace_ref(thread_id, checkpoint_ns))
            checkpoint_id = get_checkpoint_id(config) or index.latest()
            if checkpoint_id is None or checkpoint_id not in index.checkpoints:
                return None
            return self._reader.load(thread_id, checkpoint_ns, checkpoint_id, index, self.serde)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints, newest first.

        Args:
            config: a thread (and optionally a namespace, or one checkpoint id) to list;
                ``None`` for every thread.
            filter: metadata every listed checkpoint has (``key == value`` for each).
            before: only checkpoints older than this one.
            limit: at most this many.
        """
        with self._lock:
            found = self._candidates(config)
        before_id = get_checkpoint_id(before) if before is not None else None
        wanted_id = get_checkpoint_id(config) if config is not None else None
        count = 0
        for checkpoint_id, ref, index in found:
            if limit is not None and count >= limit:
                return
            if wanted_id and checkpoint_id != wanted_id:
                continue
            if before_id and checkpoint_id >= before_id:
                continue
            thread_id, checkpoint_ns = cast("tuple[str, str]", parse_ref(ref))
            with self._lock:
                if filter and not self._reader.metadata_matches(
                    index, checkpoint_id, filter, self.serde
                ):
                    continue
                item = self._reader.load(thread_id, checkpoint_ns, checkpoint_id, index, self.serde)
            count += 1
            yield item

    def _candidates(
        self, config: RunnableConfig | None
    ) -> builtins.list[tuple[str, str, RefIndex]]:
        if config is None:
            refs = self._store.refs(REF_PREFIX)
        else:
            configurable = config["configurable"]
            thread_id = str(configurable["thread_id"])
            checkpoint_ns = configurable.get("checkpoint_ns")
            if checkpoint_ns is None:
                refs = self._store.refs(thread_prefix(thread_id))
            else:
                refs = {namespace_ref(thread_id, str(checkpoint_ns)): ObjectID(b"")}
        found: builtins.list[tuple[str, str, RefIndex]] = []
        for ref in refs:
            if parse_ref(ref) is None:
                continue  # not a ref this saver writes
            index = self._store.index(ref)
            found += [(checkpoint_id, ref, index) for checkpoint_id in index.checkpoints]
        found.sort(key=lambda item: item[0], reverse=True)
        return found

    # --- deleting, copying, pruning ------------------------------------------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete the refs of every namespace of ``thread_id``.

        The commits stay in the object store (reachable from the reflog of no ref) until
        ``git gc`` prunes them.
        """
        with self._lock:
            for ref in self._store.refs(thread_prefix(str(thread_id))):
                self._store.delete(ref)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) whose metadata ``run_id`` is one of
        ``run_ids``, in every thread.

        Each affected thread's history is rewritten without them (see
        `gitworktree.langgraph._rewrite`): the commits after the first dropped one get
        new ids; the old ones stay in the object store until ``git gc``.
        """
        runs = set(run_ids)
        if not runs:
            return
        with self._lock:
            for ref in self._store.refs(REF_PREFIX):
                if parse_ref(ref) is not None:
                    self._drop_runs(ref, runs)

    def _drop_runs(self, ref: str, runs: set[str]) -> None:
        for _ in range(_REWRITE_ATTEMPTS):
            index = self._store.index(ref)
            if index.tip is None:
                return
            doomed = {
                checkpoint_id
                for checkpoint_id, (_, commit) in index.checkpoints.items()
                if self._reader.metadata(commit, self.serde).get("run_id") in runs
            }
            if not doomed:
                return
            with self._store.writing(ref):
                new_tip = rewrite_without(self._store, index.tip, doomed)
            if self._store.move(ref, index.tip, new_tip):
                return
        raise ConflictError(f"{ref} kept moving while runs were deleted; retry", ref=ref)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Make ``target_thread_id`` a copy of ``source_thread_id``: its refs point at the
        same commits (nothing is rewritten: a copy costs one ref per namespace)."""
        with self._lock:
            for ref, sha in self._store.refs(thread_prefix(str(source_thread_id))).items():
                parsed = parse_ref(ref)
                if parsed is not None:
                    self._store.point(namespace_ref(str(target_thread_id), parsed[1]), sha)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Prune threads: ``"keep_latest"`` keeps only the newest checkpoint (and its
        writes) of each namespace, as a new parentless commit; ``"delete"`` deletes them.

        Raises:
            ValueError: for another strategy.
        """
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}: use 'keep_latest' or 'delete'")
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            with self._lock:
                for ref in self._store.refs(thread_prefix(str(thread_id))):
                    self._keep_latest(ref)

    def _keep_latest(self, ref: str) -> None:
        index = self._store.index(ref)
        latest = index.latest()
        if latest is None:
            return
        root = self._reader.root_of(index.checkpoints[latest][1]).tree.copy()
        writes = index.writes.get(latest)
        if writes is not None:
            entry = self._reader.root_of(writes[1]).tree.get(WRITES_DIR.encode())
            if entry is not None:
                root.set(WRITES_DIR.encode(), DIRECTORY_MODE, entry[1])
        subject = f"checkpoint {latest} (pruned: the thread's older checkpoints dropped)"
        with self._store.writing(ref):
            commit = self._store.root_commit(self._store.write_tree(root), subject, latest)
        self._store.point(ref, commit)

    # --- async twins ---------------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Async `get_tuple` (run in a worker thread)."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async `list` (read in a worker thread)."""
        items = await asyncio.to_thread(
            lambda: [*self.list(config, filter=filter, before=before, limit=limit)]
        )
        for item in items:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async `put` (run in a worker thread)."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async `put_writes` (run in a worker thread)."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Async `delete_thread` (run in a worker thread)."""
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Async `delete_for_runs` (run in a worker thread)."""
        await asyncio.to_thread(self.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Async `copy_thread` (run in a worker thread)."""
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Async `prune` (run in a worker thread)."""
        await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)


def _open_or_init(path: Path) -> Repo:
    """The repository at ``path`` (bare or not), created if there is none.

    Raises:
        UnsupportedRepositoryError: for a SHA-256 repository or an unknown extension.
        RepositoryError: if ``path`` is a file or cannot be created, or the repository
            there is damaged (``reason="damaged"``).
    """
    # As Repository.open: git's own files checked before dulwich reads them (a FIFO would
    # block it, a .git file may name no repository), and what dulwich raises on a
    # damaged one turned into a RepositoryError naming the repository.
    check_git_dir(path)
    try:
        with format_errors(path):
            repo: Repo = open_repo(GitRepo, os.fspath(path))
    except NotGitRepository:
        if path.exists() and not path.is_dir():
            raise RepositoryError(str(path), "is a file, not a directory") from None
        try:
            repo = Repo.init(os.fspath(path), mkdir=not path.exists())
        except OSError as err:
            raise RepositoryError(str(path), f"cannot create a repository ({err})") from err
    try:
        check_control_dir(repo)
        check_format(repo)
        check_alternates(path, Path(repo.object_store.path))  # a loop: dulwich would recurse
    except BaseException:
        repo.close()
        raise
    return repo
