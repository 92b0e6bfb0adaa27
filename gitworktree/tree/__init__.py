"""Declaring trees: items, fields, artifact maps, and the binding of items to storage."""

__all__: list[str] = []
