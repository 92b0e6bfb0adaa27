"""The history layer's foundations: paths, locks, identities, trailers, ref names, damage."""

__all__: list[str] = []
