"""Turning a damaged repository's low-level failures into one clear error.

A corrupted or truncated object makes dulwich raise from deep inside (a bad object
header, a zlib error, a checksum mismatch, a missing object). Callers get a
`RepositoryError` instead, naming the repository and what to run to find the damage.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from dulwich.errors import ChecksumMismatch, ObjectFormatException

from gitworktree.errors import RepositoryError

__all__ = ["damage_errors", "translates_damage"]

P = ParamSpec("P")
T = TypeVar("T")

_DAMAGE = (ObjectFormatException, ChecksumMismatch, zlib.error)


@contextmanager
def damage_errors(path: Path | str) -> Iterator[None]:
    """Re-raise a damaged object's low-level error as a `RepositoryError` about ``path``."""
    try:
        yield
    except _DAMAGE as error:
        raise RepositoryError(
            path,
            f"the repository is damaged: an object cannot be read ({type(error).__name__}: "
            f"{error}); run 'git fsck' to find it, and restore it from a clone or backup",
        ) from error


class _HasPath(Protocol):
    @property
    def path(self) -> Path:
        """The work tree root."""
        ...


H = TypeVar("H", bound=_HasPath)


def translates_damage(method: Callable[Concatenate[H, P], T]) -> Callable[Concatenate[H, P], T]:
    """Decorate a repository method so that a damaged object gives a `RepositoryError`."""

    def guarded(self: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with damage_errors(self.path):
            return method(self, *args, **kwargs)

    guarded.__doc__, guarded.__name__ = method.__doc__, method.__name__
    guarded.__wrapped__ = method  # type: ignore[attr-defined]
    return guarded
