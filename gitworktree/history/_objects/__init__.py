"""Git objects: raw trees, tree building, commits, log, merge bases, packing."""

__all__: list[str] = []
