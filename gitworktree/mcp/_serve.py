"""Running the server: on stdio (one client, the process's own), or streamable HTTP on loopback."""

from __future__ import annotations

import ipaddress

from mcp.server.transport_security import TransportSecuritySettings

from gitworktree.errors import GitWorktreeError
from gitworktree.history import Repository
from gitworktree.mcp._catalog import Catalog
from gitworktree.mcp._server import Audit, build_server
from gitworktree.mcp._workspace import Workspace
from gitworktree.storage.base import DEFAULT_MAX_ARTIFACT_BYTES
from gitworktree.tree.items import Worktree

__all__ = ["check_loopback", "serve"]


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address (``127.0.0.0/8``, ``::1``) or ``localhost``.

    The server has no authentication: anyone who can reach its port can commit as the
    agent, so it listens only where other machines cannot reach it.

    Raises:
        GitWorktreeError: any other host.
    """
    name = host.strip("[]")
    if name == "localhost":
        return name
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise GitWorktreeError(
            f"refusing to listen on {host}: the MCP server has no authentication, so it "
            "listens on a loopback address only (127.0.0.1, ::1 or localhost)"
        )
    return name


def serve(
    repository: Repository,
    *,
    tree: type[Worktree] | None = None,
    read_only: bool = False,
    audit: Audit | None = None,
    http: tuple[str, int] | None = None,
) -> None:
    """Serve ``repository`` over MCP until the client goes away (stdio) or the process ends.

    Args:
        repository: the open repository; the caller closes it afterwards.
        tree: the ``Worktree`` subclass giving the artifacts and their types; ``None``
            serves every file as a document (``*.json``, ``*.xml``, text).
        read_only: refuse every tool that writes.
        audit: the author recorded for commits (by default the client's declared name).
        http: ``(host, port)`` for streamable HTTP on a loopback address; ``None`` for stdio.

    Raises:
        GitWorktreeError: ``http`` names a host that is not a loopback address.
    """
    workspace = Workspace(repository, Catalog(tree), read_only=read_only)
    server = build_server(workspace, audit or Audit())
    if http is None:
        server.run("stdio")
        return
    host, port = check_loopback(http[0]), http[1]
    server.run(
        "streamable-http",
        host=host,
        port=port,
        transport_security=_loopback_only(host),
        # A write carries up to the artifact size limit of content, escaped inside JSON.
        max_request_body_size=3 * (workspace.size_limit or DEFAULT_MAX_ARTIFACT_BYTES),
    )


def _loopback_only(host: str) -> TransportSecuritySettings:
    """Host and Origin headers must name a loopback address: no DNS rebinding.

    The SDK turns this on by itself only for ``127.0.0.1``, ``localhost`` and ``::1``;
    any other loopback address the server accepts gets the same protection.
    """
    named = f"[{host}]" if ":" in host else host
    hosts = sorted({named, "127.0.0.1", "localhost", "[::1]"})
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in hosts],
        allowed_origins=[f"http://{name}:*" for name in hosts],
    )
