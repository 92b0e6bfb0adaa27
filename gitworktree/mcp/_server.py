"""The MCP server: the `Workspace` operations as tools, the artifacts as resources.

Built on the official SDK's ``MCPServer``. Every tool runs the library in a worker
thread; a library refusal (`GitWorktreeError`) becomes a tool error carrying the
library's message and, for a refused commit, every issue; anything else is logged with
its traceback on the server's stderr and reaches the client only as the SDK's generic
"Error executing tool". Commits are authored by the agent and carry ``MCP-Client`` and
``MCP-Tool`` trailers (not ``Gitworktree-*`` ones: those belong to the gate).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import Resource as MCPResource
from mcp_types import ResourceTemplate as MCPResourceTemplate
from mcp_types import ToolAnnotations
from pydantic import Field

from gitworktree.errors import (
    CommitRejectedError,
    ConflictError,
    ForeignEditsError,
    GitWorktreeError,
)
from gitworktree.mcp._workspace import (
    ARTIFACT_URI,
    SCHEMA_URI,
    Workspace,
    path_of_uri,
    uri_of,
)

__all__ = ["Audit", "build_server"]

_log = logging.getLogger("gitworktree.mcp")
T = TypeVar("T")

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
_DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)
_UNSAFE_NAME = re.compile(r"[<>\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Audit:
    """Who the server records as the author of the commits it makes.

    Attributes:
        author: ``"Name <email>"`` given with ``--author``; when ``None``, the client's
            declared name (MCP ``clientInfo``) with ``email``.
        email: the e-mail recorded with the client's declared name.
    """

    author: str | None = None
    email: str = "mcp-agent@localhost"

    def identity(self, ctx: Context) -> str:
        """The author of a commit made for the client of ``ctx``."""
        if self.author is not None:
            return self.author
        name = _client(ctx)[0]
        return f"{name} <{self.email}>"

    def trailers(self, ctx: Context, tool: str) -> dict[str, str]:
        """``MCP-Client: name/version`` and ``MCP-Tool: tool``."""
        name, version = _client(ctx)
        client = f"{name}/{version}" if version else name
        return {"MCP-Client": client, "MCP-Tool": tool}


def _clean(text: str) -> str:
    """A client-declared name, safe in an author line or a trailer (one line, no <>)."""
    return " ".join(_UNSAFE_NAME.sub(" ", text).split())


def _client(ctx: Context) -> tuple[str, str]:
    params = ctx.session.client_params
    info = None if params is None else params.client_info
    name = _clean(info.name) if info is not None else ""
    version = _clean(info.version) if info is not None else ""
    return name or "mcp-client", version


def _stage_key(ctx: Context) -> str:
    """Whose staged writes a call sees: one per connection.

    A stdio server has one client; an HTTP client on a session (``Mcp-Session-Id``)
    gets that session's. A stateless HTTP request carries no connection at all: its
    client's declared name and version stand for it.
    """
    headers = ctx.headers
    if headers is None:
        return "stdio"
    session = headers.get("mcp-session-id")
    if session:
        return f"session:{session}"
    name, version = _client(ctx)
    return f"client:{name}/{version}"


# An argument longer than this is quoted in a refusal by its start and its length only.
_QUOTED_ARGUMENT = 200


def _shortened(message: str, arguments: Iterable[object]) -> str:
    """``message`` with each long argument it quotes cut to its start and its length.

    The library quotes what it refuses ("unsafe path '...'"), which is right for a path
    of a few words; a megabyte path echoed back would fill the model's context instead.
    """
    for value in arguments:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and len(text) > _QUOTED_ARGUMENT:
                cut = f"{text[:60]}... ({len(text)} characters)"
                message = message.replace(text, cut)
    return message


def _refusal(error: GitWorktreeError, message: str) -> ToolError:
    # The library's message is the reply: it says what happened and what to do next,
    # and a refused commit's message already lists every issue, one per line. Where its
    # next step is a Python call, the tools' own way is added.
    if isinstance(error, ForeignEditsError):
        # The library's message names the tree's remedies (adopt, discard, sync).
        message = (
            f"commit refused, nothing was written: {', '.join(error.paths)} had uncommitted "
            "edits on disk that this agent did not make (a person's, or another tool's), "
            "and the commit would overwrite them under the agent's name. Ask their author "
            "to commit or discard them with git, then read the files again and write your "
            "change on top"
        )
    elif isinstance(error, CommitRejectedError):
        first, _, issues = message.partition("\n")
        hint = "through MCP: write the fixed content with write_artifact, then commit again"
        message = f"{first}; {hint}\n{issues}"
    elif isinstance(error, ConflictError) and error.paths:
        message += (
            f"; through MCP: unstage {', '.join(error.paths)}, read the current version "
            "(read_artifact), write your change on top of it, and commit again"
        )
    return ToolError(message)


async def _run(function: Callable[[], T]) -> T:
    """Run a library call in a worker thread; turn its refusals into tool errors."""
    arguments = (
        [*function.args, *function.keywords.values()] if isinstance(function, partial) else []
    )
    _refuse_lone_surrogates(arguments)
    try:
        return await anyio.to_thread.run_sync(function)
    except GitWorktreeError as error:
        raise _refusal(error, _shortened(str(error), arguments)) from None
    except OSError as error:
        raise ToolError(f"the file system refused: {error}") from None


def _refuse_lone_surrogates(arguments: Iterable[object]) -> None:
    """Refuse a string argument that is not Unicode text, before anything is read.

    JSON may escape half of a UTF-16 pair on its own (``"\\ud800"``); Python then holds a
    lone surrogate that no file, ref or path can store, and the first ``encode`` deep in
    the library would crash the call with nothing for the model to act on. Every tool
    hands its arguments to `_run` in one ``partial``, so one check here covers them all.
    """
    for value in arguments:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if not isinstance(text, str):
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ToolError(
                    f"the argument {text[:80]!r} holds a lone UTF-16 surrogate "
                    f"({text[error.start]!r} at position {error.start}), which is not "
                    "Unicode text and cannot be stored; send each character whole"
                ) from None


async def _notify(ctx: Context, paths: Iterable[str], *, listed: bool) -> None:
    """Tell the client which artifact resources changed (best effort: never fails a call)."""
    uris = [uri_of(path) for path in paths]
    if not uris:
        return
    try:
        for uri in uris:
            await ctx.session.send_resource_updated(uri)
            await ctx.notify_resource_updated(uri)
        if listed:
            await ctx.session.send_resource_list_changed()
            await ctx.notify_resources_changed()
    except Exception:  # a closed stream, a client without notifications: the change landed
        _log.debug("could not send resource notifications", exc_info=True)


class _GitworktreeServer(MCPServer[Any]):
    """``MCPServer`` whose resources are the repository's artifacts, listed as they are now."""

    def __init__(self, workspace: Workspace, **settings: Any) -> None:
        super().__init__(**settings)
        self.workspace = workspace

    async def list_resources(self) -> list[MCPResource]:
        listed = await _resource_call(partial(self.workspace.list_artifacts, "resources"))
        resources = []
        for entry in listed["artifacts"]:
            if not entry["exists"]:
                continue
            path = entry["path"]
            resources.append(MCPResource(uri=uri_of(path), name=path, mime_type=entry["mime_type"]))
            if entry["has_schema"]:
                resources.append(
                    MCPResource(
                        uri=uri_of(path, schema=True),
                        name=f"{path} (JSON Schema)",
                        mime_type="application/schema+json",
                    )
                )
        return resources

    async def list_resource_templates(self) -> list[MCPResourceTemplate]:
        return [
            MCPResourceTemplate(
                uri_template=ARTIFACT_URI + "{+path}",
                name="artifact",
                description="An artifact's content at HEAD, by repository-relative path.",
            ),
            MCPResourceTemplate(
                uri_template=SCHEMA_URI + "{+path}",
                name="artifact-schema",
                description="The JSON Schema of an artifact, when its type has one.",
                mime_type="application/schema+json",
            ),
        ]

    async def read_resource(
        self, uri: Any, context: Context | None = None
    ) -> Iterable[ReadResourceContents]:
        text = str(uri)
        if text.startswith(SCHEMA_URI):
            path = await _resource_call(partial(path_of_uri, text.removeprefix(SCHEMA_URI)))
            schema = await _resource_call(partial(self.workspace.schema, path))
            if schema is None:
                raise ResourceNotFoundError(f"{path} has no JSON Schema")
            content = json.dumps(schema, indent=2, ensure_ascii=False)
            return [ReadResourceContents(content=content, mime_type="application/schema+json")]
        if not text.startswith(ARTIFACT_URI):
            raise ResourceNotFoundError(
                f"unknown resource {text}; artifacts are {ARTIFACT_URI}PATH"
            )
        path = await _resource_call(partial(path_of_uri, text.removeprefix(ARTIFACT_URI)))
        read = await _resource_call(partial(self.workspace.read, "resources", path, "HEAD"))
        if read["encoding"] == "base64":
            blob = base64.b64decode(read["content"])
            return [ReadResourceContents(content=blob, mime_type="application/octet-stream")]
        return [ReadResourceContents(content=read["content"], mime_type=read["mime_type"])]


async def _resource_call(function: Callable[[], T]) -> T:
    try:
        return await anyio.to_thread.run_sync(function)
    except GitWorktreeError as error:
        raise ResourceNotFoundError(str(error)) from None
    except OSError as error:
        raise ResourceError(f"the file system refused: {error}") from None


_Paths = Annotated[
    list[str] | None,
    Field(description="Repository-relative paths (files or directories); omit for all."),
]
_Path = Annotated[str, Field(description="The artifact's repository-relative path, e.g. plan.json")]
# A count past a machine word is refused by the schema, with a message, rather than
# reaching islice() and crashing the call with nothing for the model to act on.
_MAX_COUNT = sys.maxsize
_Rev = Annotated[str, Field(description="A commit id, HEAD~N, a branch or a checkpoint name.")]


def build_server(workspace: Workspace, audit: Audit) -> MCPServer[Any]:
    """The MCP server for ``workspace``, with every tool and resource registered.

    Args:
        workspace: the repository and its artifacts.
        audit: who is recorded as the author of commits.
    """
    from gitworktree import __name__ as package

    server = _GitworktreeServer(
        workspace,
        name=package,
        instructions=(
            "Typed, validated state in a Git repository. Read artifacts, stage edits with "
            "write_artifact (each reply lists every validation issue with file:line and "
            "JSON Pointer), fix them, then commit: the commit gate refuses invalid content. "
            "Checkpoint before risky work; restore brings files back as a new commit."
        ),
        log_level="WARNING",
    )
    _register_reads(server, workspace)
    _register_writes(server, workspace, audit)
    return server


def _register_reads(server: MCPServer[Any], workspace: Workspace) -> None:
    @server.tool(annotations=_READ)
    async def list_artifacts(ctx: Context) -> dict[str, Any]:
        """List the artifacts: path, type, whether it exists at HEAD, is staged, has a schema."""
        return await _run(partial(workspace.list_artifacts, _stage_key(ctx)))

    @server.tool(annotations=_READ)
    async def read_artifact(
        path: _Path,
        ctx: Context,
        rev: Annotated[
            str | None, Field(description="Read at this revision instead of staged/HEAD.")
        ] = None,
    ) -> dict[str, Any]:
        """Read an artifact: its content (staged if you wrote it, else HEAD), type and schema."""
        return await _run(partial(workspace.read, _stage_key(ctx), path, rev))

    @server.tool(annotations=_READ)
    async def validate(ctx: Context, paths: _Paths = None) -> dict[str, Any]:
        """Check the artifacts as a commit would see them now (staged over HEAD)."""
        return await _run(partial(workspace.validate, _stage_key(ctx), paths))

    @server.tool(annotations=_READ)
    async def log(
        n: Annotated[
            int | None, Field(ge=0, le=_MAX_COUNT, description="At most this many commits.")
        ] = None,
        path: Annotated[str | None, Field(description="Only commits that changed it.")] = None,
        author: Annotated[
            str | None, Field(description="Only commits whose author contains this.")
        ] = None,
    ) -> dict[str, Any]:
        """Commits, newest first, with author, files and trailers (as `gitworktree log --json`)."""
        return await _run(partial(workspace.log, n, path, author))

    @server.tool(annotations=_READ)
    async def show_commit(
        rev: _Rev = "HEAD",
        patch: Annotated[bool, Field(description="Include each file's patch.")] = False,
    ) -> dict[str, Any]:
        """A commit: message, author, trailers and changed files (as `gitworktree show --json`)."""
        return await _run(partial(workspace.show, rev, patch))

    @server.tool(annotations=_READ)
    async def diff(a: _Rev, b: _Rev = "HEAD", paths: _Paths = None) -> dict[str, Any]:
        """What changed from A to B: each file's patch and its changed JSON values by pointer."""
        return await _run(partial(workspace.diff, a, b, paths))

    @server.tool(annotations=_READ)
    async def checkpoint_list() -> dict[str, Any]:
        """The checkpoints, by name, with the commit each one names."""
        return await _run(workspace.checkpoints)


def _register_writes(server: MCPServer[Any], workspace: Workspace, audit: Audit) -> None:
    @server.tool(annotations=_WRITE)
    async def write_artifact(
        path: _Path,
        content: Annotated[str, Field(description="The whole new content of the file.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """Stage new content for an artifact and check it now; the reply lists every issue.

        Nothing is committed until the commit tool; an invalid file stays staged so you
        can read it back, fix it and write it again.
        """
        return await _run(partial(workspace.write, _stage_key(ctx), path, content))

    @server.tool(annotations=_DESTRUCTIVE)
    async def delete_artifact(path: _Path, ctx: Context) -> dict[str, Any]:
        """Stage the deletion of an artifact (an item of a map, or any file without a tree).

        Nothing is deleted until the commit tool.
        """
        return await _run(partial(workspace.delete, _stage_key(ctx), path))

    @server.tool(annotations=_WRITE)
    async def unstage(ctx: Context, paths: _Paths = None) -> dict[str, Any]:
        """Drop staged writes (all, or those of the given paths)."""
        return await _run(partial(workspace.unstage, _stage_key(ctx), paths))

    @server.tool(annotations=_WRITE)
    async def commit(
        message: Annotated[str, Field(description="The commit message.")], ctx: Context
    ) -> dict[str, Any]:
        """Commit everything staged, through the validation gate, as one commit.

        The reply is the commit (id, author, trailers) and its paths; if any staged
        artifact is invalid the call fails with every issue and nothing is written.
        """
        # A NUL in the message is refused by the library (InvalidNameError), before
        # anything is written: git cannot show one.
        call = partial(
            workspace.commit,
            _stage_key(ctx),
            message,
            audit.identity(ctx),
            audit.trailers(ctx, "commit"),
        )
        result = await _run(call)
        await _notify(ctx, result["paths"], listed=True)
        return result

    @server.tool(annotations=_WRITE)
    async def checkpoint_create(
        name: Annotated[
            str | None, Field(description="Its name (git ref rules); generated if omitted.")
        ] = None,
        rev: _Rev = "HEAD",
    ) -> dict[str, Any]:
        """Name a commit as a checkpoint, to restore it later."""
        return await _run(partial(workspace.create_checkpoint, name, rev))

    @server.tool(annotations=_DESTRUCTIVE)
    async def checkpoint_delete(name: str) -> dict[str, Any]:
        """Delete a checkpoint; the commits it named stay in history."""
        return await _run(partial(workspace.delete_checkpoint, name))

    @server.tool(annotations=_DESTRUCTIVE)
    async def restore(
        target: Annotated[str, Field(description="A checkpoint name or a revision.")],
        ctx: Context,
        paths: _Paths = None,
        hard: Annotated[
            bool, Field(description="Move the branch instead of adding a commit.")
        ] = False,
    ) -> dict[str, Any]:
        """Bring files back to a checkpoint or revision, as a new commit (soft, the default).

        With paths, only those files or directories. A hard restore moves the branch
        (the old tip stays in the reflog). Files with uncommitted edits are never overwritten.
        """
        call = partial(
            workspace.restore,
            target,
            paths,
            hard,
            audit.identity(ctx),
            audit.trailers(ctx, "restore"),
        )
        document, changed = await _run(call)
        await _notify(ctx, changed, listed=True)
        return document
