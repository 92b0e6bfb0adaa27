"""ArtifactMap: a directory of artifacts of one type, keyed by file name, used like a dict."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gitworktree.errors import ReadOnlyError, UnsafePathError
from gitworktree.storage.base import Collection, check_name
from gitworktree.tree.binding import ArtifactSlot, Bound, TreeSession, wrong_type

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
    # key -> its slot, or, for an item loaded unchanged and not asked for since, just its
    # value: a mount of 10,000 items binds the few it is asked for (a slot costs ~1 us).
    # The slot of such an item is made on first access, from `_gwt_committed`.
    _gwt_slots: dict[str, ArtifactSlot | A]
    # File name -> committed blob id, for the items held as bare values: on disk they
    # were that committed version, so it is both what the slot read and what it builds on.
    _gwt_committed: Mapping[str, str]

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
        mapping._gwt_committed = {}
        return mapping

    def _gwt_key_for(self, name: str) -> str | None:
        """The key of the item stored as the file ``name``; ``None``: not an item's file.

        Files without the items' suffix and hidden files are not items.
        """
        suffix = self._gwt_item_type.suffix
        if not name.endswith(suffix) or name.startswith("."):
            return None
        return name[: len(name) - len(suffix)] if suffix else name

    def _gwt_items_among(self, names: Iterable[str]) -> list[tuple[str, str]]:
        """``(file name, key)`` of the item files among ``names``, in their order.

        `_gwt_key_for` for many names at once (a load asks for every file of the map).
        """
        suffix = self._gwt_item_type.suffix
        cut = len(suffix)
        return [
            (name, name[: len(name) - cut] if cut else name)
            for name in names
            if name.endswith(suffix) and not name.startswith(".")
        ]

    def _gwt_item_dotted(self, key: str) -> str:
        """The item's place in the tree, for messages: ``tree.tasks['t1']``."""
        return f"{self._gwt_dotted}[{key!r}]"

    def _gwt_loaded_slot(self, key: str) -> ArtifactSlot | None:
        """The slot loaded for ``key`` (``None``: none); bound now if it was not yet."""
        entry = self._gwt_slots.get(key)
        if entry is None or isinstance(entry, ArtifactSlot):
            return entry
        return self._gwt_bound(key, entry)

    def _gwt_loaded_entries(self) -> dict[str, ArtifactSlot | A]:
        """Every loaded item by key, as held: its slot, or its value if not bound yet."""
        return self._gwt_slots

    def _gwt_hold(
        self, slots: dict[str, ArtifactSlot | A], committed: Mapping[str, str] | None = None
    ) -> None:
        """Hold exactly ``slots``, in their order (a load lists keys in file-name order).

        Args:
            slots: each key's slot, or the value of an item loaded as committed.
            committed: file name -> committed blob id; required for the bare values.
        """
        self._gwt_slots = slots
        self._gwt_committed = {} if committed is None else committed

    def _gwt_bound(self, key: str, value: A) -> ArtifactSlot:
        """Make and hold the slot of an item held as its bare value."""
        name = key + self._gwt_item_type.suffix
        base = self._gwt_committed[name]
        slot = ArtifactSlot(
            self._gwt_session, (self._gwt_path, name), self._gwt_item_type, value,
            base, self._gwt_item_dotted(key), base,
        )  # fmt: skip
        self._gwt_slots[key] = slot
        return slot

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
            entry = self._gwt_slots[key]
        except AttributeError:
            self._gwt_require_session()
            raise
        except KeyError:
            raise KeyError(key) from None
        return entry if isinstance(entry, ArtifactSlot) else self._gwt_bound(key, entry)

    def __getitem__(self, key: str) -> A:
        return typing.cast(A, self._gwt_slot(key).hand_out())

    def __setitem__(self, key: str, value: A) -> None:
        session = self._gwt_require_session()
        slot = self._gwt_loaded_slot(key)
        if slot is not None:
            slot.assign(value)
            return
        if session.read_only:
            raise ReadOnlyError(f"{self._gwt_dotted}: this tree is mounted read-only")
        path = map_item_path(self, key)
        if not isinstance(value, self._gwt_item_type):
            holds = f"{self._gwt_dotted} holds {self._gwt_item_type.__name__} items"
            raise wrong_type(holds, self._gwt_item_type, value)
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
