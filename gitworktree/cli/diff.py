"""``gitworktree diff``: what changed between two revisions, or since one in the working tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from gitworktree.cli.context import (
    HabitCommand,
    json_option,
    open_repository,
    path_not_revision,
    repo_option,
    repo_paths,
)
from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import (
    change_json,
    echo_json,
    echo_patches,
    quote_name,
    shell_word,
    stat_lines,
    terminal_width,
)

if TYPE_CHECKING:
    from gitworktree import Repository

__all__ = ["PathspecCommand", "diff"]

_PATHS = "gitworktree.paths"


class PathspecCommand(HabitCommand):
    """A command whose arguments after ``--`` are paths, as in git.

    click would otherwise merge them into the positional arguments, and ``diff A -- B``
    could not be told from ``diff A B``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_PATHS] = tuple(args[cut + 1 :])
            args = args[:cut]
        return super().parse_args(ctx, args)


def _revisions(revisions: tuple[str, ...]) -> tuple[str, str | None]:
    if any("..." in revision for revision in revisions):
        raise click.UsageError(
            "A...B (the changes on B since it left A) is not supported; give the two "
            "commits to compare, as `gitworktree diff A B` or `A..B`"
        )
    if len(revisions) == 1 and ".." in revisions[0]:
        old, _, new = revisions[0].partition("..")
        return old or "HEAD", new or "HEAD"
    if len(revisions) > 2:
        raise click.UsageError(
            "diff takes at most two revisions; put paths after --, e.g. "
            "`gitworktree diff HEAD~1 -- notes.json`"
        )
    old = revisions[0] if revisions else "HEAD"
    return old, revisions[1] if len(revisions) == 2 else None


def _refuse_paths_as_revisions(
    ctx: click.Context, repository: Repository, revisions: tuple[str, ...]
) -> None:
    """Refuse files given as revisions (git's `diff FILE`), naming the `--` form."""
    kinds = {r: path_not_revision(ctx, repository, r) for r in revisions if ".." not in r}
    files = [revision for revision, kind in kinds.items() if kind is not None]
    if not files:
        return
    kept = [revision for revision in revisions if revision not in files]
    words = [*kept, "--", *files, *ctx.meta.get(_PATHS, ())]
    raise RefusedError(
        f"unknown revision {files[0]!r}, but {quote_name(files[0])} is a {kinds[files[0]]} "
        "here; put "
        f"paths after --, as in `gitworktree diff {' '.join(shell_word(w) for w in words)}`"
    )


@click.command(
    cls=PathspecCommand,
    habits={
        option: "There is no staging area here: `gitworktree diff` shows the uncommitted edits, "
        "`gitworktree diff HEAD~1 HEAD` what the last commit changed."
        for option in ("--cached", "--staged")
    },
    short_help="Changes between revisions or in the working tree.",
)
@click.argument("revisions", nargs=-1, metavar="[A [B]] [-- PATH...]")
@click.option("--stat", is_flag=True, help="A summary of changed lines per file.")
@click.option("--name-only", is_flag=True, help="Only the names of the changed files.")
@click.option(
    "--name-status", is_flag=True, help="The changed files, each with its status (A, M, D)."
)
@repo_option
@json_option
@click.pass_context
def diff(
    ctx: click.Context,
    revisions: tuple[str, ...],
    stat: bool,
    name_only: bool,
    name_status: bool,
    as_json: bool,
) -> None:
    """Show changes from A to B; by default from HEAD to the working tree.

    With A only: A against the working tree. `A..B` is the same as `A B`. Paths after
    `--` limit the diff to those files or directories. For JSON files both sides of which
    parse, the changed values are also listed by JSON Pointer (the first 1,000 per file;
    the rest are counted). A file over 8 MiB is summarized with its sizes, not diffed.

    \b
    Examples:
      gitworktree diff                      # uncommitted edits
      gitworktree diff before-refactor HEAD -- tasks/
      gitworktree diff HEAD~1 HEAD --json   # per file: patch and JSON Pointer changes
      gitworktree diff HEAD~3 --name-only
    """
    if name_only and name_status:
        raise click.UsageError("give --name-only or --name-status, not both")
    old, new = _revisions(revisions)
    repository = open_repository(ctx)
    _refuse_paths_as_revisions(ctx, repository, revisions)
    paths = repo_paths(ctx, repository.path, ctx.meta.get(_PATHS, ()))
    unborn = old in ("HEAD", "@") and repository.head is None  # HEAD is then the empty tree
    old_sha = None if unborn else repository.resolve(old)
    new_sha = None if new is None else repository.resolve(new)
    changes = repository.diff(old, new, paths)
    if as_json:
        document: dict[str, Any] = {
            "a": old_sha,
            "b": new_sha,
            "files": [change_json(change) for change in changes],
        }
        echo_json(document)
        return
    if name_only or name_status:
        letters = {"added": "A", "modified": "M", "deleted": "D"}
        for change in changes:
            status = f"{letters[change.status]}\t" if name_status else ""
            click.echo(f"{status}{quote_name(change.path)}")
        return
    if stat:
        width = terminal_width()
        if changes:
            click.echo("\n".join(stat_lines(changes, width)))
        return
    echo_patches(changes)
