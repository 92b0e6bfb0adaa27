"""``gitworktree pull``: fetch a remote's branch and merge it, artifact by artifact.

With ``--tree``, the merge goes through `gitworktree.pull`, which runs the commit gate on
every file the merge brings in; without it, `Repository.pull` merges unvalidated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from gitworktree.cli.context import json_option, open_repository, repo_option
from gitworktree.cli.declaration import load_repair, load_tree_class
from gitworktree.cli.errors import RefusedError, from_exception, issue_lines
from gitworktree.cli.output import (
    REPAIRED,
    commit_json,
    conflict_json,
    conflict_line,
    echo_json,
    quote_name,
    quote_text,
    short,
    style_sha,
    subject,
)
from gitworktree.cli.remotes import progress_reporter, remote_argument

if TYPE_CHECKING:
    from gitworktree import CommitInfo, CommitRejectedError, ConflictError, Repository

__all__ = ["pull", "sync"]

F = TypeVar("F", bound=Callable[..., Any])


# --- pull -------------------------------------------------------------------------------


def _refuse_conflicts(error: ConflictError, remote_name: str, as_json: bool) -> NoReturn:
    """Report a refused pull: the conflicts on stdout (as data with --json), then exit 1."""
    from gitworktree import ForeignEditsError, OperationInProgressError

    if isinstance(error, OperationInProgressError | ForeignEditsError):
        raise from_exception(error) from error  # in the CLI's words
    if not error.conflicts:
        if not error.paths:
            raise RefusedError(str(error)) from error  # the branch moved: the library's advice
        raise RefusedError(
            f"uncommitted changes in {', '.join(error.paths)} would be overwritten or lost; "
            "commit them first (`gitworktree commit -m MSG --tree MODULE:CLASS`) or throw "
            "them away (`gitworktree restore --discard`), then pull again. Nothing was changed"
        ) from error
    if as_json:
        echo_json({"conflicts": [conflict_json(conflict) for conflict in error.conflicts]})
    else:
        for conflict in error.conflicts:
            click.echo(conflict_line(conflict))
    if error.reason == "criss-cross":
        raise RefusedError(
            f"pull from {remote_name} stopped, nothing was changed: the histories criss-cross "
            "and their merge bases disagree, so --prefer cannot choose a side either. Restore "
            f"the remote's tree (`gitworktree restore {remote_name}/<branch>`), commit your "
            "changes again on top, and pull again"
        ) from error
    raise RefusedError(
        f"pull from {remote_name} stopped, nothing was changed: {len(error.conflicts)} "
        "conflict(s) where both sides changed the same thing differently; pull again with "
        "--prefer ours or --prefer theirs to keep one side at every conflict, or change yours "
        "to agree with theirs, commit, and pull again"
    ) from error


def _refuse_invalid(error: CommitRejectedError) -> NoReturn:
    names = ", ".join(sorted(error.failures))
    raise RefusedError(
        f"pull refused, nothing was changed: the merged content of {len(error.failures)} "
        f"artifact(s) is invalid ({names}); pull with --repair MODULE:FUNC, or agree with "
        f"the other side on valid values and pull again{issue_lines(error.issues)}"
    ) from error


def _all_files(repository: Repository, rev: str, directory: str = "") -> list[str]:
    found = []
    for item in repository.list_tree(rev, directory):
        path = f"{directory}/{item.name}" if directory else item.name
        found += _all_files(repository, rev, path) if item.kind == "dir" else [path]
    return found


def _changes(repository: Repository, before: str | None, after: str) -> list[dict[str, str]]:
    """The files the pull changed: against the old HEAD, or all of them on a new branch."""
    if before is None:
        return [{"path": path, "status": "added"} for path in sorted(_all_files(repository, after))]
    return [{"path": c.path, "status": c.status} for c in repository.diff(before, after)]


def _pull_tree(
    ctx: click.Context,
    repository: Repository,
    tree_spec: str,
    repair_spec: str | None,
    target: str,
    options: dict[str, Any],
) -> tuple[Repository, str | None, CommitInfo | None, CommitInfo | None]:
    """Pull through the gate of the mounted tree.

    Returns:
        The tree's repository, HEAD before the pull, the ``Initialize`` commit mounting
        made (if any), and what the branch points at now (``None``: nothing new).
    """
    from gitworktree import mount, pull

    tree_cls = load_tree_class(tree_spec)
    repair = None if repair_spec is None else load_repair(repair_spec)
    started = repository.head
    tree = mount(tree_cls, repository.path, repair=repair, author=options.get("author"))
    mounted = tree.repo
    ctx.call_on_close(mounted.close)
    before = mounted.head
    # Declared artifacts that exist nowhere are created and committed by the mount
    # itself: report that commit rather than hide it.
    initialized = None if before in (started, None) else mounted.commit_info(before)
    return mounted, before, initialized, pull(tree, target, **options)


def fast_forwarded(
    repository: Repository, target: str, branches: list[str], before: str | None, info: CommitInfo
) -> bool:
    """Whether a pull moved the branch onto their commit (or onto a repair of it) rather
    than making a merge commit.

    Decided by what happened, not by the parent count: their commit may itself be a merge.
    A merge commit a pull makes is new, has the branch's previous tip as first parent,
    and is never a commit the remote has; a fast-forward lands on the tip just fetched
    (``refs/remotes/<target>/<branch>``, for a configured remote).
    """
    from gitworktree import GitWorktreeError

    if len(info.parents) < 2 or before is None or info.parents[0] != before:
        return True
    for name in dict.fromkeys(branches):
        try:
            if repository.resolve(f"refs/remotes/{target}/{name}") == info.sha:
                return True
        except GitWorktreeError:
            continue  # no such remote-tracking branch (a remote given by URL has none)
    return False


def _pull_json(
    repository: Repository,
    before: str | None,
    info: CommitInfo | None,
    initialized: CommitInfo | None,
    validated: bool,
    fast_forward: bool,
) -> dict[str, Any]:
    if info is None:
        result, changes = "up-to-date", []
        head = None if before is None else commit_json(repository.commit_info(before))
    else:
        result = "fast-forward" if fast_forward else "merge"
        changes, head = _changes(repository, before, info.sha), commit_json(info)
    return {
        "result": result,
        "before": before,
        "commit": head,
        "changes": changes,
        "validated": validated,
        "initialized": None if initialized is None else commit_json(initialized),
    }


def _echo_pull(document: dict[str, Any], remote_name: str, info: CommitInfo | None) -> None:
    if info is None:
        click.echo(f"Already up to date with {remote_name}: nothing to bring in.")
        return
    if document["result"] == "merge":
        click.echo(f"Merged: {style_sha(info.sha)} {subject(info.message)}")
    else:
        before = document["before"]
        moved = f"{short(before)}..{style_sha(info.sha)}" if before else f"to {style_sha(info.sha)}"
        click.echo(f"Fast-forward {moved} {subject(info.message)}")
    files = ", ".join(quote_name(change["path"]) for change in document["changes"]) or "none"
    click.echo(f"  files: {files}")
    if REPAIRED in info.trailers:
        repaired = quote_text(info.trailers[REPAIRED])
        click.echo(click.style(f"  repaired: {repaired}", fg="magenta"))


def merge_options(command: F) -> F:
    """``--prefer``, ``--tree`` and ``--repair``: how pull and sync merge and gate."""
    command = click.option(
        "--repair",
        "repair_spec",
        metavar="MODULE:FUNC",
        help="With --tree: a repair hook (content, issues, document_type) -> str.",
    )(command)
    command = click.option(
        "--tree",
        "tree_spec",
        metavar="MODULE:CLASS",
        help="Validate (and repair) the merged content with this tree declaration.",
    )(command)
    return click.option(
        "--prefer",
        type=click.Choice(["ours", "theirs"]),
        help="Resolve every conflict by keeping that side's value.",
    )(command)


@click.command(short_help="Fetch and merge a remote's branch, artifact by artifact.")
@click.argument("remote_name", metavar="[REMOTE]", default="origin", required=False)
@click.option(
    "--branch",
    metavar="B",
    help="The remote branch (default: the tracked one, else your branch's name, else the "
    "one the remote's HEAD names).",
)
@merge_options
@click.option("-m", "--message", help="The merge commit's message.")
@click.option(
    "--author",
    metavar='"NAME <EMAIL>"',
    help="The merge commit's author (the agent); also of the commit mounting may make.",
)
@repo_option
@json_option
@click.pass_context
def pull(
    ctx: click.Context,
    remote_name: str,
    branch: str | None,
    prefer: str | None,
    tree_spec: str | None,
    repair_spec: str | None,
    message: str | None,
    author: str | None,
    as_json: bool,
) -> None:
    """Fetch REMOTE (default: origin) and bring its branch into yours.

    A fast-forward when only they moved; otherwise a merge commit, merged artifact by
    artifact and, inside JSON documents, field by field (JSON Pointer).

    With --tree the merged content passes the same gate as `commit`: every artifact it
    brings in is validated (and repaired with --repair); if any stays invalid, nothing
    changes (exit 1). Without --tree nothing is validated: files are merged as data
    only.

    On conflict nothing changes (branch, working tree, index) and the exit status is 1;
    each conflict is printed as `path pointer: base=... ours=... theirs=...`, or with
    --json as {"conflicts": [...]} on stdout. Their commits stay fetched (origin/BRANCH).

    A tree git would refuse to check out (an entry `..`, `.git`, an absolute path, a
    symbolic link out of its directory) is refused the same way: exit 1, nothing changed.

    \b
    Examples:
      gitworktree pull --tree myagent.state:AgentState
      gitworktree pull origin --branch writer --prefer theirs --json
    """
    from gitworktree import CommitRejectedError, ConflictError

    if repair_spec is not None and tree_spec is None:
        raise click.UsageError("--repair needs --tree MODULE:CLASS (the gate it repairs for)")
    repository = open_repository(ctx)
    target = remote_argument(ctx, repository, remote_name)
    options: dict[str, Any] = {
        "branch": branch,
        "prefer": prefer,
        "message": message,
        "author": author,
    }
    initialized = None
    try:
        with progress_reporter() as progress:
            options["progress"] = progress
            if tree_spec is None:
                before = repository.head
                info = repository.pull(target, **options)
            else:
                repository, before, initialized, info = _pull_tree(
                    ctx, repository, tree_spec, repair_spec, target, options
                )
    except ConflictError as error:
        _refuse_conflicts(error, remote_name, as_json)
    except CommitRejectedError as error:
        _refuse_invalid(error)
    branches = [branch] if branch else _branch_names(repository)
    fast_forward = info is not None and fast_forwarded(repository, target, branches, before, info)
    document = _pull_json(
        repository, before, info, initialized, tree_spec is not None, fast_forward
    )
    if as_json:
        echo_json(document)
        return
    if initialized is not None:
        click.echo(
            f"note: mounting created missing artifacts from defaults first, as "
            f"{initialized.short_sha} {subject(initialized.message)!r}",
            err=True,
        )
    _echo_pull(document, remote_name, info)


def _branch_names(repository: Repository) -> list[str]:
    """The checked-out branch's name, the remote branch a pull takes by default."""
    from gitworktree import RepositoryError

    try:
        return [repository.branch]
    except RepositoryError:
        return []


# --- sync -------------------------------------------------------------------------------


@click.command(short_help="Pull, push, and retry fairly until your commits are on the host.")
@click.argument("remote_name", metavar="[REMOTE]", default="origin", required=False)
@merge_options
@click.option(
    "--attempts",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Pushes tried at most.",
)
@click.option("--author", metavar='"NAME <EMAIL>"', help="The merge commits' author (the agent).")
@repo_option
@json_option
@click.pass_context
def sync(
    ctx: click.Context,
    remote_name: str,
    prefer: str | None,
    tree_spec: str | None,
    repair_spec: str | None,
    attempts: int,
    author: str | None,
    as_json: bool,
) -> None:
    """Land your commits on REMOTE (default: origin): pull, push, retry when others won.

    What many agents sharing one branch run after each commit. It pulls (a fast-forward
    or a merge, exactly as `pull`, validated with --tree), then pushes; when another
    push landed in between, it waits a random, growing time and does both again, up to
    --attempts pushes. A conflict stops it at once (exit 1, printed as by `pull`); so
    does a host that kept moving for --attempts pushes (exit 1; your commits stay here:
    run it again later).

    \b
    Examples:
      gitworktree sync --tree myagent.state:AgentState --json
    """
    from gitworktree import CommitRejectedError, ConflictError, mount, sync_with

    if repair_spec is not None and tree_spec is None:
        raise click.UsageError("--repair needs --tree MODULE:CLASS (the gate it repairs for)")
    repository = open_repository(ctx)
    target = remote_argument(ctx, repository, remote_name)
    options: dict[str, Any] = {"prefer": prefer, "attempts": attempts, "author": author}
    before = repository.head
    try:
        with progress_reporter() as progress:
            options["progress"] = progress
            if tree_spec is None:
                result = repository.sync_with(target, **options)
            else:
                tree_cls = load_tree_class(tree_spec)
                repair = None if repair_spec is None else load_repair(repair_spec)
                tree = mount(tree_cls, repository.path, repair=repair, author=author)
                ctx.call_on_close(tree.repo.close)
                result = sync_with(tree, target, **options)
    except ConflictError as error:
        _refuse_conflicts(error, remote_name, as_json)
    except CommitRejectedError as error:
        _refuse_invalid(error)
    if as_json:
        echo_json(
            {
                "pushed": result.pushed,
                "merged": [commit_json(info) for info in result.merged],
                "attempts": result.attempts,
                "waited": round(result.waited, 3),
                "head": result.head,
                "validated": tree_spec is not None,
            }
        )
        return
    previous = before
    for info in result.merged:
        # Not by the remote-tracking branch: the push that followed moved it onto our
        # merge. A merge a sync makes is new, so it is pushed; landing on their commit
        # (a merge of theirs included) leaves nothing of ours to push.
        moved = (
            len(info.parents) < 2
            or previous is None
            or info.parents[0] != previous
            or not result.pushed
        )
        kind = "Fast-forward to" if moved else "Merged"
        click.echo(f"{kind}: {style_sha(info.sha)} {subject(info.message)}")
        previous = info.sha
    if result.pushed:
        tries = "" if result.attempts == 1 else f" (after {result.attempts} attempts)"
        click.echo(f"Pushed {style_sha(result.head)} to {remote_name}{tries}.")
    else:
        click.echo(f"{remote_name} already has {style_sha(result.head)}: nothing to push.")
