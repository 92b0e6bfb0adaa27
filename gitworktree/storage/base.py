"""The storage contract: ``Object`` and ``Collection`` nodes, and the ``Storage`` they live in.

A storage backend is mounted at a root. Everything below it is reached through
``Collection`` (directory-like) and ``Object`` (file-like) nodes addressed by relative
POSIX paths; no path can leave the root. The commit pipeline hands a backend a
``ChangeSet`` — the complete, already validated set of file changes — through
``Storage.publish``; a versioned backend turns it into one commit.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from gitworktree.errors import ArtifactTooLargeError, NodeKindError, StorageError, UnsafePathError
from gitworktree.history._core.info import CommitInfo

if TYPE_CHECKING:
    from gitworktree.history import Checkpoint, Repository
    from gitworktree.history._refs.checkpoints import CheckpointOwner

__all__ = [
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "ChangeSet",
    "Collection",
    "Node",
    "Object",
    "Storage",
    "VersionedStorage",
    "artifact_size_limit",
    "blob_sha",
    "check_name",
    "check_size",
    "split_path",
]

_FORBIDDEN_NAMES = frozenset({"", ".", "..", ".git"})

# The largest artifact file loaded unless the user allows more: what a clone or pull
# can make a mount hold (and parse) is otherwise up to whoever pushed it.
DEFAULT_MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
_LIMIT_VARIABLE = "GITWORKTREE_MAX_ARTIFACT_BYTES"


def artifact_size_limit(given: int | None = None) -> int | None:
    """The limit on an artifact file's size, in bytes; ``None``: no limit.

    ``given`` (``mount(max_artifact_bytes=...)``) if set, else the environment variable
    ``GITWORKTREE_MAX_ARTIFACT_BYTES``, else 64 MiB. ``0`` means no limit. Deliberately
    not a git config key: a repository's configuration can come with a clone.

    Raises:
        ValueError: the value is negative, or the variable is not a whole number.
    """
    if given is None:
        text = os.environ.get(_LIMIT_VARIABLE, "").strip()
        if not text:
            return DEFAULT_MAX_ARTIFACT_BYTES
        try:
            given = int(text)
        except ValueError:
            raise ValueError(
                f"{_LIMIT_VARIABLE}={text!r}: give a whole number of bytes (0: no limit)"
            ) from None
    if given < 0:
        raise ValueError(f"the artifact size limit cannot be negative ({given})")
    return given or None


def blob_sha(data: bytes) -> str:
    """The Git blob id of ``data``: the digest every backend uses to detect change."""
    digest = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    digest.update(data)  # not header + data: that would copy a large artifact once more
    return digest.hexdigest()


#: The longest file name ext4, APFS and NTFS hold.
_MAX_NAME_BYTES = 255


def check_size(path: PurePosixPath | str, size: int, limit: int | None) -> None:
    """Refuse ``size`` bytes at ``path`` if it is over ``limit`` (``None``: no limit).

    Raises:
        ArtifactTooLargeError: ``size`` is larger than ``limit``.
    """
    if limit is not None and size > limit:
        raise ArtifactTooLargeError(path, size, limit)


def check_name(name: str) -> str:
    """Return ``name`` if it is one safe path component, else raise ``UnsafePathError``."""
    if name in _FORBIDDEN_NAMES:
        raise UnsafePathError(name, "not a usable file or directory name")
    if "/" in name or "\\" in name:
        raise UnsafePathError(name, "a name may not contain a path separator")
    if "\x00" in name or any(ord(char) < 32 for char in name):
        raise UnsafePathError(name, "a name may not contain control characters")
    if len(name.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
        raise UnsafePathError(
            name,
            f"a file name may be at most {_MAX_NAME_BYTES} bytes (UTF-8) long, the most "
            "common file systems hold; use a shorter name",
        )
    return name


def split_path(path: str | PurePosixPath) -> tuple[str, ...]:
    """Split a relative path into checked components; refuse anything that could escape."""
    text = str(path)
    if text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
        raise UnsafePathError(text, "absolute paths are not allowed")
    parts = tuple(part for part in text.replace("\\", "/").split("/") if part not in ("", "."))
    for part in parts:
        if part == "..":
            raise UnsafePathError(text, "'..' would leave the mounted root")
        check_name(part)
    return parts


class Node(ABC):  # noqa: B024 - abstract only in its subclasses
    """A node of a mounted storage tree, addressed by its path relative to the root."""

    def __init__(self, storage: Storage, path: PurePosixPath) -> None:
        self._storage = storage
        self._path = path

    @property
    def storage(self) -> Storage:
        """The mounted storage this node belongs to."""
        return self._storage

    @property
    def path(self) -> PurePosixPath:
        """Path relative to the mounted root (``.`` for the root itself)."""
        return self._path

    @property
    def name(self) -> str:
        """The last component of the path (empty for the root)."""
        return self._path.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._path)!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Node)
            and type(other) is type(self)
            and other._storage is self._storage
            and other._path == self._path
        )

    def __hash__(self) -> int:
        return hash((id(self._storage), self._path))


class Object(Node):
    """A file-like node: bytes with text helpers."""

    @abstractmethod
    def read_bytes(self) -> bytes:
        """The stored bytes. Raises ``StorageError`` if the object is gone."""

    @abstractmethod
    def write_bytes(self, data: bytes) -> None:
        """Replace the stored bytes (atomically, on backends that can)."""

    def read_text(self, encoding: str = "utf-8") -> str:
        """The stored bytes decoded as text."""
        return self.read_bytes().decode(encoding)

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        """Replace the stored bytes with ``text`` encoded."""
        self.write_bytes(text.encode(encoding))

    def exists(self) -> bool:
        """Whether the object is still stored."""
        return self._storage.kind_of(self._path) == "object"


class Collection(Node):
    """A directory-like node holding named objects and collections."""

    def ls(self) -> list[str]:
        """Names of the direct children, sorted."""
        return self._storage.list_names(self._path)

    def find(self, path: str) -> Object | Collection | None:
        """The node at ``path`` below this collection, or ``None`` if there is none."""
        target = self._path.joinpath(*split_path(path))
        kind = self._storage.kind_of(target)
        if kind == "object":
            return self._storage.object_node(target)
        if kind == "collection":
            return self._storage.collection_node(target)
        return None

    def exists(self, path: str) -> bool:
        """Whether anything is stored at ``path`` below this collection."""
        return self._storage.kind_of(self._path.joinpath(*split_path(path))) is not None

    def object(self, path: str) -> Object:
        """The object at ``path`` (which must exist and be an object)."""
        node = self.find(path)
        target = self._path.joinpath(*split_path(path))
        if node is None:
            raise StorageError(target, "no such object")
        if not isinstance(node, Object):
            raise NodeKindError(target, "file", "directory")
        return node

    def collection(self, path: str) -> Collection:
        """The collection at ``path`` (which must exist and be a collection)."""
        node = self.find(path)
        target = self._path.joinpath(*split_path(path))
        if node is None:
            raise StorageError(target, "no such collection")
        if not isinstance(node, Collection):
            raise NodeKindError(target, "directory", "file")
        return node

    def touch(self, path: str) -> Object:
        """The object at ``path``, created empty (with missing parents) if absent."""
        target = self._path.joinpath(*split_path(path))
        kind = self._storage.kind_of(target)
        if kind == "collection":
            raise NodeKindError(target, "file", "directory")
        if kind is None:
            self._storage.make_collection(target.parent)
            self._storage.write(target, b"")
        return self._storage.object_node(target)

    def mkdir(self, path: str) -> Collection:
        """The collection at ``path``, created (with missing parents) if absent."""
        target = self._path.joinpath(*split_path(path))
        self._storage.make_collection(target)
        return self._storage.collection_node(target)

    def rm(self, path: str) -> None:
        """Remove the object or collection (recursively) at ``path``; absent is fine."""
        parts = split_path(path)
        if not parts:
            raise UnsafePathError(path, "refusing to remove the collection itself")
        self._storage.remove(self._path.joinpath(*parts))

    def walk(self) -> Iterator[Object]:
        """Every object below this collection, depth first, in name order."""
        for name in self.ls():
            node = self.find(name)
            if isinstance(node, Collection):
                yield from node.walk()
            elif node is not None:
                yield node


@dataclass(frozen=True)
class ChangeSet:
    """Everything one commit writes: the gate has passed all of it.

    Attributes:
        files: root-relative POSIX path -> new bytes, or ``None`` to delete.
        message: the commit message (without trailers).
        author: ``"Name <email>"`` or ``None`` for the backend's default.
        trailers: key -> value, appended as a Git trailer block.
        base_blobs: path -> blob id of the committed version the change builds on
            (``None``: new file); a versioned backend refuses the commit if the branch
            tip holds another version of any of them.
        disk_blobs: path -> `blob_sha` of what the file held in storage when the change
            was prepared (``None``: no file); a backend whose files others edit in place
            (a Git work tree) refuses the commit if one of them holds something else by
            the time it would be overwritten.
    """

    files: Mapping[str, bytes | None]
    message: str
    author: str | None = None
    trailers: Mapping[str, str] = field(default_factory=dict)
    base_blobs: Mapping[str, str | None] = field(default_factory=dict)
    disk_blobs: Mapping[str, str | None] = field(default_factory=dict)


class Storage(ABC):
    """One mounted backend: node access below a root, and the way a commit lands."""

    read_only: bool = False

    @property
    def root(self) -> Collection:
        """The mounted root collection."""
        return self.collection_node(PurePosixPath("."))

    # Node access, all by root-relative path; implementations confine every path.

    @abstractmethod
    def kind_of(self, path: PurePosixPath) -> str | None:
        """``"object"``, ``"collection"``, or ``None`` when nothing is at ``path``."""

    @abstractmethod
    def read(self, path: PurePosixPath) -> bytes:
        """The bytes of the object at ``path``."""

    @abstractmethod
    def write(self, path: PurePosixPath, data: bytes) -> None:
        """Replace the object at ``path`` (its parent collection exists)."""

    def write_many(self, files: Sequence[tuple[PurePosixPath, bytes]]) -> None:
        """Replace the objects at these paths (their parent collections exist).

        Each one is replaced as `write` replaces it; a backend that can flush many
        files at once does (by default: one `write` each). On an error, the files
        before it may be written already, each of them completely.
        """
        for path, data in files:
            self.write(path, data)

    @abstractmethod
    def list_names(self, path: PurePosixPath) -> list[str]:
        """Sorted names of the children of the collection at ``path``."""

    @abstractmethod
    def make_collection(self, path: PurePosixPath) -> None:
        """Create the collection at ``path`` and its missing parents."""

    @abstractmethod
    def remove(self, path: PurePosixPath) -> None:
        """Remove the node at ``path`` (recursively); nothing there is fine."""

    @abstractmethod
    def object_node(self, path: PurePosixPath) -> Object:
        """An ``Object`` handle for ``path``."""

    @abstractmethod
    def collection_node(self, path: PurePosixPath) -> Collection:
        """A ``Collection`` handle for ``path``."""

    def read_limited(self, path: PurePosixPath, limit: int | None) -> bytes:
        """The bytes of the object at ``path``, refused if there are more than ``limit``.

        What artifacts are loaded with. A backend that can tell the size first (or read
        in bounded pieces) overrides this to refuse before holding the whole object;
        this default reads it, then checks.

        Raises:
            ArtifactTooLargeError: the object is larger than ``limit`` bytes.
        """
        data = self.read(path)
        check_size(path, len(data), limit)
        return data

    def read_objects(
        self, directory: PurePosixPath, suffix: str = "", limit: int | None = None
    ) -> dict[str, bytes | None]:
        """The objects directly in ``directory`` whose names end in ``suffix``, read at once.

        Names starting with ``.`` are left out (hidden files, ``.git``, temporary files).
        What a map of artifacts loads from: a backend can list and read a directory in one
        pass, where ``list_names``, ``kind_of`` and ``read`` take one call per name.

        Args:
            directory: the collection to read.
            suffix: only names ending with it.
            limit: refuse an object larger than this many bytes (``None``: no limit).

        Returns:
            name -> bytes; ``None`` for a name that is not simply readable as an object
            (a collection, something else, gone meanwhile): ask ``kind_of`` and ``read``.

        Raises:
            ArtifactTooLargeError: an object is larger than ``limit`` bytes.
        """
        found: dict[str, bytes | None] = {}
        for name in self.list_names(directory):
            if name.endswith(suffix) and not name.startswith("."):
                path = directory / name
                is_object = self.kind_of(path) == "object"
                found[name] = self.read_limited(path, limit) if is_object else None
        return found

    def digest(self, path: PurePosixPath) -> str | None:
        """Blob id of what is stored at ``path`` now, or ``None`` if it is not an object."""
        if self.kind_of(path) != "object":
            return None
        return blob_sha(self.read(path))

    @property
    def head(self) -> str | None:
        """The revision storage is at; ``None`` for backends without history."""
        return None

    def check_publishable(self) -> None:  # noqa: B027 - optional hook
        """Refuse now, before the gate runs, a publish the backend would refuse anyway.

        Git refuses while its own merge, rebase, cherry-pick or revert is unfinished.
        """

    def snapshot(self, directories: Sequence[str]) -> dict[str, bytes | None]:
        """Files under ``directories`` that changed since the last publish.

        Anchors own directories of free-form files, written through their handles. On
        storage without history they are already in place, so there is nothing to add;
        a versioned backend returns what differs from its last commit.
        """
        return {}

    def committed_digests(self, directory: PurePosixPath) -> dict[str, str] | None:
        """Blob ids of the files committed in ``directory``, by name; ``None`` without history."""
        return None

    def recover(self) -> list[str]:
        """Repair what an interrupted write left behind; return the paths repaired.

        A load calls it first, then reads, then calls `remove_leftovers`.
        """
        return []

    def remove_leftovers(self) -> list[str]:
        """Remove what interrupted writes left that no load reads (temporary files).

        Called after a load, which may have listed directories this needs to look at.
        Returns the paths removed.
        """
        return []

    def discard(self, directories: Sequence[str]) -> None:  # noqa: B027 - optional hook
        """Put the files under ``directories`` back as of the last publish, if possible.

        Storage without history cannot: files written there are already final.
        """

    def _check_write_targets(self, changes: ChangeSet, removed: list[str]) -> None:
        """Refuse a directory where a file goes before the removals run, so that a
        refused publish has removed nothing either (`write_many` checks only its own
        targets, after the removals). A directory removed by the change is no obstacle.

        Raises:
            NodeKindError: a directory (not removed here) stands where a file goes.
            UnsafePathError: a target leads out of the root.
        """
        for path, data in changes.files.items():
            if data is None or any(path == gone or path.startswith(gone + "/") for gone in removed):
                continue
            target = PurePosixPath(*split_path(path))
            try:
                kind = self.kind_of(target)
            except NodeKindError:
                raise
            except (StorageError, OSError):
                continue  # a special file, a file as a parent: the write reports it, as before
            if kind == "collection":
                raise NodeKindError(target, "file", "directory")

    def publish(self, changes: ChangeSet) -> CommitInfo:
        """Write a gated change set. Unversioned backends write file by file.

        The gate has already passed, so every write here is expected to succeed; each
        file is still replaced atomically where the backend can.
        """
        removed = [path for path, data in changes.files.items() if data is None]
        if removed:
            self._check_write_targets(changes, removed)
        # Removals first, so that a file can take the place of a directory emptied here.
        for path in sorted(removed):
            self.remove(PurePosixPath(*split_path(path)))
        writes: list[tuple[PurePosixPath, bytes]] = []
        for path, data in sorted(changes.files.items()):
            if data is not None:
                target = PurePosixPath(*split_path(path))
                self.make_collection(target.parent)
                writes.append((target, data))
        self.write_many(writes)
        return CommitInfo(
            sha="",
            message=changes.message,
            author=changes.author or "",
            committer=changes.author or "",
            time=datetime.now(UTC),
            parents=(),
            paths=tuple(sorted(changes.files)),
            trailers=dict(changes.trailers),
        )


class VersionedStorage(Storage):
    """A backend that keeps history: every publish is a commit of one repository.

    What only history makes possible (checkpoints, restores, re-reading only what changed
    between two commits) is asked of this contract, so a tree on storage without history
    is refused by type (``isinstance``), never by a missing attribute.
    """

    repository: Repository

    @abstractmethod
    def changes_since(self, rev: str | None, paths: Iterable[str] = ()) -> dict[str, str | None]:
        """What a tree loaded at ``rev`` must read again to match ``head``.

        Args:
            rev: the commit the tree was loaded at (``None``: before the first commit).
            paths: more paths to look up (those with pending changes).

        Returns:
            path -> blob id at ``head`` (``None``: no file there), for every file that
            differs between ``rev`` and ``head`` and for each of ``paths``.

        Raises:
            RepositoryError: ``rev`` cannot be read (or there is no ``head``).
        """

    @abstractmethod
    def create_checkpoint(self, name: str | None, owner: CheckpointOwner) -> Checkpoint:
        """A checkpoint at ``head`` whose ``restore``/``discard`` go through ``owner``."""

    @abstractmethod
    def restore(
        self,
        target: str | Checkpoint,
        *,
        paths: Sequence[str] | None = None,
        hard: bool = False,
        author: str | None = None,
        artifacts: Callable[[str], bool] | None = None,
    ) -> CommitInfo:
        """Bring storage back to ``target`` (see ``Repository.restore``)."""

    @abstractmethod
    def delete_checkpoint(self, name: str) -> None:
        """Delete the checkpoint ``name``."""
