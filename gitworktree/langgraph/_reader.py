"""Reading a checkpoint back: its commit's files into a `CheckpointTuple`.

The serializer is passed in on every call, not held: ``with_allowlist`` gives a saver a
new one while the copies share this reader.
"""

from __future__ import annotations

from typing import Any, cast

from dulwich.objects import ObjectID
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from gitworktree.errors import RepositoryError
from gitworktree.langgraph._channels import ChannelListings
from gitworktree.langgraph._layout import (
    CHANNELS_DIR,
    CHECKPOINT_FILE,
    METADATA_FILE,
    PARENT_KEY,
    TASK_PATH_FILE,
    WRITES_DIR,
    decode_name,
    decode_value_name,
    load_json,
    namespace_ref,
)
from gitworktree.langgraph._store import RefIndex, ThreadStore, TreeFiles

__all__ = ["CheckpointReader"]


class CheckpointReader:
    """Reads checkpoints, their metadata and pending writes from a `ThreadStore`."""

    def __init__(self, store: ThreadStore) -> None:
        self._store = store
        self._listings = ChannelListings(store)

    def metadata_matches(
        self, index: RefIndex, checkpoint_id: str, wanted: dict[str, Any], serde: SerializerProtocol
    ) -> bool:
        """Whether the checkpoint's metadata has ``key == value`` for each of ``wanted``."""
        metadata = self.metadata(index.checkpoints[checkpoint_id][1], serde)
        return all(metadata.get(key) == value for key, value in wanted.items())

    def metadata(self, commit: ObjectID, serde: SerializerProtocol) -> Any:
        """The metadata of the checkpoint commit ``commit``.

        Raises:
            RepositoryError: if the commit has no readable ``metadata`` file.
        """
        try:
            return self._read_value(self.root_of(commit), METADATA_FILE, serde)
        except (ValueError, TypeError) as err:
            raise RepositoryError(
                self._store.repo.path,
                f"the metadata of commit {commit.decode()} cannot be read ({err!r})",
            ) from err

    def root_of(self, commit: ObjectID) -> TreeFiles:
        """The root tree of ``commit``."""
        return self._store.tree(self._store.commit(commit).tree)

    def load(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        index: RefIndex,
        serde: SerializerProtocol,
    ) -> CheckpointTuple:
        """The checkpoint tuple of ``checkpoint_id`` on the ref ``index`` describes.

        Raises:
            RepositoryError: if its commit does not hold what the layout says.
        """
        try:
            return self._read_tuple(thread_id, checkpoint_ns, checkpoint_id, index, serde)
        except (ValueError, TypeError, KeyError) as err:
            # A commit edited by hand (or damaged) that the layout cannot read back.
            sha = index.checkpoints[checkpoint_id][1].decode()
            raise RepositoryError(
                self._store.repo.path,
                f"checkpoint {checkpoint_id} (commit {sha} on "
                f"{namespace_ref(thread_id, checkpoint_ns)}) cannot be read ({err!r}); "
                "see docs/langgraph.md for the layout, or go back to an earlier checkpoint",
            ) from err

    def _read_tuple(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        index: RefIndex,
        serde: SerializerProtocol,
    ) -> CheckpointTuple:
        root = self.root_of(index.checkpoints[checkpoint_id][1])
        record = dict(self._read_value(root, CHECKPOINT_FILE, serde))
        parent_id = record.pop(PARENT_KEY, None)
        versions = record.get("channel_versions", {})
        record["channel_values"] = self._read_channels(root, versions, serde)
        writes_entry = index.writes.get(checkpoint_id)
        writes_root = root if writes_entry is None else self.root_of(writes_entry[1])

        def at(checkpoint: str) -> RunnableConfig:
            return {
                "configurable": {
                    "thread_id": thread_id,
                    "checkpoint_ns": checkpoint_ns,
                    "checkpoint_id": checkpoint,
                }
            }

        return CheckpointTuple(
            config=at(checkpoint_id),
            checkpoint=cast(Checkpoint, record),
            metadata=cast(CheckpointMetadata, self._read_value(root, METADATA_FILE, serde)),
            parent_config=at(parent_id) if parent_id else None,
            pending_writes=self._read_writes(writes_root, serde),
        )

    def _read_value(self, tree: TreeFiles, file_stem: str, serde: SerializerProtocol) -> Any:
        stem = file_stem.encode()
        names = tree.find_stem(stem)
        if not names:
            raise RepositoryError(
                self._store.repo.path, f"a checkpoint commit has no {stem.decode()} file"
            )
        entry = tree.tree.get(names[0])
        assert entry is not None
        return self._decode(names[0].decode("ascii", "replace"), entry[1], serde)

    def _decode(self, file_name: str, blob_id: ObjectID, serde: SerializerProtocol) -> Any:
        return self._decode_typed(decode_value_name(file_name)[1], blob_id, serde)

    def _decode_typed(
        self, type_name: str | None, blob_id: ObjectID, serde: SerializerProtocol
    ) -> Any:
        data = self._store.blobs.get(self._store.repo, blob_id)
        if type_name is None:
            return load_json(data)
        return serde.loads_typed((type_name, data))

    def _read_channels(
        self, root: TreeFiles, versions: ChannelVersions, serde: SerializerProtocol
    ) -> dict[str, Any]:
        entry = root.tree.get(CHANNELS_DIR.encode())
        if entry is None:
            return {}
        return {
            file.channel: self._decode_typed(file.type_name, file.blob, serde)
            for file in self._listings.files(entry[1])
            if file.channel in versions
        }

    def _read_writes(self, root: TreeFiles, serde: SerializerProtocol) -> list[PendingWrite]:
        entry = root.tree.get(WRITES_DIR.encode())
        if entry is None:
            return []
        found: list[tuple[tuple[str, str, int], PendingWrite]] = []
        for task_name, _mode, task_tree_id in self._store.tree(entry[1]).tree.items():
            task_id = decode_name(task_name.decode("ascii", "replace"))
            task_tree = self._store.tree(task_tree_id).tree
            path_entry = task_tree.get(TASK_PATH_FILE)
            task_path = ""
            if path_entry is not None:
                data = self._store.blobs.get(self._store.repo, path_entry[1])
                task_path = data.decode("utf-8", "surrogatepass")
            for name, _, blob_id in task_tree.items():
                if name == TASK_PATH_FILE:
                    continue
                idx_text, _, rest = name.decode("ascii", "replace").partition(".")
                stem, _ = decode_value_name(rest)
                write = (task_id, decode_name(stem), self._decode(rest, blob_id, serde))
                found.append((writes_sort_key(task_path, task_id, int(idx_text)), write))
        found.sort(key=lambda item: item[0])
        return [write for _, write in found]
