"""Reading a repository: ``init``, ``status``, ``log`` and ``show``."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gitworktree.cli.context import (
    HabitCommand,
    json_option,
    open_repository,
    refuse_path_as_revision,
    repo_option,
    repo_paths,
    working_directory,
)
from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import (
    change_json,
    checkpoint_json,
    commit_json,
    echo_json,
    echo_patches,
    format_time,
    log_entry,
    quote_name,
    quote_text,
    shell_word,
    short,
    stat_lines,
    style_sha,
    subject,
    terminal_width,
)

if TYPE_CHECKING:
    from gitworktree import CommitInfo, FileChange, Repository

__all__ = ["checkpoint_names", "decorations", "init", "log", "log_lines", "show", "status"]


# --- init -------------------------------------------------------------------------------


@click.command(short_help="Create an empty repository.")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--branch", default="main", show_default=True, help="The branch HEAD points at.")
@repo_option
@click.pass_context
def init(ctx: click.Context, path: Path | None, branch: str) -> None:
    """Create an empty repository in PATH (default: the current directory).

    Nothing is committed: the first `mount()` of a tree, or the first `commit`, makes the
    first commit. Running it on an existing repository changes nothing.

    \b
    Examples:
      gitworktree init agent-state
      gitworktree init                      # here
    """
    from gitworktree import Repository

    root = working_directory(ctx) / path if path is not None else working_directory(ctx)
    git_dir = root / ".git"
    # An empty `.git` directory is no repository: init fills it, as `git init` does.
    try:
        existed = git_dir.exists() and not (
            git_dir.is_dir() and not git_dir.is_symlink() and not any(git_dir.iterdir())
        )
    except OSError:  # unreadable: Repository.init below says what is wrong
        existed = True
    with Repository.init(root, branch=branch):
        pass
    where = root.resolve()
    if existed:
        click.echo(f"Repository already exists in {where}; nothing changed.")
    else:
        click.echo(f"Initialized an empty gitworktree repository in {where} (branch {branch}).")
        _warn_if_tracked_by_parent(where)


def _warn_if_tracked_by_parent(root: Path) -> None:
    """Say so when a repository above ``root`` tracks files in it, as a mount warns.

    Run inside a directory the project's own repository tracks (a newcomer "initializing"
    the repository they are in), ``init`` made a second repository over those files.
    """
    from gitworktree.history._worktree.shapes import enclosing_work_tree, tracked_below

    parent = enclosing_work_tree(root)
    tracked = None if parent is None else tracked_below(parent, root)
    if parent is None or tracked is None:
        return
    click.echo(
        f"WARNING: {root} is inside the repository at {parent}, which tracks files in it "
        f"({tracked}): they are now in two repositories, and commits here do not reach "
        "that one. To use that repository instead, remove the new one (`rm -rf "
        f"{shell_word(str(root / '.git'))}`) and run gitworktree there (`gitworktree -C "
        f"{shell_word(str(parent))} status`)",
        err=True,
    )


# --- status -----------------------------------------------------------------------------


def checkpoint_names(repository: Repository) -> dict[str, list[str]]:
    """Commit id -> the names of the checkpoints pointing at it."""
    names: dict[str, list[str]] = defaultdict(list)
    for checkpoint in repository.checkpoints():
        names[checkpoint.sha].append(checkpoint.name)
    return dict(names)


def _branch(repository: Repository) -> str | None:
    from gitworktree import RepositoryError

    try:
        return repository.branch
    except RepositoryError:
        return None  # a detached HEAD


@click.command(
    cls=HabitCommand,
    habits={
        option: "For a form to read in scripts, use --json (docs/cli.md has its shape)."
        for option in ("-s", "--short", "--porcelain")
    },
    short_help="Branch, HEAD, checkpoints and uncommitted changes.",
)
@repo_option
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the branch, HEAD, checkpoints, and working-tree files that differ from HEAD.

    Files not committed yet count as added (unless ignored). A git merge, rebase,
    cherry-pick or revert left unfinished is named, and its conflicted files are listed
    as unmerged.

    \b
    Examples:
      gitworktree status
      gitworktree -C agent-state status --json
    """
    repository = open_repository(ctx)
    branch, head = _branch(repository), repository.head
    checkpoints = [(cp, repository.commit_info(cp.ref)) for cp in repository.checkpoints()]
    changes = repository.status()
    operation = repository.operation_in_progress()
    if as_json:
        echo_json(
            {
                "root": str(repository.path.resolve()),
                "branch": branch,
                "head": head,
                "checkpoints": [checkpoint_json(cp, info) for cp, info in checkpoints],
                "operation": operation,
                "changes": [{"path": c.path, "status": c.status} for c in changes],
                "clean": not changes,
            }
        )
        return
    click.echo(f"On branch {quote_text(branch)}" if branch else "HEAD is detached")
    if head is None:
        click.echo("No commits yet.")
    else:
        info = repository.commit_info(head)
        click.echo(f"HEAD {style_sha(head)} {subject(info.message)} ({format_time(info.time)})")
    if checkpoints:
        listed = ", ".join(f"{quote_text(cp.name)} ({short(cp.sha)})" for cp, _ in checkpoints)
        click.echo(f"Checkpoints: {listed}")
    if operation is not None:
        click.echo(
            click.style(f"A git {operation} is in progress", fg="red")
            + f": nothing commits until it is finished (`git {operation} --continue`) or "
            f"aborted (`git {operation} --abort`)."
        )
    if not changes:
        click.echo("Working tree clean.")
        return
    click.echo("Changes in the working tree, not committed:")
    colours = {"added": "green", "modified": "yellow", "deleted": "red", "unmerged": "magenta"}
    for change in changes:
        label = click.style(f"{change.status + ':':<10}", fg=colours.get(change.status))
        click.echo(f"  {label}{quote_name(change.path)}")


# --- log --------------------------------------------------------------------------------


def decorations(
    info: CommitInfo, head: str | None, branch: str | None, checkpoints: dict[str, list[str]]
) -> list[str]:
    """The refs shown next to a commit: ``HEAD -> main``, ``checkpoint: name``."""
    found = []
    if info.sha == head:
        found.append(f"HEAD -> {branch}" if branch else "HEAD")
    found += [f"checkpoint: {name}" for name in checkpoints.get(info.sha, [])]
    return found


def _log(
    repository: Repository, paths: list[str] | None, limit: int | None, rev: str = "HEAD"
) -> list[CommitInfo]:
    if paths is None or len(paths) == 1:
        return repository.log(None if paths is None else paths[0], limit=limit, rev=rev)
    # Several paths: the library filters by one path, so walk everything and keep the
    # commits that changed any of them against their first parent.
    kept = [
        info
        for info in repository.log(rev=rev)
        if any(p == path or p.startswith(path + "/") for p in info.paths for path in paths)
    ]
    return kept if limit is None else kept[:limit]


def log_lines(repository: Repository, commits: list[CommitInfo], *, oneline: bool) -> list[str]:
    """The human output of ``log`` for ``commits`` (used by ``demo`` too)."""
    head, branch = repository.head, _branch(repository)
    checkpoints = checkpoint_names(repository)
    lines: list[str] = []
    for info in commits:
        entry = log_entry(
            info,
            decorations=decorations(info, head, branch, checkpoints),
            checkpoints=checkpoints,
            oneline=oneline,
        )
        if lines and not oneline:
            lines.append("")
        lines += entry
    return lines


class _LogCommand(click.Command):
    """``log``, which also takes git's ``-NUM`` for ``-n NUM`` (``log -3``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        cut = args.index("--") if "--" in args else len(args)
        spelled: list[str] = []
        for arg in args[:cut]:
            # `-3` is `-n 3`, but not where it is the value of -n itself (`-n -1`).
            value_of_n = bool(spelled) and spelled[-1] in ("-n", "--max-count")
            if re.fullmatch(r"-[0-9]+", arg) and not value_of_n:
                spelled += ["-n", arg[1:]]
            else:
                spelled.append(arg)
        return super().parse_args(ctx, spelled + args[cut:])


def _patterns(option: str, patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    try:
        return [re.compile(pattern) for pattern in patterns]
    except re.error as error:
        raise click.BadParameter(
            f"{error.pattern!r} is not a regular expression: {error}", param_hint=option
        ) from None


def _matches(info: CommitInfo, grep: list[re.Pattern[str]], author: list[re.Pattern[str]]) -> bool:
    """As git: a commit matches if any --grep pattern and any --author pattern match."""
    trailers = "".join(f"\n{key}: {value}" for key, value in info.trailers.items())
    message = info.message + trailers
    return (not grep or any(pattern.search(message) for pattern in grep)) and (
        not author or any(pattern.search(info.author) for pattern in author)
    )


@click.command(
    cls=_LogCommand, short_help="Commits, newest first: author, files, repairs, restores."
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "-n",
    "--max-count",
    "limit",
    type=click.IntRange(min=0),
    help="Show at most N commits (also -N, as in git: -3).",
)
@click.option("--oneline", is_flag=True, help="One line per commit.")
@click.option("-p", "--patch", is_flag=True, help="Each commit's patch (against its first parent).")
@click.option("--stat", is_flag=True, help="Each commit's changed lines per file.")
@click.option(
    "--grep",
    multiple=True,
    metavar="REGEX",
    help="Only commits whose message matches (repeatable).",
)
@click.option(
    "--author",
    multiple=True,
    metavar="REGEX",
    help="Only commits whose author matches (repeatable).",
)
@click.option(
    "--ref",
    metavar="REV",
    help="Start from REV instead of HEAD (e.g. refs/langgraph/<thread>/root).",
)
@click.option(
    "--thread",
    metavar="ID",
    help="The checkpoints of the LangGraph thread ID (saved by GitSaver), newest first.",
)
@click.option(
    "--namespace",
    metavar="NS",
    default="",
    show_default="the root namespace",
    help="With --thread: the checkpoint namespace (a subgraph's).",
)
@repo_option
@json_option
@click.pass_context
def log(
    ctx: click.Context,
    paths: tuple[str, ...],
    limit: int | None,
    oneline: bool,
    patch: bool,
    stat: bool,
    grep: tuple[str, ...],
    author: tuple[str, ...],
    ref: str | None,
    thread: str | None,
    namespace: str,
    as_json: bool,
) -> None:
    """Show the commits, newest first; with PATHs, only those that changed them.

    Each commit shows its author, time, changed files, and the repairs and restores
    recorded in its trailers. PATHs are relative to the current directory; a directory
    stands for everything under it. --grep and --author take Python regular expressions,
    searched in the message (trailers included) and in "Name <email>"; -n counts the
    commits that match. With --thread, the commits are a LangGraph thread's checkpoints
    and pending writes (see docs/langgraph.md); PATHs such as channels/NAME then pick the
    steps that changed a channel.

    \b
    Examples:
      gitworktree log -3
      gitworktree log tasks/ notes.json --oneline
      gitworktree log -p -1                 # the last commit with its patch
      gitworktree log --stat --author Planner --grep 'report'
      gitworktree log --json | jq '.[] | select(.trailers["Gitworktree-Repaired"])'
      gitworktree log --thread support-42 --oneline
    """
    if ref is not None and thread is not None:
        raise click.UsageError("give --ref or --thread, not both")
    if limit is not None:
        limit = min(limit, sys.maxsize)  # `-n 99999999999999999999` means "all", as in git
    repository = open_repository(ctx)
    rev = "HEAD" if ref is None else ref
    if thread is not None:
        from gitworktree import UnknownRevisionError
        from gitworktree.langgraph._layout import namespace_ref

        rev = namespace_ref(thread, namespace)
        try:
            repository.resolve(rev)
        except UnknownRevisionError:
            raise RefusedError(
                f"no checkpoints of thread {quote_text(thread)}"
                + (f" in namespace {quote_text(namespace)}" if namespace else "")
                + f" in this repository (no ref {rev}); list the threads with "
                "`git for-each-ref refs/langgraph/`"
            ) from None
    wanted = _patterns("--grep", grep), _patterns("--author", author)
    filtered = bool(grep or author)
    commits = _log(
        repository, repo_paths(ctx, repository.path, paths), None if filtered else limit, rev
    )
    if filtered:
        commits = [info for info in commits if _matches(info, *wanted)][:limit]
    if as_json:
        echo_json([_commit_document(repository, info, patch or stat) for info in commits])
        return
    if not commits:
        click.echo("No commits yet." if repository.head is None else "No matching commits.")
        return
    if not (patch or stat):
        click.echo("\n".join(log_lines(repository, commits, oneline=oneline)))
        return
    for index, info in enumerate(commits):
        if index and not oneline:
            click.echo("")
        click.echo("\n".join(log_lines(repository, [info], oneline=oneline)))
        _echo_changes(repository, info, patch=patch, stat=stat, spaced=not oneline)


def _parent_changes(repository: Repository, info: CommitInfo) -> list[FileChange]:
    # Name the parent through the commit ("<sha>^1"), not by its id: a parent that is
    # missing is then reported as damage, not as an id the user mistyped.
    return repository.diff(f"{info.sha}^1" if info.parents else None, info.sha)


def _commit_document(repository: Repository, info: CommitInfo, changes: bool) -> dict[str, Any]:
    document = commit_json(info)
    if changes:
        document["changes"] = [change_json(c) for c in _parent_changes(repository, info)]
    return document


def _echo_changes(
    repository: Repository, info: CommitInfo, *, patch: bool, stat: bool, spaced: bool
) -> None:
    """A commit's --stat summary and/or patch, against its first parent (as git: a blank
    line before each, except after a --oneline line)."""
    changes = _parent_changes(repository, info)
    if not changes:
        return
    if stat:
        if spaced:
            click.echo("")
        click.echo("\n".join(stat_lines(changes, terminal_width())))
    if patch:
        if spaced or stat:
            click.echo("")
        echo_patches(changes)


# --- show -------------------------------------------------------------------------------


def _file_changes(repository: Repository, info: CommitInfo) -> list[dict[str, str]]:
    """The files a commit changed against its first parent, with their status."""
    if not info.parents:
        return [{"path": path, "status": "added"} for path in info.paths]
    changed = repository.name_status(info.parents[0], info.sha)
    return [{"path": path, "status": status} for path, status in changed.items()]


def _show_file(repository: Repository, rev: str, path: str, as_json: bool) -> None:
    from gitworktree import NodeKindError

    sha = repository.resolve(rev)  # an unknown revision is blamed before the path
    try:
        data = repository.read_file(sha, path)
    except NodeKindError:
        raise RefusedError(
            f"{path} is a directory at {rev}; give a file in it (see `gitworktree show {rev}` "
            "for the files a commit changed)"
        ) from None
    if data is None:
        raise RefusedError(
            f"no file {quote_name(path)} at {rev} ({short(sha)}); paths are relative to the "
            f"current directory, or to the repository root in {rev}:PATH (see "
            f"`gitworktree log {quote_name(path)}` for the commits that changed it)"
        )
    if not as_json:
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    document: dict[str, Any] = {"rev": rev, "sha": sha, "path": path}
    try:
        document.update(encoding="utf-8", content=data.decode("utf-8"))
    except UnicodeDecodeError:
        import base64

        document.update(encoding="base64", content=base64.b64encode(data).decode("ascii"))
    echo_json(document)


def _split_revision(rev: str) -> tuple[str, str | None]:
    """``REV:path`` as git spells a file at a revision (the path from the root); ``:path``: HEAD.

    A ref or checkpoint name never holds ``:``, so the first one always separates them.
    """
    if ":" not in rev:
        return rev, None
    name, _, path = rev.partition(":")
    return name or "HEAD", path


@click.command(short_help="A commit, or a file as it was at a revision.")
@click.argument("rev", default="HEAD")
@click.argument("path", required=False)
@click.option(
    "-p", "--patch", is_flag=True, help="Also the commit's patch (and changed JSON values)."
)
@click.option("--stat", is_flag=True, help="A summary of changed lines per file.")
@repo_option
@json_option
@click.pass_context
def show(
    ctx: click.Context, rev: str, path: str | None, patch: bool, stat: bool, as_json: bool
) -> None:
    """Show the commit REV (message, trailers, changed files), or the file PATH at REV.

    REV is a commit id (full or abbreviated), HEAD~N, a branch, or a checkpoint name; it
    defaults to HEAD. A file is `REV PATH` (PATH relative to the current directory) or,
    as in git, `REV:PATH` (PATH from the repository root). With --patch, the changes
    follow, against the first parent (everything as added for the first commit); with
    --stat, a summary of changed lines per file. File content is written as it is
    stored, byte for byte.

    \b
    Examples:
      gitworktree show                      # HEAD
      gitworktree show HEAD -p              # with the patch (a merge: against its first parent)
      gitworktree show --stat
      gitworktree show before-refactor notes.json
      gitworktree show HEAD~1:plan.json
      gitworktree show HEAD~2 --json
    """
    repository = open_repository(ctx)
    if path is None:

        def instead(quoted: str) -> str:
            if rev.startswith("-"):  # given after --: as printed it would be an option
                quoted = f"-- {quoted}"
            log = f"the commits that changed it: `gitworktree log {quoted}`"
            if (working_directory(ctx) / rev).is_dir():
                return log
            return f"to show it as HEAD has it: `gitworktree show HEAD {quoted}`; {log}"

        refuse_path_as_revision(ctx, repository, rev, instead)
    rev, rooted = _split_revision(rev)
    if rooted is not None or path is not None:
        if patch or stat:
            raise click.UsageError("--patch and --stat show a commit; leave out PATH")
        if rooted is not None and path is not None:
            raise click.UsageError(f"give the file once: `{rev}:{rooted}` or `{rev} {path}`")
        if rooted is not None:
            _show_file(repository, rev, rooted, as_json)
            return
        paths = repo_paths(ctx, repository.path, [path or ""])
        if paths is None:
            raise click.BadParameter("give a file, not the repository root", param_hint="PATH")
        _show_file(repository, rev, paths[0], as_json)
        return
    info = repository.commit_info(rev)
    if patch or stat:
        changes = _parent_changes(repository, info)
        if as_json:
            echo_json({**commit_json(info), "changes": [change_json(c) for c in changes]})
            return
        _show_commit(info, [] if stat else [{"path": c.path, "status": c.status} for c in changes])
        if stat and changes:
            click.echo("\n".join(stat_lines(changes, terminal_width())))
        if patch and changes:
            click.echo("")
            echo_patches(changes)
        return
    listed = _file_changes(repository, info)
    if as_json:
        echo_json({**commit_json(info), "changes": listed})
        return
    _show_commit(info, listed)


def _show_commit(info: CommitInfo, changes: list[dict[str, str]]) -> None:
    click.echo(f"commit {click.style(info.sha, fg='yellow')}")
    if len(info.parents) > 1:
        click.echo(f"Merge:  {' '.join(short(parent) for parent in info.parents)}")
    click.echo(f"Author: {quote_text(info.author)}")
    click.echo(f"Date:   {format_time(info.time)}")
    click.echo("")
    for line in info.message.split("\n"):
        click.echo(f"    {quote_text(line)}".rstrip())
    if info.trailers:
        click.echo("")
        for key, value in info.trailers.items():
            click.echo(f"    {quote_text(key)}: {quote_text(value)}")
    click.echo("")
    colours = {"added": "green", "modified": "yellow", "deleted": "red"}
    for change in changes:
        label = click.style(f"{change['status']:<9}", fg=colours.get(change["status"]))
        click.echo(f"  {label} {quote_name(change['path'])}")
