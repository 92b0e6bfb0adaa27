"""ArtifactMap: a directory of artifacts of one type, keyed by file name, used like a dict."""

from __future__ import annotations

import typing
from collections.abc import Iterator, MutableMapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gitworktree.errors import ReadOnlyError, UnsafePathError
from gitworktree.storage.base import Collection, check_name
from gitworktree.tree.binding import ArtifactSlot, Bound

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
        if slot is None:
            self._gwt_slots[key] = session.map_key_added(self, key, value)
        else:
            slot.assign(value)

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
