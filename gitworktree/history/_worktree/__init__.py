"""The work tree and the index: status, diff, restore, checkout, and the commit's write half."""

__all__: list[str] = []
