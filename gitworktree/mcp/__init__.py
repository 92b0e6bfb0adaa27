"""An MCP server over a gitworktree repository: ``gitworktree mcp`` (docs/mcp.md).

Needs the optional extra: ``pip install 'gitworktree[mcp]'`` (the official ``mcp`` SDK,
2.x). Importing this package imports the SDK; the CLI checks for it first.
"""

try:
    from gitworktree.mcp._catalog import ArtifactKind, Catalog
    from gitworktree.mcp._serve import check_loopback, serve
    from gitworktree.mcp._server import Audit, build_server
    from gitworktree.mcp._workspace import Workspace
except ModuleNotFoundError as err:
    # Without the extra the SDK's own "No module named 'mcp'" would not say what to do.
    if err.name is None or err.name.split(".")[0] != "mcp":
        raise
    raise ModuleNotFoundError(
        f"gitworktree.mcp needs the official MCP Python SDK, mcp 2.x ({err.name} is "
        "missing); install it with `pip install 'gitworktree[mcp]'`",
        name=err.name,
    ) from err

__all__ = [
    "ArtifactKind",
    "Audit",
    "Catalog",
    "Workspace",
    "build_server",
    "check_loopback",
    "serve",
]
