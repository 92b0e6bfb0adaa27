"""Part of worktree's module layout; see ``gitworktree.compat.worktree``."""

__all__: list[str] = []
