"""Which files the MCP server serves as artifacts, of which type, with which JSON Schema.

Two scopes. With a tree declaration (``--tree MODULE:CLASS``) the artifacts are exactly
the files the tree declares (maps included), each checked by its declared class, and
nothing else can be read or written through the server. Without one, every file of the
repository is a document: ``*.json`` a JSON document, ``*.xml`` an XML document (both
checked for well-formedness), anything else UTF-8 text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gitworktree.artifacts.document import Document
from gitworktree.artifacts.json import JsonDocument, resolve_class_path
from gitworktree.artifacts.pydantic import PydanticArtifact
from gitworktree.artifacts.text import TextArtifact
from gitworktree.artifacts.xml import XmlDocument
from gitworktree.errors import GitWorktreeError, UnsafePathError
from gitworktree.history._core.paths import check_repo_path
from gitworktree.mcp._control_files import CONTROL_FILES
from gitworktree.tree.items import Artifact, Worktree, fields_of

__all__ = ["ArtifactKind", "Catalog"]


@dataclass(frozen=True)
class ArtifactKind:
    """What a path holds: the class that checks it, and a label for clients.

    Attributes:
        item_type: the artifact class whose check the gate runs on the file.
        label: ``json``, ``xml``, ``text``, or the declared class's name.
        declared: the dotted name in the tree declaration (``tasks['t1']``), if any.
        fixed: whether the tree declares this very file (not an item of a map), so that
            it cannot be deleted: a mount would create it again from its defaults.
    """

    item_type: type[Artifact[Any]]
    label: str
    declared: str | None = None
    fixed: bool = False

    @property
    def mime_type(self) -> str:
        """``application/json``, ``application/xml`` or ``text/plain``, by the class."""
        if issubclass(self.item_type, JsonDocument | PydanticArtifact):
            return "application/json"
        if issubclass(self.item_type, XmlDocument):
            return "application/xml"
        return "text/plain"

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON Schema the content must satisfy, when the type has one.

        Raises:
            GitWorktreeError: the declared schema file cannot be read.
        """
        item_type = self.item_type
        if issubclass(item_type, PydanticArtifact):
            return item_type.model_json_schema()
        if issubclass(item_type, JsonDocument):
            schema = item_type.schema
            if isinstance(schema, bool):  # JSON Schema's own spelling of "anything"/"nothing"
                return {} if schema else {"not": {}}
            if schema is not None:
                return dict(schema)
            if item_type.schema_path is not None:
                path = resolve_class_path(item_type, item_type.schema_path)
                try:
                    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as error:
                    raise GitWorktreeError(f"cannot read the JSON Schema {path}: {error}") from None
                return loaded
        return None


_DOCUMENT_KINDS: dict[str, tuple[type[Document[Any]], str]] = {
    ".json": (JsonDocument, "json"),
    ".xml": (XmlDocument, "xml"),
}


class Catalog:
    """The artifacts a server exposes: by declaration, or every file as a document.

    Args:
        tree_cls: the ``Worktree`` subclass declaring the files; ``None`` to serve every
            file of the repository as a document.
    """

    def __init__(self, tree_cls: type[Worktree] | None = None) -> None:
        self.tree_cls = tree_cls

    def kind_of(self, path: str) -> ArtifactKind | None:
        """What ``path`` is, or ``None`` when it is no artifact of this catalog.

        Raises:
            UnsafePathError: the path is absolute, has ``..``, reaches into ``.git``, ...
        """
        checked = check_repo_path(path)
        if self.tree_cls is None:
            name = checked.rsplit("/", 1)[-1].lower()
            if name in CONTROL_FILES:
                control, label = CONTROL_FILES[name]
                return ArtifactKind(control, label)
            item_type, label = _DOCUMENT_KINDS.get(_suffix(checked), (TextArtifact, "text"))
            return ArtifactKind(item_type, label)
        return _declared_kind(self.tree_cls, checked.split("/"))

    def require(self, path: str) -> tuple[str, ArtifactKind]:
        """The checked path and its kind, for a path a client names.

        Raises:
            UnsafePathError: the path is unsafe, or the tree declares no artifact there.
        """
        checked = check_repo_path(path)
        kind = self.kind_of(checked)
        if kind is None:
            assert self.tree_cls is not None  # without a tree every safe path is a document
            raise UnsafePathError(
                checked,
                f"{self.tree_cls.__name__} declares no artifact there; list the artifacts "
                "with the list_artifacts tool",
            )
        return checked, kind

    def declared_paths(self) -> Iterator[tuple[str, ArtifactKind]]:
        """The fixed artifact paths of the tree (not the items of its maps)."""
        if self.tree_cls is not None:
            yield from _fixed_paths(self.tree_cls, "", "")


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _label(item_type: type[Any]) -> str:
    return str(item_type.__name__)


def _declared_kind(cls: type, parts: list[str], dotted: str = "") -> ArtifactKind | None:
    head, rest = parts[0], parts[1:]
    for name, spec in fields_of(cls).items():
        here = f"{dotted}.{name}" if dotted else name
        if not rest:
            if spec.kind == "artifact" and spec.storage_name == head:
                return ArtifactKind(spec.item_type, _label(spec.item_type), here, fixed=True)
            continue
        if name != head:
            continue
        if spec.kind == "container":
            return _declared_kind(spec.item_type, rest, here)
        if spec.kind == "map" and len(rest) == 1:
            return _map_item(spec.item_type, rest[0], here)
    return None


def _map_item(item_type: type[Any], name: str, dotted: str) -> ArtifactKind | None:
    suffix = str(item_type.suffix)
    if name.startswith(".") or not name.endswith(suffix) or name == suffix:
        return None
    key = name[: len(name) - len(suffix)] if suffix else name
    return ArtifactKind(item_type, _label(item_type), f"{dotted}[{key!r}]")


def _fixed_paths(cls: type, directory: str, dotted: str) -> Iterator[tuple[str, ArtifactKind]]:
    for name, spec in fields_of(cls).items():
        here = f"{dotted}.{name}" if dotted else name
        if spec.kind == "artifact":
            path = f"{directory}{spec.storage_name}"
            yield path, ArtifactKind(spec.item_type, _label(spec.item_type), here, fixed=True)
        elif spec.kind == "container":
            yield from _fixed_paths(spec.item_type, f"{directory}{name}/", here)
