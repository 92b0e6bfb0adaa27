"""Checkpoints and restores: ``checkpoint create/list/delete`` and ``restore``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from gitworktree.cli.context import (
    HabitGroup,
    json_option,
    open_repository,
    refuse_path_as_revision,
    repo_option,
    repo_paths,
)
from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import (
    checkpoint_json,
    commit_json,
    echo_json,
    format_time,
    quote_name,
    quote_text,
    shell_word,
    short,
    style_sha,
    subject,
)

if TYPE_CHECKING:
    from gitworktree import CommitInfo, Repository

__all__ = ["checkpoint", "restore"]


@click.group(
    cls=HabitGroup,
    habits={
        "restore": "Restore a checkpoint with `gitworktree restore NAME`.",
        "ls": "List them with `gitworktree checkpoint list`.",
        "rm": "Delete one with `gitworktree checkpoint delete NAME`.",
        "remove": "Delete one with `gitworktree checkpoint delete NAME`.",
    },
    short_help="Create, list and delete checkpoints.",
)
def checkpoint() -> None:
    """Create, list and delete checkpoints (refs/checkpoints/NAME).

    A checkpoint names a commit so that you can restore it later; plain git sees it too
    (`git log checkpoints/NAME`).

    \b
    Examples:
      gitworktree checkpoint create before-refactor
      gitworktree checkpoint list --json
      gitworktree checkpoint delete before-refactor
    """


@checkpoint.command("create")
@click.argument("name", required=False)
@click.option("--rev", default="HEAD", show_default=True, help="The commit to checkpoint.")
@repo_option
@json_option
@click.pass_context
def create(ctx: click.Context, name: str | None, rev: str, as_json: bool) -> None:
    """Create the checkpoint NAME at REV (a generated name if NAME is omitted).

    NAME follows git's ref-name rules: no spaces, '..', '~^:?*[\\', leading '-'.

    \b
    Examples:
      gitworktree checkpoint create before-refactor
      gitworktree checkpoint create last-good --rev HEAD~2
    """
    repository = open_repository(ctx)
    made = repository.create_checkpoint(name, rev=rev)
    info = repository.commit_info(made.sha)
    if as_json:
        echo_json(checkpoint_json(made, info))
        return
    click.echo(
        f"Created checkpoint {click.style(quote_text(made.name), bold=True)} at "
        f"{style_sha(made.sha)} {subject(info.message)} ({quote_text(made.ref)})."
    )


@checkpoint.command("list")
@click.option(
    "--remotes",
    is_flag=True,
    help="List the checkpoints fetched from remotes (REMOTE/checkpoints/NAME) instead.",
)
@repo_option
@json_option
@click.pass_context
def list_checkpoints(ctx: click.Context, remotes: bool, as_json: bool) -> None:
    """List the checkpoints, sorted by name.

    With --remotes, list instead the checkpoints fetched from the remotes: they are kept
    as refs/remotes/REMOTE/checkpoints/NAME, never as local checkpoints, and are
    restored by that name (`gitworktree restore origin/checkpoints/NAME`).

    \b
    Examples:
      gitworktree checkpoint list
      gitworktree checkpoint list --json
      gitworktree checkpoint list --remotes
    """
    repository = open_repository(ctx)
    listed = repository.remote_checkpoints() if remotes else repository.checkpoints()
    found = [(cp, repository.commit_info(cp.ref)) for cp in listed]
    if as_json:
        echo_json([checkpoint_json(cp, info) for cp, info in found])
        return
    if not found:
        click.echo(
            "No checkpoints fetched from remotes. `gitworktree fetch` brings them."
            if remotes
            else "No checkpoints. Create one with `gitworktree checkpoint create NAME`."
        )
        return
    labels = [quote_text(cp.label) for cp, _ in found]
    width = max(len(label) for label in labels)
    for label, (cp, info) in zip(labels, found, strict=True):
        click.echo(
            f"{label:<{width}}  {style_sha(cp.sha)}  {format_time(info.time)}  "
            f"{subject(info.message)}"
        )


@checkpoint.command("delete")
@click.argument("name")
@repo_option
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete the checkpoint NAME; the commits it pointed at stay in history.

    \b
    Example:
      gitworktree checkpoint delete before-refactor
    """
    repository = open_repository(ctx)
    sha = repository.checkpoint(name).sha
    repository.delete_checkpoint(name)
    click.echo(
        f"Deleted checkpoint {quote_text(name)} (was {short(sha)}); its commits stay in history."
    )


def _target_sha(repository: Repository, target: str) -> str | None:
    """The commit a restore goes to, found as the library finds it (ids before names)."""
    from gitworktree import InvalidNameError, RepositoryError

    try:
        return repository.resolve(target)
    except (RepositoryError, InvalidNameError):
        return None  # the restore itself reports it, with a hint


@click.command(short_help="Go back to a checkpoint or revision, or discard uncommitted edits.")
# One TARGET; more words are taken so that `restore REV FILE` (git's habit) can be
# answered with the --path form rather than click's "unexpected extra argument".
@click.argument("targets", nargs=-1, metavar="[TARGET]")
@click.option(
    "--path",
    "paths",
    multiple=True,
    metavar="P",
    help="Restore only this file or directory (repeatable).",
)
@click.option("--hard", is_flag=True, help="Move the branch to TARGET instead of committing.")
@click.option(
    "--discard",
    is_flag=True,
    help="Throw away uncommitted edits (all, or the --path ones): files go back to HEAD's.",
)
@click.option("--author", metavar='"NAME <EMAIL>"', help="The restore commit's author (the agent).")
@repo_option
@json_option
@click.pass_context
def restore(
    ctx: click.Context,
    targets: tuple[str, ...],
    paths: tuple[str, ...],
    hard: bool,
    discard: bool,
    author: str | None,
    as_json: bool,
) -> None:
    """Bring the working tree back to TARGET, a checkpoint name or a revision.

    An id printed by `log` always means that commit, even if a ref has that name; a
    name that several refs give at different commits is refused (give the full ref).

    By default a new commit holds TARGET's files (the whole tree, or only the --path
    ones), with a `Gitworktree-Restored-From` trailer: history is never lost. With
    --hard the branch moves to TARGET instead; the old tip stays in `git reflog`.
    Files with uncommitted changes are never overwritten: the restore is refused.

    With --discard (and no TARGET, or HEAD) uncommitted edits are thrown away instead,
    as `git restore PATH` does: edited and deleted files get HEAD's content back; files
    HEAD does not have are left alone. Nothing is committed.

    \b
    Examples:
      gitworktree restore before-refactor
      gitworktree restore HEAD~3 --path tasks/ --path notes.json
      gitworktree restore last-good --hard
      gitworktree restore --discard --path notes.json
    """
    if len(targets) > 1:
        scope = " ".join(f"--path {shell_word(path)}" for path in targets[1:])
        raise click.UsageError(
            f"restore takes one TARGET; give the files to restore with --path: "
            f"`gitworktree restore {shell_word(targets[0])} {scope}`"
        )
    target = targets[0] if targets else None
    if hard and paths:
        raise click.UsageError("--hard moves the whole branch; it cannot be used with --path")
    if discard:
        if hard or target not in (None, "HEAD", "@"):
            raise click.UsageError(
                "--discard puts back HEAD's files; give no TARGET (and no --hard). To go "
                "back to another revision, restore it without --discard"
            )
        _discard(ctx, paths, as_json)
        return
    if target is None:
        raise click.UsageError(
            "give TARGET (a checkpoint or revision), or --discard to throw away uncommitted edits"
        )
    repository = open_repository(ctx)
    if not paths:
        refuse_path_as_revision(
            ctx,
            repository,
            target,
            lambda quoted: (
                "to throw away its uncommitted edits: `gitworktree restore --discard --path "
                f"{quoted}`; to bring back its version at a revision: `gitworktree restore "
                f"REV --path {quoted}`"
            ),
        )
    checked = repo_paths(ctx, repository.path, paths) if paths else None
    before = repository.head
    target_sha = _target_sha(repository, target)
    info = _restore(repository, target, checked, hard, author)
    changed = info.sha != before
    edits = [] if changed else _edited(repository, checked)
    if as_json:
        document: dict[str, Any] = {
            "mode": "hard" if hard else "soft",
            "target": target,
            "target_sha": target_sha,
            "changed": changed,
            "commit": commit_json(info),
            "uncommitted": edits,
        }
        echo_json(document)
        return
    target = quote_text(target)
    if not changed and not edits:
        click.echo(f"Nothing to restore: the files already match {target}.")
    elif not changed:
        listed = ", ".join(quote_name(path) for path in edits)
        scope = "".join(f" --path {shell_word(path)}" for path in paths)
        click.echo(
            f"HEAD already holds {target}'s files, so nothing was committed. Uncommitted "
            f"edits were left as they are: {listed}. To throw them away: "
            f"`gitworktree restore --discard{scope}`."
        )
    elif hard:
        click.echo(
            f"Moved {_branch_label(repository)} from {short(before)} to {style_sha(info.sha)} "
            f"({target}); the previous tip stays in `git reflog`."
        )
    else:
        files = ", ".join(quote_name(path) for path in info.paths) or "no files"
        click.echo(
            f"Restored {target} ({short(target_sha)}) as a new commit {style_sha(info.sha)}: "
            f"{files}."
        )


def _restore(
    repository: Repository, target: str, paths: list[str] | None, hard: bool, author: str | None
) -> CommitInfo:
    """`Repository.restore`, with uncommitted edits in the way named in the CLI's words."""
    from gitworktree import ConflictError, OperationInProgressError

    try:
        return repository.restore(target, paths=paths, hard=hard, author=author)
    except ConflictError as error:
        if isinstance(error, OperationInProgressError) or not error.paths:
            raise

        listed = ", ".join(quote_name(path) for path in error.paths)
        scope = "".join(f" --path {shell_word(path)}" for path in error.paths)
        raise RefusedError(
            f"uncommitted changes would be overwritten: {listed}; nothing was changed. Commit "
            f"them, or throw them away with `gitworktree restore --discard{scope}`, then "
            "restore again"
        ) from error


def _edited(repository: Repository, paths: list[str] | None) -> list[str]:
    """Files under ``paths`` (all: ``None``) whose working-tree content is not HEAD's."""
    return [change.path for change in repository.status(paths)]


def _discard(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    repository = open_repository(ctx)
    checked = repo_paths(ctx, repository.path, paths) if paths else None
    changes = repository.status(checked)
    # As `git restore`: files HEAD has go back to its content; a file HEAD does not have
    # is someone's new work, not an edit, and stays.
    tracked = [change.path for change in changes if change.status in ("modified", "deleted")]
    kept = [change.path for change in changes if change.status not in ("modified", "deleted")]
    restored = repository.discard_changes(tracked) if tracked else []
    if as_json:
        echo_json({"discarded": restored, "untouched": kept})
        return
    if restored:
        listed = ", ".join(quote_name(path) for path in restored)
        click.echo(f"Discarded uncommitted edits, the files are HEAD's again: {listed}.")
    else:
        click.echo("No uncommitted edits to discard.")
    if kept:
        listed = ", ".join(quote_name(path) for path in kept)
        click.echo(f"Left alone (HEAD does not have them, or they are unmerged): {listed}.")


def _branch_label(repository: Repository) -> str:
    from gitworktree import RepositoryError

    try:
        return repository.branch
    except RepositoryError:
        return "HEAD"
