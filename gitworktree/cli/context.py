"""What every command shares: where it runs (``-C``), how it finds the repository, and paths.

Paths given on the command line are relative to the directory the command runs in (the
current directory, or the ``-C`` directory), as git's are, and are turned into
repository-relative POSIX paths here; anything outside the repository is refused with
``UnsafePathError`` before the library sees it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import quote_name, shell_word

if TYPE_CHECKING:
    from gitworktree import Repository

__all__ = [
    "CliState",
    "HabitCommand",
    "HabitGroup",
    "json_option",
    "open_repository",
    "path_not_revision",
    "refuse_path_as_revision",
    "repo_option",
    "repo_paths",
    "working_directory",
]

F = TypeVar("F", bound=Callable[..., Any])


class CliState:
    """Options given before or after the command name, shared by all commands.

    A plain class, not a dataclass: making a dataclass costs ~0.3 ms at import, and
    every command imports this module first.

    Attributes:
        directory: the ``-C/--repo`` directory; ``None`` for the current directory.
        debug: print tracebacks with errors.
    """

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.debug = False


class HabitGroup(click.Group):
    """A command group that answers a command people type out of habit with the one to use.

    ``gitworktree reset`` or ``gitworktree checkpoint restore`` is a usage error (exit 2)
    as any unknown command is, but says which command does that here instead of click's
    nearest spelling ("Did you mean 'checkpoint'?" for ``checkout``).
    """

    def __init__(self, *args: Any, habits: Mapping[str, str] | None = None, **kwargs: Any):
        """As `click.Group`, with ``habits``: a name people type -> what to run instead."""
        super().__init__(*args, **kwargs)
        self.habits = dict(habits or {})

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and not ctx.resilient_parsing and args[0] in self.habits:
            name = args[0]
            if self.get_command(ctx, name) is None:
                ctx.fail(f"No such command {name!r}. {self.habits[name]}")
        return super().resolve_command(ctx, args)


class HabitCommand(click.Command):
    """A command that answers an option people type out of habit (git's) with what to do.

    ``gitworktree commit -am MSG`` is a usage error (exit 2) as any unknown option is, and
    says why there is no ``-a`` here instead of only "No such option '-a'".
    """

    def __init__(self, *args: Any, habits: Mapping[str, str] | None = None, **kwargs: Any):
        """As `click.Command`, with ``habits``: an option people type -> what to do instead."""
        super().__init__(*args, **kwargs)
        self.habits = dict(habits or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            hint = self.habits.get(error.option_name)
            if hint is None:
                raise
            # Without click's nearest spelling ("Did you mean '--stat'?" for --staged).
            message = f"No such option {error.option_name!r}. {hint}"
            raise click.NoSuchOption(error.option_name, message, ctx=error.ctx) from None


def _remember_directory(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).directory = value


def repo_option(function: F) -> F:
    """The ``-C/--repo PATH`` option, accepted before the command name and after it."""
    return click.option(
        "-C",
        "--repo",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        metavar="PATH",
        expose_value=False,
        callback=_remember_directory,
        help="Run as if started in PATH (the repository or a directory inside it).",
    )(function)


def json_option(function: F) -> F:
    """The ``--json`` flag: print one JSON document on stdout (shapes in docs/cli.md)."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document (see docs/cli.md)."
    )(function)


def working_directory(ctx: click.Context) -> Path:
    """The directory the command runs in: ``-C`` if given, else the current directory."""
    directory = ctx.ensure_object(CliState).directory
    return Path.cwd() if directory is None else directory


def open_repository(ctx: click.Context) -> Repository:
    """The repository containing the working directory (searching parents, as git does).

    Raises:
        RefusedError: there is none.
        UnsupportedRepositoryError: the one found cannot be used (a bare repository, ...).
    """
    from gitworktree import Repository, RepositoryError

    directory = working_directory(ctx)
    try:
        repository = Repository.discover(directory)
    except RepositoryError as err:
        if err.reason != "not-a-repository":
            raise  # one was found but cannot be opened (bare, sha256, damaged): say why
        raise RefusedError(
            f"not a gitworktree repository: {directory.resolve()} (nor any parent directory); "
            "create one with `gitworktree init`, or point at one with -C PATH"
        ) from None
    ctx.call_on_close(repository.close)
    return repository


def path_not_revision(ctx: click.Context, repository: Repository, name: str) -> str | None:
    """``"file"`` or ``"directory"`` when ``name``, given where a revision goes, is a path
    in the repository here and no revision; else ``None``.

    ``git diff notes.json`` and ``git restore notes.json`` take a path there; here a path
    goes after ``--`` or ``--path``. "unknown revision 'notes.json'" would leave a person
    wondering: the commands use this to name the command they meant.
    """
    from gitworktree import AmbiguousRevisionError, InvalidNameError, RepositoryError

    full = os.path.realpath(os.path.join(working_directory(ctx), name))
    root = os.path.realpath(repository.path)
    inside = full == root or full.startswith(root + os.sep)  # `..` at the root is no path here
    if not name or not inside or not os.path.lexists(full):
        return None
    try:
        repository.resolve(name)
    except AmbiguousRevisionError:
        return None  # a revision after all: the command says which refs it could mean
    except (RepositoryError, InvalidNameError):
        return "directory" if os.path.isdir(full) else "file"
    return None


def refuse_path_as_revision(
    ctx: click.Context, repository: Repository, name: str, instead: Callable[[str], str]
) -> None:
    """Refuse ``name`` when it is a path and no revision (`path_not_revision`).

    Args:
        ctx: the command's context.
        repository: the repository ``name`` is looked up in.
        name: the revision as given.
        instead: what to run instead, given ``name`` quoted for a shell; called only
            when ``name`` is refused.

    Raises:
        RefusedError: "unknown revision NAME, but NAME is a file here" and ``instead``.
    """
    kind = path_not_revision(ctx, repository, name)
    if kind is not None:
        advice = instead(shell_word(name))
        raise RefusedError(
            f"unknown revision {name!r}, but {quote_name(name)} is a {kind} here; {advice}"
        )


def repo_paths(ctx: click.Context, root: Path, paths: Iterable[str]) -> list[str] | None:
    """Command-line paths as repository-relative POSIX paths.

    Args:
        ctx: the command's context (paths are relative to its working directory).
        root: the repository's work tree root.
        paths: the paths as given; absolute paths inside the repository are accepted.

    Returns:
        The repository-relative paths, or ``None`` when there are none or one of them is
        the repository root itself (no filter).

    Raises:
        UnsafePathError: a path is outside the repository.
    """
    from gitworktree import UnsafePathError

    base = os.path.abspath(working_directory(ctx))
    real_root = Path(os.path.realpath(root))
    found: list[str] = []
    for path in paths:
        joined = os.path.normpath(os.path.join(base, path))
        # Resolve symlinks in the directories (as the repository root's own path may hold
        # some), but not in the last part: what that is, the library checks.
        head, tail = os.path.split(joined)
        full = Path(os.path.realpath(head)) / tail
        if full == real_root:
            return None
        try:
            found.append(full.relative_to(real_root).as_posix())
        except ValueError:
            raise UnsafePathError(path, "it is outside the repository", root=real_root) from None
    return found or None
