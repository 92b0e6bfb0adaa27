"""LangGraph checkpoints as Git commits: ``from gitworktree.langgraph import GitSaver``.

Needs the optional extra: ``pip install 'gitworktree[langgraph]'``. See docs/langgraph.md.
`GitSaver` is imported on first use, so that the CLI can name a thread's ref
(`gitworktree.langgraph._layout`) without LangGraph installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitworktree.langgraph._saver import GitSaver

__all__ = ["GitSaver"]


def __getattr__(name: str) -> Any:
    if name != "GitSaver":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from gitworktree.langgraph._saver import GitSaver
    except ModuleNotFoundError as err:  # pragma: no cover - only without the extra
        if err.name is None or not err.name.startswith(("langgraph", "langchain_core")):
            raise
        raise ModuleNotFoundError(
            f"gitworktree.langgraph needs LangGraph ({err.name} is missing); install it "
            "with `pip install 'gitworktree[langgraph]'`",
            name=err.name,
        ) from err
    return GitSaver
