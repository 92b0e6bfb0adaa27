"""Refs: reading and moving them, revisions, checkpoints."""

__all__: list[str] = []
