"""Package fronts that import a public name's module on first access (PEP 562).

``gitworktree`` and ``gitworktree.history`` list where each public name lives; a name's
module is imported when the name is first asked for, so that ``import gitworktree`` (and
a history command of the CLI) loads only what it uses. Type checkers see the names
through imports under ``TYPE_CHECKING`` in each front.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_front"]


def lazy_front(
    package: str, sources: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a lazy package front.

    Args:
        package: the package's ``__name__``.
        sources: public name -> the module that defines it.
        namespace: the package's ``globals()``; a name is bound there once imported, so
            it is found directly from then on.
    """

    def __getattr__(name: str) -> Any:
        try:
            module = sources[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace["__all__"]))

    return __getattr__, __dir__
