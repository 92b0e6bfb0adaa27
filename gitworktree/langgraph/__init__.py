"""LangGraph checkpoints as Git commits: ``from gitworktree.langgraph import GitSaver``.

Needs the optional extra: ``pip install 'gitworktree[langgraph]'``. See docs/langgraph.md.
"""

from __future__ import annotations

try:
    from gitworktree.langgraph._saver import GitSaver
except ModuleNotFoundError as err:  # pragma: no cover - only without the extra
    if err.name is None or not err.name.startswith(("langgraph", "langchain_core")):
        raise
    raise ModuleNotFoundError(
        f"gitworktree.langgraph needs LangGraph ({err.name} is missing); install it with "
        "`pip install 'gitworktree[langgraph]'`",
        name=err.name,
    ) from err

__all__ = ["GitSaver"]
