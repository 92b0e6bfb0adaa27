"""ArtifactMap: a directory of artifacts of one type, keyed by file name, used like a dict."""

from __future__ import annotations

import typing
from collections.abc import Iterator, MutableMapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gitworktree.errors import ReadOnlyError, UnsafePathError
from gitworktree.storage.base import Collection, check_name
from gitworktree.tree.binding import ArtifactSlot, Bound, TreeSession

if TYPE_CHECKING:
    from gitworktree.tree.items import Artifact

__all__ = ["ArtifactMap", "map_item_path"]

# The longest file name Linux, macOS and Windows file systems accept, in bytes.
_NAME_MAX = 255

A = TypeVar("A", bound="Artifact[Any]")


class ArtifactMap(Bound, MutableMapping[str, A], Generic[A]):
    """A directory of artifacts of one type, keyed by file name, used like a dict.

    ``tree.tasks["t1"] = Task(title="x")`` stores ``tasks/t1.json`` on the next commit;
    ``del tree.tasks["t1"]`` removes it. Keys must be safe file names.
    """

    _gwt_item_type: type[A]
    _gwt_slots: dict[str, ArtifactSlot]

    # What a mount uses to build and load the map (``gitworktree.mounting.session``). The
    # names carry the ``_gwt_`` prefix of every node's mount-facing part.

    @classmethod
    def _gwt_mounted_map(
        cls, item_type: type[A], session: TreeSession, path: PurePosixPath, dotted: str
    ) -> ArtifactMap[A]:
        """A map of ``item_type`` items bound at ``path``, holding no items yet.

        Maps are declared as annotations, never built by users: a mount makes them.
        """
        mapping: ArtifactMap[A] = object.__new__(cls)
        mapping._gwt_bind(session, path, dotted)
        mapping._gwt_item_type = item_type
        mapping._gwt_slots = {}
        return mapping

    def _gwt_key_for(self, name: str) -> str | None:
        """The key of the item stored as the file ``name``; ``None``: not an item's file.

        Files without the items' suffix and hidden files are not items.
        """
        suffix = self._gwt_item_type.suffix
        if not name.endswith(suffix) or name.startswith("."):
            return None
        return name[: len(name) - len(suffix)] if suffix else name

    def _gwt_item_dotted(self, key: str) -> str:
        """The item's place in the tree, for messages: ``tree.tasks['t1']``."""
        return f"{self._gwt_dotted}[{key!r}]"

    def _gwt_loaded_slot(self, key: str) -> ArtifactSlot | None:
        """The slot loaded for ``key`` (``None``: none)."""
        return self._gwt_slots.get(key)

    def _gwt_loaded_slots(self) -> dict[str, ArtifactSlot]:
        """Every loaded slot, by key (a copy)."""
        return dict(self._gwt_slots)

    def _gwt_hold(self, slots: dict[str, ArtifactSlot]) -> None:
        """Hold exactly ``slots``, in their order (a load lists keys in file-name order)."""
        self._gwt_slots = slots

    def _gwt_put(self, key: str, slot: ArtifactSlot | None) -> None:
        """Hold ``slot`` for ``key``; ``None``: hold nothing for it."""
        if slot is None:
            self._gwt_slots.pop(key, None)
        else:
            self._gwt_slots[key] = slot

    def _gwt_order_keys(self) -> None:
        """Put keys added since the load where a load puts them: in file-name order."""
        suffix = self._gwt_item_type.suffix
        self._gwt_slots = dict(sorted(self._gwt_slots.items(), key=lambda item: item[0] + suffix))

    def _gwt_slot(self, key: str) -> ArtifactSlot:
        try:
            return self._gwt_slots[key]
        except AttributeError:
            self._gwt_require_session()
            raise
        except KeyError:
            raise KeyError(key) from None

    def __getitem__(self, key: str) -> A:
        return typing.cast(A, self._gwt_slot(key).hand_out())

    def __setitem__(self, key: str, value: A) -> None:
        session = self._gwt_require_session()
        slot = self._gwt_slots.get(key)
        if slot is not None:
            slot.assign(value)
            return
        if session.read_only:
            raise ReadOnlyError(f"{self._gwt_dotted}: this tree is mounted read-only")
        path = map_item_path(self, key)
        if not isinstance(value, self._gwt_item_type):
            raise TypeError(
                f"{self._gwt_dotted} holds {self._gwt_item_type.__name__} items, "
                f"not {type(value).__name__}"
            )
        self._gwt_slots[key] = session.map_key_added(self, key, path, value)

    def __delitem__(self, key: str) -> None:
        session = self._gwt_require_session()
        if session.read_only:
            raise ReadOnlyError(f"{self._gwt_dotted}: this tree is mounted read-only")
        slot = self._gwt_slot(key)
        del self._gwt_slots[key]
        session.map_key_removed(self, slot)

    def __contains__(self, key: object) -> bool:
        return key in self._gwt_slots

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._gwt_slots))

    def __len__(self) -> int:
        return len(self._gwt_slots)

    @property
    def item_type(self) -> type[A]:
        """The artifact class every item has."""
        return self._gwt_item_type

    def handle(self) -> Collection:
        """The collection holding the items' files."""
        return self._gwt_require_session().collection(self._gwt_path)

    def __repr__(self) -> str:
        return f"<ArtifactMap[{self._gwt_item_type.__name__}] {len(self)} items>"


def map_item_path(mapping: ArtifactMap[Any], key: str) -> PurePosixPath:
    """Where the item ``key`` of ``mapping`` is stored; refuses unsafe keys."""
    if not isinstance(key, str):
        raise TypeError(f"ArtifactMap keys are strings, not {type(key).__name__}")
    check_name(key)
    if key.startswith("."):
        raise UnsafePathError(key, "map keys may not start with '.'")
    suffix: str = mapping._gwt_item_type.suffix
    name = check_name(key + suffix)  # the file name as a whole: its length counts too
    return mapping._gwt_path / name
