"""The gate from the shell: ``validate`` and ``commit`` against a tree declaration.

Both take ``--tree MODULE:CLASS``, the ``Worktree`` subclass that declares the files. The
tree's root is the repository's root.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import click

from gitworktree.cli.context import HabitCommand, json_option, open_repository, repo_option
from gitworktree.cli.declaration import load_repair, load_tree_class
from gitworktree.cli.errors import RefusedError, issue_lines
from gitworktree.cli.output import (
    REPAIRED,
    commit_json,
    echo_json,
    issue_json,
    quote_name,
    quote_text,
    style_sha,
    subject,
)

if TYPE_CHECKING:
    from gitworktree import CommitInfo, ValidationIssue

__all__ = ["commit", "validate"]

TREE_HELP = "The Worktree subclass declaring the files, as MODULE:CLASS or file.py:CLASS."


# --- validate ---------------------------------------------------------------------------


@click.command(short_help="Check the working tree against a tree declaration.")
@click.option("--tree", "tree_spec", required=True, metavar="MODULE:CLASS", help=TREE_HELP)
@repo_option
@json_option
@click.pass_context
def validate(ctx: click.Context, tree_spec: str, as_json: bool) -> None:
    """Check the working tree against a tree declaration, and write nothing.

    Every declared artifact file is parsed and validated; every issue is printed with its
    file, line, column and JSON Pointer or XPath. Exit status 1 if there is any.

    \b
    Examples:
      gitworktree validate --tree myagent.state:AgentState
      gitworktree validate --tree state.py:AgentState --json
    """
    from gitworktree import check_tree

    tree_cls = load_tree_class(tree_spec)
    repository = open_repository(ctx)
    report = check_tree(tree_cls, repository.path)
    invalid = sorted({issue.artifact or "" for issue in report.issues})
    if as_json:
        echo_json(
            {
                "valid": not report.issues,
                "checked": report.checked,
                "missing": report.missing,
                "issues": [issue_json(issue) for issue in report.issues],
            }
        )
    else:
        for issue in report.issues:
            click.echo(str(issue))
        if not report.issues:
            summary = f"{len(report.checked)} artifact(s) valid"
            if report.missing:
                summary += f"; {len(report.missing)} missing, to be created from defaults"
            click.echo(summary + ".")
    if report.issues:
        raise RefusedError(
            f"{len(report.issues)} issue(s) in {len(invalid)} artifact(s): "
            f"{', '.join(invalid)}. Fix them and validate again, or commit with "
            "--repair MODULE:FUNC"
        )


# --- commit -----------------------------------------------------------------------------


def _parse_trailers(values: Iterable[str]) -> dict[str, str]:
    trailers = {}
    for value in values:
        key, separator, text = value.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(
                f"{value!r}: expected KEY=VALUE, e.g. Agent-Run=42", param_hint="--trailer"
            )
        trailers[key.strip()] = text.strip()
    return trailers


@dataclass
class _Outcome:
    """What ``commit`` did: its commit, the one mounting made first, what it left out."""

    info: CommitInfo | None
    initialized: CommitInfo | None
    left_out: list[str]


def _commit_tree(
    ctx: click.Context,
    tree_cls: type[Any],
    repair: Any,
    message: str,
    author: str | None,
    trailers: dict[str, str],
) -> _Outcome:
    from gitworktree import (
        CommitRejectedError,
        DocumentParseError,
        MutationFailedError,
        SchemaValidationError,
        check_tree,
        mount,
    )

    repository = open_repository(ctx)
    before = repository.head
    # Mounting loads every edit, new file and deleted map item in the working tree
    # (repairing invalid files with the hook). They are edits the tree did not make, and
    # whoever runs this command is committing them on purpose: adopt them all, so the
    # commit gates and records them under --author, or else the repository's identity
    # (the person at the shell), never under an identity the tree was mounted with.
    try:
        tree = mount(tree_cls, repository.path, repair=repair, author=author)  # a first commit
        mounted_at = tree.repo.head
        tree.adopt()
        info = tree.commit(message, author=author, trailers=trailers or None)
    except CommitRejectedError as error:
        raise _InvalidFiles(list(error.issues), error.repaired) from error
    except (DocumentParseError, SchemaValidationError, MutationFailedError) as error:
        # The mount stops at the first invalid file; the person needs every one of them.
        issues = check_tree(tree_cls, repository.path).issues or list(error.issues)
        tried = (error.artifact,) if isinstance(error, MutationFailedError) else ()
        raise _InvalidFiles(issues, tuple(path for path in tried if path)) from error
    left_out = [change.path for change in tree.repo.status()]
    if left_out:
        # Only when something stayed uncommitted (rare, so the whole-tree check is not
        # paid on every commit): a declared file can stay invalid on disk when a repair
        # gave back what HEAD holds. It is invalid, not "not declared".
        report = check_tree(tree_cls, repository.path)
        if report.issues:
            raise _InvalidFiles(report.issues, (), landed=info)
        declared = {*report.checked, *report.missing}
        left_out = [path for path in left_out if path not in declared]
    # Declared artifacts that exist nowhere are created from their defaults and
    # committed by the mount itself; say so rather than hide that commit.
    initialized = None if mounted_at in (before, None) else tree.repo.commit_info(mounted_at)
    return _Outcome(info, initialized, left_out)


class _InvalidFiles(Exception):
    """``commit`` refused: the declared files with issues (every one), and which the
    --repair function ran on."""

    def __init__(
        self,
        issues: list[ValidationIssue],
        repaired: tuple[str, ...],
        *,
        landed: CommitInfo | None = None,
    ) -> None:
        super().__init__("invalid files")
        self.issues = issues
        self.repaired = repaired
        self.landed = landed  # a commit made before the leftover invalid files were found


def _refuse_invalid(error: _InvalidFiles, as_json: bool) -> NoReturn:
    """Exit 1 listing every invalid file and issue (as a JSON error object with --json)."""
    invalid = sorted({issue.artifact or "" for issue in error.issues})
    if error.repaired:
        advice = (
            # The hook may be --repair or the artifact class's own _repair.
            f"a repair hook ran on {', '.join(error.repaired)} and left it invalid; fix "
            "the files, or the hook"
        )
    else:
        advice = (
            "fix them (see `gitworktree validate --tree MODULE:CLASS`), or commit with "
            "--repair MODULE:FUNC"
        )
    done = (
        "commit refused, nothing was written"
        if error.landed is None
        else f"committed {error.landed.short_sha}, but files are left over"
    )
    message = f"{done}: {len(invalid)} artifact(s) invalid ({', '.join(invalid)}); {advice}"
    if as_json:
        echo_json(
            {
                "error": {
                    "message": message,
                    "invalid": invalid,
                    "repaired": list(error.repaired),
                    "issues": [issue_json(issue) for issue in error.issues],
                }
            }
        )
    raise RefusedError(message + issue_lines(error.issues)) from error


@click.command(
    cls=HabitCommand,
    habits={
        option: "A commit here takes every edited artifact the tree declares (there is no "
        'staging area): leave out -a, as in `gitworktree commit -m "MSG" --tree MODULE:CLASS`.'
        for option in ("-a", "--all")
    },
    short_help="Commit working-tree edits through the gate.",
)
@click.option("-m", "--message", required=True, help="The commit message.")
@click.option("--tree", "tree_spec", required=True, metavar="MODULE:CLASS", help=TREE_HELP)
@click.option(
    "--repair",
    "repair_spec",
    metavar="MODULE:FUNC",
    help="A repair hook (content, issues, document_type) -> str for invalid files.",
)
@click.option(
    "--author",
    metavar='"NAME <EMAIL>"',
    help="The author to record (the agent); also of the commit mounting may make first.",
)
@click.option(
    "--trailer", "trailer_values", multiple=True, metavar="KEY=VALUE", help="Add a trailer."
)
@repo_option
@json_option
@click.pass_context
def commit(
    ctx: click.Context,
    message: str,
    tree_spec: str,
    repair_spec: str | None,
    author: str | None,
    trailer_values: tuple[str, ...],
    as_json: bool,
) -> None:
    """Commit the edits made in the working tree, through the validation gate.

    The tree is mounted on the repository: edited and new artifact files are validated
    (and repaired with --repair, recorded in a `Gitworktree-Repaired` trailer), deleted
    items of artifact maps are removed, and everything lands in one commit -- or, if
    anything stays invalid, nothing is written and every invalid file and issue is
    listed (exit 1; with --json, as an {"error": ...} object on stdout).
    Files the tree does not declare are left alone. A declared artifact that exists
    nowhere is created from its defaults by the mount itself, as `Initialize <files>`.

    The edits are recorded under --author, or else the repository's identity
    (GIT_AUTHOR_*, user.name/user.email): whoever runs the command. While a git merge,
    rebase, cherry-pick or revert is unfinished nothing is committed (exit 1).

    \b
    Examples:
      gitworktree commit -m "Close t1" --tree myagent.state:AgentState
      gitworktree commit -m "Import notes" --tree state.py:AgentState \\
          --repair myagent.repair:fix --author "Planner <planner@agents.local>"
    """
    from gitworktree.history._core.trailers import check_caller_text

    trailers = _parse_trailers(trailer_values)
    check_caller_text(message, trailers)  # before mounting, which may commit defaults
    tree_cls = load_tree_class(tree_spec)
    repair = None if repair_spec is None else load_repair(repair_spec)
    try:
        outcome = _commit_tree(ctx, tree_cls, repair, message, author, trailers)
    except _InvalidFiles as error:
        _refuse_invalid(error, as_json)
    info = outcome.info
    if as_json:
        echo_json(
            {
                "commit": None if info is None else commit_json(info),
                "initialized": None
                if outcome.initialized is None
                else commit_json(outcome.initialized),
                "not_declared": outcome.left_out,
            }
        )
        return
    if outcome.initialized is not None:
        first = outcome.initialized
        click.echo(
            f"note: mounting {tree_cls.__name__} created missing artifacts from defaults first, "
            f"as {first.short_sha} {subject(first.message)!r}",
            err=True,
        )
    if info is None:
        click.echo(f"Nothing to commit: every artifact of {tree_cls.__name__} matches HEAD.")
    else:
        click.echo(f"Committed {style_sha(info.sha)} {subject(info.message)}")
        click.echo(f"  files: {', '.join(quote_name(path) for path in info.paths)}")
        if REPAIRED in info.trailers:
            repaired = quote_text(info.trailers[REPAIRED])
            click.echo(click.style(f"  repaired: {repaired}", fg="magenta"))
    if outcome.left_out:
        click.echo(
            f"note: not committed, not declared by {tree_cls.__name__}: "
            f"{', '.join(quote_name(path) for path in outcome.left_out)}",
            err=True,
        )
