"""worktree's API on gitworktree: items, claims, mount drivers and mounters.

Code written for ``worktree`` runs with its imports changed from ``worktree`` to
``gitworktree.compat.worktree``: ``contract``, ``mounting.accessible``, ``mounting.base``,
``mounting.claim``, ``impl.items.pydantic_model``, ``impl.accessibility.filesystem`` and
``impl.accessibility.memory``, plus ``impl.accessibility.git`` (every ``sync`` and
``commit`` of a tree lands as one Git commit). What differs is in ``docs/migrating.md``.
"""

__all__: list[str] = []
