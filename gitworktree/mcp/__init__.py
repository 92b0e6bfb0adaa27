"""An MCP server over a gitworktree repository: ``gitworktree mcp`` (docs/mcp.md).

Needs the optional extra: ``pip install 'gitworktree[mcp]'`` (the official ``mcp`` SDK,
2.x). Importing this package imports the SDK; the CLI checks for it first.
"""

from gitworktree.mcp._catalog import ArtifactKind, Catalog
from gitworktree.mcp._serve import check_loopback, serve
from gitworktree.mcp._server import Audit, build_server
from gitworktree.mcp._workspace import Workspace

__all__ = [
    "ArtifactKind",
    "Audit",
    "Catalog",
    "Workspace",
    "build_server",
    "check_loopback",
    "serve",
]
