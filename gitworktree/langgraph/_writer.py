"""Writing a checkpoint or a task's writes: the tree and the commit draft on a ref.

The values are serialized before the saver's lock is taken (`PendingCheckpoint.encode`,
`PendingWrites.encode`); the drafts are built under it, against the ref's index, and
built again if another writer moved the ref (`ThreadStore.publish`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dulwich.objects import ObjectID
from langgraph.checkpoint.base import WRITES_IDX_MAP, ChannelVersions, Checkpoint

from gitworktree.history._objects.rawtrees import RawTree
from gitworktree.langgraph._channels import FANOUT_THRESHOLD, ChannelFiles, iter_channel_files
from gitworktree.langgraph._layout import (
    CHANNELS_DIR,
    CHECKPOINT_FILE,
    METADATA_FILE,
    PARENT_KEY,
    TASK_PATH_FILE,
    WRITES_DIR,
    EncodedValue,
    decode_name,
    decode_value_name,
    encode_file_name,
    value_file,
)
from gitworktree.langgraph._store import (
    DIRECTORY_MODE,
    FILE_MODE,
    CommitDraft,
    RefIndex,
    ThreadStore,
    TreeFiles,
)

__all__ = ["CheckpointWriter", "PendingCheckpoint", "PendingWrites"]

_SUBJECT_CHANNELS = 5

DumpsTyped = Callable[[Any], tuple[str, bytes]]


@dataclass
class PendingCheckpoint:
    """A checkpoint to store, its changed values already serialized."""

    checkpoint: Checkpoint
    parent_id: str | None
    head: list[tuple[str, EncodedValue]]
    changed: dict[str, EncodedValue]
    removed: list[str]
    subject: str
    dumps: DumpsTyped

    @classmethod
    def encode(
        cls,
        checkpoint: Checkpoint,
        metadata: Any,
        new_versions: ChannelVersions,
        parent_id: str | None,
        dumps: DumpsTyped,
    ) -> PendingCheckpoint:
        """Serialize ``checkpoint.json``, ``metadata.json`` and the changed channels."""
        record: dict[str, Any] = {
            key: value for key, value in checkpoint.items() if key != "channel_values"
        }
        record[PARENT_KEY] = parent_id
        values = checkpoint["channel_values"]
        return cls(
            checkpoint=checkpoint,
            parent_id=parent_id,
            head=[
                (CHECKPOINT_FILE, value_file(record, dumps)),
                (METADATA_FILE, value_file(metadata, dumps)),
            ],
            changed={k: value_file(values[k], dumps) for k in new_versions if k in values},
            removed=[k for k in new_versions if k not in values],
            subject=_checkpoint_subject(metadata, list(new_versions)),
            dumps=dumps,
        )


@dataclass(frozen=True)
class PendingWrites:
    """A task's writes to store: ``(idx, channel, value)``, serialized."""

    checkpoint_id: str
    task: bytes
    task_path: str
    files: list[tuple[int, str, EncodedValue]]
    subject: str

    @classmethod
    def encode(
        cls,
        checkpoint_id: str,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
        dumps: DumpsTyped,
    ) -> PendingWrites:
        """Serialize the writes; special channels (errors, ...) get their fixed index."""
        files = [
            (WRITES_IDX_MAP.get(channel, idx), channel, value_file(value, dumps))
            for idx, (channel, value) in enumerate(writes)
        ]
        return cls(
            checkpoint_id,
            encode_file_name(task_id).encode(),
            task_path,
            files,
            _writes_subject(task_id, task_path, [channel for _, channel, _ in files]),
        )


class CheckpointWriter:
    """Builds the trees and commit drafts of checkpoints and writes in a `ThreadStore`."""

    def __init__(self, store: ThreadStore) -> None:
        self._store = store

    def checkpoint_draft(self, pending: PendingCheckpoint, index: RefIndex) -> CommitDraft:
        """The commit of ``pending``: parents its parent checkpoint and that one's writes."""
        parent_id = pending.parent_id
        parent = index.checkpoints.get(parent_id) if parent_id else None
        base = None if parent is None else parent[1]
        checkpoint = pending.checkpoint
        if base is None:  # nothing to inherit from: store every value given
            values = checkpoint["channel_values"]
            for key in checkpoint["channel_versions"]:
                if key in values and key not in pending.changed:
                    pending.changed[key] = value_file(values[key], pending.dumps)
        channels = self._channels_tree(base, checkpoint["channel_versions"], pending)
        root = RawTree([], [])
        for stem, encoded in pending.head:
            root.set(stem.encode() + encoded.suffix.encode(), FILE_MODE, self._blob(encoded))
        root.set(CHANNELS_DIR.encode(), DIRECTORY_MODE, channels)
        tree = self._store.write_tree(root)
        writes = index.writes.get(parent_id) if base is not None and parent_id else None
        also = () if writes is None else (writes[1],)
        return CommitDraft(tree, base, pending.subject, "checkpoint", checkpoint["id"], also)

    def writes_draft(self, pending: PendingWrites, index: RefIndex) -> CommitDraft | None:
        """The commit adding ``pending`` to its checkpoint's writes; ``None`` if every
        write is there already.

        Its first (only) parent is the ref's tip, and its tree the tip's with ``writes/``
        holding this checkpoint's writes: LangGraph may store a step's writes before or
        after a newer checkpoint, and either way ``git log --first-parent`` from the ref
        must still reach the newest checkpoint, and a path-limited ``git log
        channels/...`` must not list a writes commit as changing a channel.
        """
        checkpoint_id = pending.checkpoint_id
        earlier = index.writes.get(checkpoint_id) or index.checkpoints.get(checkpoint_id)
        writes_dir = RawTree([], [])
        if earlier is not None:  # its writes so far (a pruned thread keeps them in its root)
            writes_dir = self._subtree(self._root(earlier[1]), WRITES_DIR.encode())
        task_dir = self._subtree(writes_dir, pending.task)
        if not self._add_writes(task_dir, pending):
            return None
        writes_dir.set(pending.task, DIRECTORY_MODE, self._store.write_tree(task_dir))
        root = RawTree([], []) if index.tip is None else self._root(index.tip).copy()
        root.set(WRITES_DIR.encode(), DIRECTORY_MODE, self._store.write_tree(writes_dir))
        tree = self._store.write_tree(root)
        return CommitDraft(tree, index.tip, pending.subject, "writes", checkpoint_id)

    def _root(self, commit: ObjectID) -> RawTree:
        """The root tree of ``commit`` (shared: copy it to edit)."""
        return self._store.tree(self._store.commit(commit).tree).tree

    def _add_writes(self, task_dir: RawTree, pending: PendingWrites) -> bool:
        """Add the writes to the task's folder; whether any was added."""
        wrote = False
        for idx, channel, encoded in pending.files:
            stem = str(idx).encode()
            existing = TreeFiles(task_dir).find_stem(stem)
            if existing and idx >= 0:
                continue  # a retried task: its first write stands
            for name in existing:
                task_dir.delete(name)
            name = stem + b"." + encode_file_name(channel).encode() + encoded.suffix.encode()
            task_dir.set(name, FILE_MODE, self._blob(encoded))
            wrote = True
        if wrote and pending.task_path:
            path_blob = self._store.write_blob(pending.task_path.encode("utf-8", "surrogatepass"))
            task_dir.set(TASK_PATH_FILE, FILE_MODE, path_blob)
        return wrote

    def _blob(self, encoded: EncodedValue) -> ObjectID:
        return self._store.write_blob(encoded.data)

    def _subtree(self, tree: RawTree, name: bytes) -> RawTree:
        entry = tree.get(name)
        if entry is None or entry[0] != DIRECTORY_MODE:
            return RawTree([], [])
        return self._store.tree(entry[1]).tree.copy()

    def _channels_tree(
        self, base: ObjectID | None, versions: ChannelVersions, pending: PendingCheckpoint
    ) -> ObjectID:
        """The parent's ``channels/`` with the changed values written, and the channels
        that were emptied or are no longer in ``versions`` removed; its id."""
        parent_tree = self._channels_of(base)
        fanout = len(versions) > FANOUT_THRESHOLD
        channels = ChannelFiles(self._store, parent_tree, fanout=fanout)
        kept = self._stored_channels(parent_tree)
        changed = pending.changed
        gone = (kept - versions.keys()) | set(pending.removed)  # set operations: C speed at any N
        for key in gone:
            channels.drop(encode_file_name(key).encode())
        for key, encoded in changed.items():
            name = encode_file_name(key).encode()
            channels.drop(name)
            channels.set(name + encoded.suffix.encode(), FILE_MODE, self._blob(encoded))
        tree_id = channels.write()
        if gone or not changed.keys() <= kept:
            kept = frozenset((kept - gone) | changed.keys())
        self._store.channel_names.put(tree_id, kept)  # a usual step: the same set, no copy
        return tree_id

    def _stored_channels(self, tree_id: ObjectID | None) -> frozenset[str]:
        """The channels that have a file in ``channels/`` tree ``tree_id``."""
        if tree_id is None:
            return frozenset()
        known = self._store.channel_names.get(tree_id)
        if known is None:
            top = self._store.tree(tree_id).tree
            known = frozenset(
                decode_name(decode_value_name(name.decode("ascii", "replace"))[0])
                for name, _, _ in iter_channel_files(self._store, top)
            )
            self._store.channel_names.put(tree_id, known)
        return known

    def _channels_of(self, base: ObjectID | None) -> ObjectID | None:
        if base is None:
            return None
        root = self._store.tree(self._store.commit(base).tree).tree
        entry = root.get(CHANNELS_DIR.encode())
        return None if entry is None or entry[0] != DIRECTORY_MODE else entry[1]


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _writes_subject(task_id: str, task_path: str, channels: list[str]) -> str:
    # A node's task has the path "~__pregel_pull, <node>": name the node, as people do.
    node = task_path.removeprefix("~__pregel_pull, ") if task_path else ""
    who = _printable(node) if node and "," not in node else f"task {_printable(task_id)}"
    return f"writes of {who}: {_channel_list(channels)}\n\ntask {_printable(task_id)}"


def _channel_list(names: list[str]) -> str:
    shown = ", ".join(_printable(name) for name in names[:_SUBJECT_CHANNELS])
    if len(names) > _SUBJECT_CHANNELS:
        shown += f" +{len(names) - _SUBJECT_CHANNELS} more"
    return shown or "nothing"


def _checkpoint_subject(metadata: Any, changed: list[str]) -> str:
    step, source = metadata.get("step"), metadata.get("source")
    where = f"step {step}" if step is not None else "checkpoint"
    if source:
        where += f" ({_printable(str(source))})"
    return f"{where}: {_channel_list(changed)}"
