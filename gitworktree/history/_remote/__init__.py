"""Remotes: transfer (clone, fetch, push), merging what was fetched, the sync loop."""

__all__: list[str] = []
