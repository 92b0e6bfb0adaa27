"""Sharing through a Git host: ``clone``, ``remote add/list/remove``, ``fetch``, ``pull``, ``push``.

Each command is a thin layer over `Repository`'s remote methods; ``pull --tree`` goes
through `gitworktree.pull` instead, which runs the commit gate on what the merge brings
in. A remote is a configured name, or a URL or a local path given directly; a relative
path is taken relative to the directory the command runs in (``-C``), as every other
path on the command line is.

The host's progress messages go to stderr, and only when stderr is a terminal: in a pipe
or a test the output is exactly what ``docs/cli.md`` documents.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit, urlunsplit

import click

from gitworktree.cli.context import (
    HabitGroup,
    json_option,
    open_repository,
    repo_option,
    working_directory,
)
from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import (
    echo_json,
    fetch_json,
    push_json,
    quote_text,
    ref_label,
    short,
    style_sha,
    subject,
)

if TYPE_CHECKING:
    from gitworktree import (
        ConflictError,
        FetchResult,
        Repository,
    )

__all__ = ["clone", "fetch", "progress_reporter", "push", "redact_url", "remote", "remote_argument"]

Progress = Callable[[str], None]

# A colon before the first slash: ``host:path`` or ``user@host:path`` (ssh), as git reads it.
_SCP_LIKE = re.compile(r"^[^/]*:")


# --- where things are -------------------------------------------------------------------


def redact_url(url: str) -> str:
    """``url`` without the password of its user part (``https://user:***@host/...``).

    The library redacts URLs the same way in its messages and results; `remotes()`
    returns them as configured, so ``remote list`` redacts them here.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _is_url(location: str) -> bool:
    return "://" in location or bool(_SCP_LIKE.match(location))


def _local_path(ctx: click.Context, location: str) -> Path:
    return Path(os.path.abspath(working_directory(ctx) / Path(location).expanduser()))


def _location(ctx: click.Context, location: str) -> str:
    """A URL as given; a local path made absolute from the directory the command runs in."""
    return location if _is_url(location) else str(_local_path(ctx, location))


def remote_argument(ctx: click.Context, repository: Repository, remote: str) -> str:
    """What to hand the library for ``REMOTE``: a configured name, a URL, or a path.

    Raises:
        RefusedError: it is none of these.
    """
    configured = repository.remotes()
    if remote in configured or _is_url(remote):
        return remote
    if _local_path(ctx, remote).is_dir():
        return str(_local_path(ctx, remote))
    known = ", ".join(configured) or "none"
    raise RefusedError(
        f"no remote named {remote!r} (configured: {known}) and no repository at that path; "
        "add one with `gitworktree remote add NAME URL`, or give a URL or a path"
    )


def _directory_name(url: str) -> str:
    """The directory ``clone`` makes when no PATH is given: ``state`` for ``…/state.git``."""
    if "://" in url:
        parts = urlsplit(url)
        tail = parts.path.rstrip("/").removesuffix("/.git") or (parts.hostname or "")
    else:
        tail = url.rstrip("/").removesuffix("/.git")
    name = re.split(r"[/:]", tail)[-1].removesuffix(".git")
    if name in ("", ".", ".."):
        raise click.BadParameter(
            f"cannot tell a directory name from {redact_url(url)!r}; give PATH", param_hint="PATH"
        )
    return name


# --- progress ---------------------------------------------------------------------------


def _stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


class _StderrProgress:
    """Writes the host's progress messages to stderr as they come (with their own ``\\r``)."""

    def __init__(self) -> None:
        self.line_open = False

    def __call__(self, message: str) -> None:
        click.echo(message, err=True, nl=False)
        self.line_open = not message.endswith("\n")

    def end_line(self) -> None:
        """End a ``\\r``-terminated counter line, so that what follows starts on its own."""
        if self.line_open:
            click.echo("", err=True)
            self.line_open = False


@contextmanager
def progress_reporter() -> Iterator[Progress | None]:
    """A progress callback for a transfer: stderr on a terminal, else ``None`` (silent)."""
    if not _stderr_is_terminal():
        yield None
        return
    reporter = _StderrProgress()
    try:
        yield reporter
    finally:
        reporter.end_line()


# --- clone ------------------------------------------------------------------------------


@click.command(short_help="Clone a repository from a Git host.")
@click.argument("url")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-b", "--branch", metavar="B", help="The branch to check out (default: the host's default)."
)
@click.option(
    "-o",
    "--origin",
    "remote_name",
    default="origin",
    show_default=True,
    metavar="NAME",
    help="The name the remote gets.",
)
@repo_option
@json_option
@click.pass_context
def clone(
    ctx: click.Context,
    url: str,
    path: Path | None,
    branch: str | None,
    remote_name: str,
    as_json: bool,
) -> None:
    """Clone the repository at URL into PATH (default: named after URL, as git does).

    URL is a local path, file://, git://, http(s):// (credentials in the URL, or a git
    credential store) or ssh. The host becomes the remote `origin`, the checked-out
    branch tracks it, and its checkpoints come along as origin/checkpoints/NAME (not as
    local checkpoints). The new .git/config holds only what gitworktree writes: nothing
    in it comes from the host. An empty host gives an empty
    repository: the first commit creates the branch, `gitworktree push` publishes it.

    What the host sends is untrusted: a tree naming `..`, `.git` (in any spelling), an
    absolute path, or a symbolic link out of its directory is refused whole (exit 1,
    naming the path and the commit) and no directory is left behind.

    \b
    Examples:
      gitworktree clone https://git.example.com/team/state.git data
      gitworktree clone /srv/state.git --branch planner --json
    """
    from gitworktree import Repository

    target = working_directory(ctx) / (path if path is not None else _directory_name(url))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RefusedError(
            f"{target} already exists and is not an empty directory; clone into a new or "
            "empty directory"
        )
    location = _location(ctx, url)
    with progress_reporter() as progress:
        cloned = Repository.clone(
            location, target, remote=remote_name, branch=branch, progress=progress
        )
    with cloned as repository:
        head, current = repository.head, repository.branch
        configured = redact_url(repository.remotes().get(remote_name, location))
        info = None if head is None else repository.commit_info(head)
    where = target.resolve()
    if as_json:
        echo_json(
            {
                "path": str(where),
                "remote": remote_name,
                "url": configured,
                "head": head,
                "branch": current,
            }
        )
    elif info is None:
        click.echo(
            f"Cloned {configured} into {where}: an empty repository (branch {current}); "
            "the first commit creates the branch, `gitworktree push` publishes it."
        )
    else:
        click.echo(
            f"Cloned {configured} into {where}: branch {current} at {style_sha(info.sha)} "
            f"{subject(info.message)}"
        )


# --- remote add / list / remove ---------------------------------------------------------


@click.group(
    cls=HabitGroup,
    habits={
        "rm": "Remove one with `gitworktree remote remove NAME`.",
        "ls": "List them with `gitworktree remote list`.",
    },
    short_help="Add, list and remove remotes.",
)
def remote() -> None:
    """Add, list and remove remotes: the Git hosts this repository shares with.

    Remotes are kept in .git/config exactly as git keeps them, so `git remote -v` lists
    the same ones, and `git fetch` can use them.

    \b
    Examples:
      gitworktree remote add origin https://git.example.com/team/state.git
      gitworktree remote list --json
      gitworktree remote remove origin
    """


@remote.command("add", short_help="Add a remote.")
@click.argument("name")
@click.argument("url")
@repo_option
@click.pass_context
def add_remote(ctx: click.Context, name: str, url: str) -> None:
    """Add the remote NAME at URL (a relative local path is stored made absolute).

    \b
    Examples:
      gitworktree remote add origin https://git.example.com/team/state.git
      gitworktree remote add share /mnt/share/state.git
    """
    from gitworktree import InvalidNameError

    repository = open_repository(ctx)
    location = _location(ctx, url)
    try:
        repository.add_remote(name, location)
    except InvalidNameError as error:
        raise RefusedError(f"{error}; use a name like 'origin'") from error
    click.echo(f"Added remote {name}: {redact_url(location)}")


@remote.command("list", short_help="List the remotes (passwords as ***).")
@repo_option
@json_option
@click.pass_context
def list_remotes(ctx: click.Context, as_json: bool) -> None:
    """List the remotes and their URLs, sorted by name (passwords shown as ***).

    \b
    Examples:
      gitworktree remote list
      gitworktree remote list --json
    """
    found = open_repository(ctx).remotes()
    if as_json:
        echo_json([{"name": name, "url": redact_url(url)} for name, url in found.items()])
        return
    if not found:
        click.echo("No remotes. Add one with `gitworktree remote add NAME URL`.")
        return
    width = max(len(name) for name in found)
    for name, url in found.items():
        click.echo(f"{name:<{width}}  {redact_url(url)}")


@remote.command("remove", short_help="Remove a remote and its remote-tracking branches.")
@click.argument("name")
@repo_option
@click.pass_context
def remove_remote(ctx: click.Context, name: str) -> None:
    """Remove the remote NAME and its remote-tracking branches (NAME/*).

    Local branches and checkpoints stay; so does everything on the host.

    \b
    Example:
      gitworktree remote remove origin
    """
    repository = open_repository(ctx)
    configured = repository.remotes()
    if name not in configured:
        known = ", ".join(configured) or "none"
        raise RefusedError(
            f"no remote named {name!r} (configured: {known}); list them with "
            "`gitworktree remote list`"
        )
    repository.remove_remote(name)
    click.echo(f"Removed remote {name} (was {redact_url(configured[name])}).")


# --- fetch ------------------------------------------------------------------------------


@click.command(short_help="Download a remote's branches and checkpoints.")
@click.argument("remote_name", metavar="[REMOTE]", default="origin", required=False)
@repo_option
@json_option
@click.pass_context
def fetch(ctx: click.Context, remote_name: str, as_json: bool) -> None:
    """Download the branches and checkpoints of REMOTE (default: origin); merge nothing.

    Branches become REMOTE/BRANCH (refs/remotes/REMOTE/*); the host's checkpoints become
    REMOTE/checkpoints/NAME (refs/remotes/REMOTE/checkpoints/*; list them with
    `gitworktree checkpoint list --remotes`), never local checkpoints. The working tree,
    your branch and your checkpoints do not move. `gitworktree diff HEAD origin/main`
    shows what arrived; `gitworktree pull` merges it.

    \b
    Examples:
      gitworktree fetch
      gitworktree fetch share --json
    """
    repository = open_repository(ctx)
    by_location = remote_name not in repository.remotes()
    target = remote_argument(ctx, repository, remote_name)
    with progress_reporter() as progress:
        result = repository.fetch(target, progress=progress)
    if as_json:
        echo_json(fetch_json(result))
        return
    _echo_fetch(result, by_location)


def _echo_fetch(result: FetchResult, by_location: bool) -> None:
    if result.updated:
        click.echo(f"Fetched from {result.remote} ({result.url}):")
        for ref, sha in result.updated.items():
            click.echo(f"  {ref_label(ref)} -> {style_sha(sha)}")
    elif not result.heads:
        click.echo(f"Fetched from {result.remote} ({result.url}): it has no branches yet.")
    elif by_location:
        branches = ", ".join(
            f"{quote_text(name)} at {short(sha)}" for name, sha in result.heads.items()
        )
        click.echo(
            f"Fetched from {result.url}: {branches}. Fetched by URL or path, no remote-tracking "
            "branches are kept; add it with `gitworktree remote add NAME URL` to keep them."
        )
    else:
        click.echo(f"Fetched from {result.remote} ({result.url}): nothing new.")
    if result.kept:
        click.echo(
            f"note: {result.remote} has checkpoints named like local ones, at other commits: "
            f"{', '.join(quote_text(name) for name in result.kept)}; yours are unchanged, "
            f"theirs are {result.remote}/checkpoints/NAME",
            err=True,
        )


# --- push -------------------------------------------------------------------------------


def _refuse_push(error: ConflictError, remote_name: str) -> NoReturn:
    if error.ref is None or not error.ref.startswith("refs/heads/"):
        raise RefusedError(str(error)) from error  # checkpoints elsewhere there
    pull_command = "gitworktree pull" + ("" if remote_name == "origin" else f" {remote_name}")
    raise RefusedError(
        f"push to {remote_name} rejected, nothing was pushed: "
        f"{error.ref.removeprefix('refs/heads/')} there has commits that are not in yours "
        f"(not a fast-forward); run `{pull_command} --tree MODULE:CLASS` to merge them "
        "through the gate, then push again"
    ) from error


@click.command(short_help="Publish committed history to a remote (fast-forward only).")
@click.argument("remote_name", metavar="[REMOTE]", default="origin", required=False)
@click.option("--branch", metavar="B", help="The local branch to push (default: the current).")
@click.option("--checkpoints", is_flag=True, help="Also push every checkpoint.")
@click.option("--force", is_flag=True, help="Overwrite the remote branch even if commits are lost.")
@repo_option
@json_option
@click.pass_context
def push(
    ctx: click.Context,
    remote_name: str,
    branch: str | None,
    checkpoints: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Push the branch to the branch of the same name on REMOTE (default: origin).

    Only committed history is sent (commit working-tree edits with `gitworktree commit`
    first). The host's branch moves only as a fast-forward: if it has commits yours lacks,
    nothing is sent and the exit status is 1 -- pull, then push again. --force overwrites
    it instead. With --checkpoints every checkpoint (refs/checkpoints/*) goes too; one of
    the same name at another commit on the host is refused, not overwritten.

    \b
    Examples:
      gitworktree push
      gitworktree push origin --checkpoints --json
    """
    from gitworktree import ConflictError

    repository = open_repository(ctx)
    if branch is None and repository.head is None:
        raise RefusedError(
            f"nothing to push: {repository.branch} has no commit yet; commit first "
            "(`gitworktree commit -m MSG --tree MODULE:CLASS`)"
        )
    target = remote_argument(ctx, repository, remote_name)
    try:
        with progress_reporter() as progress:
            result = repository.push(
                target, branch=branch, checkpoints=checkpoints, force=force, progress=progress
            )
    except ConflictError as error:
        _refuse_push(error, remote_name)
    if as_json:
        echo_json(push_json(result))
        return
    if not result.updated:
        click.echo(f"Everything up to date on {result.remote} ({result.url}); nothing was sent.")
        return
    click.echo(f"Pushed to {result.remote} ({result.url}):")
    for ref, sha in result.updated.items():
        click.echo(f"  {ref_label(ref)} -> {style_sha(sha)}")
