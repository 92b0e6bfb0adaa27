"""worktree's method decorators: abstract hooks, and hooks an item can never be asked for."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

from gitworktree.errors import GitWorktreeError

__all__ = ["UnreachableWorktreeAction", "not_implemented", "unreachable_worktree_action"]

F = TypeVar("F", bound=Callable[..., Any])


class UnreachableWorktreeAction(GitWorktreeError):
    """A hook was called for a kind of claim the item never makes."""


def not_implemented(func: F) -> F:
    """Mark a hook a subclass must implement: calling it raises ``NotImplementedError``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> NoReturn:
        owner = ""
        if args:
            first = args[0]
            owner = (
                f" of class {first.__name__}"
                if isinstance(first, type)
                else (f" of {type(first).__name__} instance")
            )
        raise NotImplementedError(f"Method '{func.__name__}'{owner} is not implemented")

    return cast(F, wrapper)


def unreachable_worktree_action(since: str) -> Callable[[F], F]:
    """Mark a hook the item never needs (``since`` says why); calling it raises."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> NoReturn:
            raise UnreachableWorktreeAction(
                f"Method '{func.__name__}' is unreachable since {since}."
            )

        # The reST field, as worktree wrote it: its users' tools may look for it.
        wrapper.__doc__ = f"Unreachable method since {since}.\n\n:raise UnreachableWorktreeAction:"
        return cast(F, wrapper)

    return decorator
