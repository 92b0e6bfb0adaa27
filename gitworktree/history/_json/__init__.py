"""JSON documents in history: changed values by JSON Pointer, and the three-way JSON merge."""

__all__: list[str] = []
