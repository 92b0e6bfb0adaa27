"""Reading a mounted tree from storage into its nodes, and reading parts of it again.

``TreeLoader`` is what ``MountSession`` loads with: it walks the declared tree, reads
each artifact (a map's whole directory in one pass), repairs invalid stored content in
memory, and binds the values to their nodes. What it finds due for the next commit
(changed on disk, repaired, missing, deleted) it records in the tree's
``PendingChanges``; where each node lives it records in ``LoadedTree``, so a restore or
a discard can read single artifacts again.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from gitworktree.errors import DocumentParseError, NodeKindError, SchemaValidationError
from gitworktree.mounting.pipeline import PendingChanges
from gitworktree.storage.base import Storage, VersionedStorage, blob_sha
from gitworktree.tree.binding import ArtifactSlot, TreeSession
from gitworktree.tree.items import Anchor, Artifact, LayoutAnchor, _Container, fields_of
from gitworktree.tree.maps import ArtifactMap, map_item_path
from gitworktree.validation.loop import FixingLoop, RepairFunction

__all__ = ["LoadedTree", "TreeLoader"]

log = logging.getLogger("gitworktree")


class _Loaded(NamedTuple):
    """An artifact as read from storage (or made from its initial state).

    Attributes:
        value: the artifact.
        attempts: the repair attempts it took to make valid (0: it was valid).
        stored: blob id of what storage holds (``None``: nothing yet).
        base: blob id of what is committed (``None``: nothing).
    """

    value: Artifact[Any]
    attempts: int
    stored: str | None
    base: str | None


@dataclass
class LoadedTree:
    """Where each loaded node lives, by root-relative path.

    Attributes:
        artifact_types: declared artifact path -> its class.
        map_types: map directory -> its items' class.
        declared: declared artifact path -> (its container, its field name).
        maps: map directory -> the map.
        directories: containers and maps, in load order.
        unordered: maps with keys added in memory since they loaded, by ``id``.
    """

    artifact_types: dict[PurePosixPath, type[Artifact[Any]]] = field(default_factory=dict)
    map_types: dict[PurePosixPath, type[Artifact[Any]]] = field(default_factory=dict)
    declared: dict[PurePosixPath, tuple[_Container, str]] = field(default_factory=dict)
    maps: dict[PurePosixPath, ArtifactMap[Any]] = field(default_factory=dict)
    directories: dict[PurePosixPath, None] = field(default_factory=dict)
    unordered: dict[int, ArtifactMap[Any]] = field(default_factory=dict)

    def loaded_count(self) -> int:
        """How many artifacts are loaded."""
        return len(self.declared) + sum(len(m) for m in self.maps.values())


class TreeLoader:
    """Loads a mounted tree's nodes from storage; the caller holds the tree's lock."""

    def __init__(
        self,
        session: TreeSession,
        storage: Storage,
        changes: PendingChanges,
        held: LoadedTree,
        *,
        repair: RepairFunction | None,
        max_repair_attempts: int,
        max_artifact_bytes: int | None,
    ) -> None:
        """Load into nodes bound to ``session``.

        Args:
            session: what the nodes and slots made here are bound to.
            storage: where the tree is read from.
            changes: where what is due in the next commit is recorded.
            held: where each loaded node's place is recorded.
            repair: the tree-wide repair hook for invalid stored content.
            max_repair_attempts: how many times to repair one artifact.
            max_artifact_bytes: refuse an artifact file larger than this (``None``: no limit).
        """
        self.session = session
        self.storage = storage
        self.read_only = storage.read_only
        self.changes = changes
        self.held = held
        self.repair = repair
        self.max_repair_attempts = max_repair_attempts
        self.max_artifact_bytes = max_artifact_bytes

    def ensure_collection(self, path: PurePosixPath) -> None:
        """Make the directory a container or map claims; refuse a file in its place."""
        kind = self.storage.kind_of(path)
        if kind == "object":
            raise NodeKindError(path, "directory", "file")
        if kind is None and not self.read_only:
            self.storage.make_collection(path)

    def load_container(
        self, node: _Container, states: Mapping[str, Any] | None, missing: list[ArtifactSlot]
    ) -> None:
        """Load ``node``'s declared items, making the nodes not loaded yet.

        Args:
            node: the container to load (bound already).
            states: initial states by field name, for what storage does not hold.
            missing: gets the slots storage does not hold yet (to initialize).
        """
        where = node._gwt_path
        self.ensure_collection(where)
        self.held.directories[where] = None
        specs = fields_of(type(node))
        # Only a container that declares artifacts needs HEAD's ids of its files.
        declares = any(spec.kind == "artifact" for spec in specs.values())
        committed = self.storage.committed_digests(where) if declares else None
        for name, spec in specs.items():
            state = (states or {}).get(name, spec.default)
            path = where / spec.storage_name
            dotted = node._gwt_dotted_name(name)
            loaded = node._gwt_loaded(name)
            if spec.kind == "artifact":
                self.held.artifact_types[path] = spec.item_type
                self.held.declared[path] = (node, name)
                slot = self._load_artifact(
                    loaded, spec.item_type, path, dotted, state, missing, committed
                )
                node._gwt_hold(name, slot)
            elif spec.kind == "map":
                if loaded is None:
                    mapping = ArtifactMap._gwt_mounted_map(
                        spec.item_type, self.session, path, dotted
                    )
                else:
                    mapping = loaded
                    mapping._gwt_bind(self.session, path, dotted)
                self.held.map_types[path] = spec.item_type
                self.held.maps[path] = mapping
                self.held.directories[path] = None
                self._load_map(mapping, state, missing)
                node._gwt_hold(name, mapping)
            else:
                if loaded is None:
                    child = spec.item_type._gwt_mounted(self.session, path, dotted)
                else:
                    child = loaded
                    child._gwt_bind(self.session, path, dotted)
                if isinstance(child, _Container):
                    self.load_container(child, state, missing)
                else:
                    self.ensure_collection(path)
                    self.held.directories[path] = None
                if _is_free_form(child):
                    self.changes.anchor_dirs.add(path)
                node._gwt_hold(name, child)

    def _load_artifact(
        self,
        slot: ArtifactSlot | None,
        item_type: type[Artifact[Any]],
        path: PurePosixPath,
        dotted: str,
        state: Any,
        missing: list[ArtifactSlot],
        committed: Mapping[str, str] | None,
    ) -> ArtifactSlot:
        """Load one artifact, or create it from its initial state if it exists nowhere.

        On a versioned backend a file on disk that differs from its committed version (or
        was never committed) is a pending change: the next commit gates and records it.
        """
        base = None if committed is None else committed.get(path.name)
        kind = self.storage.kind_of(path)
        if kind is None and base is not None and not self.read_only:
            # A declared artifact deleted from disk: history has it; put it back rather
            # than reinitialize it from defaults.
            log.warning("%s: missing from the working tree; restored from HEAD", path)
            self.storage.discard([str(path)])
            kind = self.storage.kind_of(path)
        if kind == "collection":
            raise NodeKindError(path, "file", "directory")
        loaded: _Loaded
        if kind is None:
            loaded = _Loaded(item_type._initial(state, dotted), 0, None, base)
        else:
            data = self.storage.read_limited(path, self.max_artifact_bytes)
            loaded = self._from_stored(item_type, data, str(path), committed, path.name)
        return self._bind(slot, item_type, path, dotted, loaded, missing)

    def _from_stored(
        self,
        item_type: type[Artifact[Any]],
        data: bytes,
        where: str,
        committed: Mapping[str, str] | None,
        name: str,
    ) -> _Loaded:
        """Parse what storage holds for an artifact: what ``_bind`` takes."""
        value, attempts = self._parse_stored(item_type, data, where)
        stored = blob_sha(data)
        base = stored if committed is None else committed.get(name)
        return _Loaded(value, attempts, stored, base)

    def _bind(
        self,
        slot: ArtifactSlot | None,
        item_type: type[Artifact[Any]],
        path: PurePosixPath | tuple[PurePosixPath, str],
        dotted: str,
        loaded: _Loaded,
        missing: list[ArtifactSlot],
    ) -> ArtifactSlot:
        """Bind a loaded artifact to its slot (made if ``None``), and note what is due."""
        value, attempts, stored, base = loaded
        if slot is None:
            slot = ArtifactSlot(self.session, path, item_type, value, stored, dotted, base)
        else:
            slot.value, slot.stored, slot.base = value, stored, base
        if attempts:
            self.changes.repaired_on_load[slot.path] = attempts
        if stored is not None and stored != base and isinstance(self.storage, VersionedStorage):
            # On disk, not what is committed: someone else's edit, until adopted.
            self.changes.foreign.note_artifact(slot.path, _rendered(value))
        elif self.changes.foreign.artifacts:
            self.changes.foreign.forget(slot.path)
        if stored is None:
            missing.append(slot)
        elif attempts or stored != base:
            self.session.touch(
                slot
            )  # repaired in memory, or changed on disk: due in the next commit
        return slot

    def _parse_stored(
        self, item_type: type[Artifact[Any]], data: bytes, where: str
    ) -> tuple[Artifact[Any], int]:
        """Parse stored bytes; invalid content is repaired in memory when a hook exists.

        The stored file is never rewritten here: a repaired value is marked as changed, so
        the repair lands (through the gate) with the next commit.

        Args:
            item_type: the artifact class.
            data: the stored bytes.
            where: the artifact's path, for messages.

        Returns:
            The value, and how many repair attempts it took (0: it was valid).
        """
        try:
            return item_type._from_bytes(data, where), 0
        except (DocumentParseError, SchemaValidationError) as error:
            return self._repaired(item_type, data, where, error)

    def _repaired(
        self,
        item_type: type[Artifact[Any]],
        data: bytes,
        where: str,
        error: DocumentParseError | SchemaValidationError,
    ) -> tuple[Artifact[Any], int]:
        """Repair invalid stored bytes in memory (see `_parse_stored`), or raise ``error``."""
        repair = item_type._repair or self.repair
        text = _text_or_none(data)
        if self.read_only:
            raise error
        if repair is None or text is None:
            raise self._what_to_do(error, where) from error
        result = FixingLoop(self.max_repair_attempts).run(
            text,
            lambda content: item_type._issues_in_text(content, where),
            repair,
            document_type=item_type._get_document_type(),
        )
        result.raise_for_status(artifact=where)
        log.info("%s: stored content was invalid and was repaired in memory", where)
        return item_type._from_bytes(result.content.encode(), where), result.attempts

    def _what_to_do(
        self, error: DocumentParseError | SchemaValidationError, where: str
    ) -> DocumentParseError | SchemaValidationError:
        """``error`` again, its message saying what the person who mounted can do next."""
        path = shlex.quote(where)
        undo = (
            f", throw an uncommitted edit away (`gitworktree restore --discard --path {path}`"
            f" or `git restore {path}`)"
            if isinstance(self.storage, VersionedStorage)
            else ""
        )
        first = str(error).split("\n", 1)[0]  # the summary; the issues are added again
        return type(error)(
            f"{first}; nothing was loaded or overwritten. Fix the file{undo}, or mount with "
            "repair=... to repair it on load",
            error.issues,
            artifact=error.artifact,
        )

    def _load_map(self, mapping: ArtifactMap[Any], state: Any, missing: list[ArtifactSlot]) -> None:
        path = mapping._gwt_path
        existed = self.storage.kind_of(path) == "collection"
        self.ensure_collection(path)
        item_type = mapping.item_type
        committed = self.storage.committed_digests(path)
        # One pass over the directory reads every item (the usual case, and the cost of a
        # mount); anything that is not a plain file is looked at one by one.
        limit = self.max_artifact_bytes
        on_disk = self.storage.read_objects(path, item_type.suffix, limit) if existed else {}
        entries = self._load_items(mapping, on_disk, committed, missing)
        if not existed and state:
            for key, item_state in dict(state).items():
                item_path = map_item_path(mapping, key)
                entries[key] = self._load_artifact(
                    None, item_type, item_path,
                    mapping._gwt_item_dotted(key), item_state, missing, committed,
                )  # fmt: skip
        mapping._gwt_hold(entries, committed)
        self.held.unordered.pop(id(mapping), None)

    def _load_items(
        self,
        mapping: ArtifactMap[Any],
        on_disk: Mapping[str, bytes | None],
        committed: Mapping[str, str] | None,
        missing: list[ArtifactSlot],
    ) -> dict[str, Any]:
        """A map's items, from what its directory holds and what HEAD holds, by key.

        An item as committed that needs nothing is held as its bare value (its slot is
        made when it is first asked for, `ArtifactMap._gwt_bound`): most of a large map
        never is. This loop runs once per item of the tree, so it keeps to the usual
        case; everything else goes through `_load_artifact` and `_bind`.
        """
        path = mapping._gwt_path
        old = mapping._gwt_loaded_entries()
        item_type = mapping.item_type
        from_bytes = item_type._from_bytes
        known = committed if committed is not None else {}
        prefix = f"{path}/" if path.parts else ""
        foreign = self.changes.foreign
        committed_id = known.get
        entries: dict[str, Any] = {}
        for name, key in mapping._gwt_items_among(_names_in_order(on_disk, committed)):
            data = on_disk.get(name)
            slot = old.get(key) if old else None  # a first load has none
            if slot is not None and not isinstance(slot, ArtifactSlot):
                slot = None
            if data is None:  # not on disk, or not a plain file: looked at on its own
                if name not in on_disk and not self.read_only:
                    self.note_deleted_on_disk(mapping, path / name, committed)
                    continue
                dotted = mapping._gwt_item_dotted(key)
                entries[key] = self._load_artifact(
                    slot, item_type, path / name, dotted, None, missing, committed
                )
                continue
            try:
                value, attempts = from_bytes(data, prefix + name), 0
            except (DocumentParseError, SchemaValidationError) as error:
                value, attempts = self._repaired(item_type, data, prefix + name, error)
            stored = blob_sha(data)
            if slot is None and not attempts and stored == committed_id(name):
                if foreign.artifacts:
                    foreign.forget(path / name)
                entries[key] = value  # as committed, nothing due: bound when asked for
                continue
            base = stored if committed is None else committed.get(name)
            loaded = _Loaded(value, attempts, stored, base)
            place = (path, name)  # the slot joins them if ever asked for its path
            dotted = mapping._gwt_item_dotted(key)
            entries[key] = self._bind(slot, item_type, place, dotted, loaded, missing)
        return entries

    def note_deleted_on_disk(
        self, mapping: ArtifactMap[Any], path: PurePosixPath, committed: Mapping[str, str] | None
    ) -> None:
        """A committed map item deleted from disk: its removal is due in the next commit."""
        base = None if committed is None else committed.get(path.name)
        item = mapping._gwt_item_dotted(path.name)
        removed = ArtifactSlot.removed(self.session, path, mapping.item_type, item, base)
        self.changes.removed[path] = removed
        self.changes.foreign.note_artifact(path, None)  # someone deleted it: theirs to commit

    def reread_declared(
        self, path: PurePosixPath, committed: Mapping[str, str], missing: list[ArtifactSlot]
    ) -> None:
        node, name = self.held.declared[path]
        spec = fields_of(type(node))[name]
        slot = self._load_artifact(
            node._gwt_loaded(name), spec.item_type, path,
            node._gwt_dotted_name(name), spec.default, missing, committed,
        )  # fmt: skip
        node._gwt_hold(name, slot)

    def reread_item(
        self,
        mapping: ArtifactMap[Any],
        path: PurePosixPath,
        committed: Mapping[str, str],
        missing: list[ArtifactSlot],
    ) -> bool:
        """Read one map item again, as ``_load_map`` would; whether its key is new."""
        name = path.name
        key = mapping._gwt_key_for(name)
        if key is None:
            return False
        item_type = mapping.item_type
        old = mapping._gwt_loaded_slot(key)
        kind = self.storage.kind_of(path)
        if kind is None:
            mapping._gwt_put(key, None)
            if committed and not self.read_only:
                self.note_deleted_on_disk(mapping, path, committed)
            return False
        if kind == "collection":
            raise NodeKindError(path, "file", "directory")
        data = self.storage.read_limited(path, self.max_artifact_bytes)
        loaded = self._from_stored(item_type, data, str(path), committed, name)
        dotted = mapping._gwt_item_dotted(key)
        mapping._gwt_put(key, self._bind(old, item_type, path, dotted, loaded, missing))
        return old is None


def _names_in_order(
    on_disk: Mapping[str, object], committed: Mapping[str, str] | None
) -> list[str]:
    """The file names of a map's directory on disk and at HEAD, sorted (the load order).

    Usually both hold the same names, and HEAD's are sorted already (git sorts a tree's
    entries), which ``sorted`` checks in one pass instead of sorting a set's union.
    """
    if committed is not None and on_disk.keys() == committed.keys():
        return sorted(committed)
    return sorted(on_disk.keys() | (committed or {}).keys())


def _rendered(value: Artifact[Any]) -> bytes | None:
    """What a commit would render for ``value`` (``None``: it cannot be rendered)."""
    try:
        return value._to_bytes()
    except (ValueError, TypeError):
        return None


def _is_free_form(item: object) -> bool:
    """Anchors, and layouts that declare nothing, hold free-form files: snapshot them."""
    if isinstance(item, LayoutAnchor):
        return not fields_of(type(item))
    return isinstance(item, Anchor)


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
