"""Mounting a declared tree on storage: mount(), the session, the commit pipeline, the gate."""

__all__: list[str] = []
