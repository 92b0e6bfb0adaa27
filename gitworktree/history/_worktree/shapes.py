"""Repository shapes: which ones gitworktree writes, and a clear refusal for the rest.

Writing into the wrong shape of repository does harm that is hard to see at first:

- a bare repository (or a path inside one, or inside a ``.git`` directory) would get a
  nested ``.git`` and artifact files among its objects and refs;
- a repository in another object format (``extensions.objectFormat = sha256``) or with an
  extension we do not implement would be written in a format git then cannot read;
- a sparse checkout hides files on purpose (skip-worktree bits), which a mount would
  bring back and whose bits a commit would clear;
- a HEAD or branch that does not name a commit (emptied by a crash) or an unborn branch
  beside a populated index reads as "no commit", so finishing a checkout would delete
  every tracked file and the first commit would start a new history.

Each check here reads a few small files and raises `UnsupportedRepositoryError` (with a
``reason``) before anything is written. The checks that read the index import its reader
themselves: opening a repository to read its history runs the others only.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import (
    InvalidWorktreeConfiguration,
    Repo,
    UnsupportedExtension,
    UnsupportedVersion,
)

from gitworktree.errors import InvalidNameError, RepositoryError, UnsupportedRepositoryError
from gitworktree.history._core.plainfiles import read_plain_file
from gitworktree.history._core.refnames import check_ref_name

__all__ = [
    "check_format",
    "check_head",
    "check_location",
    "check_sparse",
    "enclosing_work_tree",
    "format_errors",
    "tracked_below",
]

_SHA = re.compile(rb"[0-9a-f]{40}")
# Extensions of repository format version 1 that change nothing we read or write.
_HARMLESS_EXTENSIONS = frozenset({b"noop", b"worktreeconfig", b"relativeworktrees"})
# The extended index flag git sets on a path a sparse checkout keeps off the disk.
_SKIP_WORKTREE = 0x40  # in the first byte of the extended flags (0x4000)


def check_location(path: str | os.PathLike[str]) -> None:
    """Refuse a directory that is, or is inside, a ``.git`` directory or a bare repository.

    Parent directories are looked at up to the first one with a ``.git`` of its own (the
    work tree the path is in), as git's discovery does.

    Raises:
        UnsupportedRepositoryError: ``reason`` ``"inside-git-dir"`` or ``"bare"``.
    """
    start = Path(os.path.abspath(path))
    for directory in (start, *start.parents):
        if directory.name == ".git":
            raise UnsupportedRepositoryError(
                start,
                f"this directory is inside the git directory {directory}; mount the work "
                f"tree it belongs to ({directory.parent}) or a directory outside it",
                reason="inside-git-dir",
            )
        if _is_git_directory(directory):
            # The error's path is the bare repository itself (not the directory asked
            # for, which may be inside it): what a caller, or the CLI, tells to clone.
            where = "" if directory == start else f" (asked for: {start}, inside it)"
            raise UnsupportedRepositoryError(
                directory,
                f"a bare repository (no work tree){where}: gitworktree would write files "
                f"among its objects and refs. Clone it (`git clone {directory} <dir>`) and "
                "mount the clone; read it with mount(rev=...)",
                reason="bare",
            )
        if os.path.lexists(directory / ".git"):
            return


def enclosing_work_tree(path: str | os.PathLike[str]) -> Path | None:
    """The work tree of a repository *above* ``path`` (not at it), if there is one."""
    start = Path(os.path.abspath(path))
    for directory in start.parents:
        if os.path.lexists(directory / ".git"):
            return directory
    return None


def tracked_below(work_tree: Path, directory: Path) -> str | None:
    """The first file the repository at ``work_tree`` tracks inside ``directory``, if any.

    A submodule at ``directory`` itself is not a file inside it. An unreadable parent
    repository counts as tracking nothing: this only decides whether to warn.
    """
    prefix = Path(os.path.abspath(directory)).relative_to(work_tree).as_posix() + "/"
    from gitworktree.history._worktree.index_entries import read_index_entries

    try:
        with Repo(str(work_tree)) as parent:
            entries = read_index_entries(parent)[0]
            return next((path for path in entries if path.startswith(prefix)), None)
    except Exception:  # deciding on a warning must never fail a mount
        return None


def _is_git_directory(directory: Path) -> bool:
    """Whether ``directory`` looks like a git directory, by git's own test (``setup.c``)."""
    return (
        (directory / "HEAD").is_file()
        and (directory / "objects").is_dir()
        and (directory / "refs").is_dir()
    )


@contextlib.contextmanager
def format_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn dulwich's refusal of a repository format into `UnsupportedRepositoryError`,
    and of core.bare set with core.worktree into a `RepositoryError`."""
    try:
        yield
    except UnsupportedVersion as err:
        raise UnsupportedRepositoryError(
            path,
            f"core.repositoryformatversion is {err.version}; gitworktree (like git before "
            "it) reads versions 0 and 1 only. Nothing was changed",
            reason="extension",
        ) from err
    except UnsupportedExtension as err:
        raise _extension_error(path, str(err.extension)) from err
    except InvalidWorktreeConfiguration as err:
        # git only warns ("core.bare and core.worktree do not make sense") and guesses;
        # dulwich refuses to open it, so which one was meant is the person's to say.
        raise RepositoryError(
            path,
            "its configuration sets both core.bare and core.worktree, which git warns make "
            "no sense; unset the wrong one (`git config --unset core.bare`, or `git config "
            "--unset core.worktree`). Nothing was changed",
            reason="damaged",
        ) from err


def check_format(repo: Repo) -> None:
    """Refuse an object format other than SHA-1, and any extension we do not implement.

    As in git, ``extensions.*`` count in repository format version 1 only (dulwich itself
    refuses the ones it does not know in either version).

    Raises:
        UnsupportedRepositoryError: ``reason`` ``"object-format"`` or ``"extension"``.
    """
    config = repo.get_config()
    try:
        version = int(config.get(("core",), "repositoryformatversion"))
    except (KeyError, ValueError):
        version = 0
    if version < 1:
        return
    for name, value in config.items((b"extensions",)):
        key = name.lower()
        if key == b"objectformat":
            if value.lower() != b"sha1":
                raise UnsupportedRepositoryError(
                    repo.path,
                    f"the repository stores {value.decode('ascii', 'replace')} object ids "
                    "(extensions.objectFormat); gitworktree writes SHA-1 objects only, which "
                    "would leave it unreadable to git. Use a SHA-1 repository (`git init` "
                    "without --object-format). Nothing was changed",
                    reason="object-format",
                )
        elif key not in _HARMLESS_EXTENSIONS:
            raise _extension_error(repo.path, name.decode("ascii", "replace"))


def _extension_error(path: object, name: str) -> UnsupportedRepositoryError:
    return UnsupportedRepositoryError(
        path,
        f"the repository uses extensions.{name}, which gitworktree does not implement; "
        "writing it could leave it unreadable to git. Nothing was changed",
        reason="extension",
    )


def check_sparse(repo: Repo) -> None:
    """Refuse a sparse checkout: files hidden on purpose that a mount would write back.

    Raises:
        UnsupportedRepositoryError: ``reason`` ``"sparse-checkout"`` when
            ``core.sparseCheckout`` is on or an index entry has its skip-worktree bit.
    """
    from gitworktree.history._worktree.index_entries import read_index_entries
    from gitworktree.history._worktree.index_file import (
        UnsupportedIndexError,
        read_index_file,
        repair_advice,
    )

    config = repo.get_config_stack()
    if config.get_boolean(("core",), "sparseCheckout", False):
        raise _sparse_error(repo, "core.sparseCheckout is on")
    index_path = Path(repo.index_path())
    found = read_plain_file(index_path)
    if found is None:
        return
    raw = found[0]
    try:
        parsed = read_index_file(str(index_path), raw)
    except UnsupportedIndexError as err:
        if b"sdir" in raw:
            raise _sparse_error(repo, "the index is a sparse index") from err
        read_index_entries(repo)  # another required extension: its own error says what to run
        return
    except ValueError as err:
        raise RepositoryError(
            index_path, f"cannot read the index ({err}); {repair_advice(err, index_path)}"
        ) from err
    if parsed is None or not parsed.extended:
        return  # no entry has extended flags (or a version git does not write)
    for path, entry in zip(parsed.paths, parsed.entries, strict=True):
        if entry[60] & 0x40 and entry[62] & _SKIP_WORKTREE:
            name = path.decode("utf-8", "replace")
            raise _sparse_error(repo, f"{name!r} is marked skip-worktree")


def _sparse_error(repo: Repo, why: str) -> UnsupportedRepositoryError:
    return UnsupportedRepositoryError(
        repo.path,
        f"this is a sparse checkout ({why}): gitworktree would write the hidden files back "
        "and clear their skip-worktree bits. Mount a full checkout (`git sparse-checkout "
        "disable`, or a separate clone). Nothing was changed",
        reason="sparse-checkout",
    )


def check_head(repo: Repo) -> bool:
    """Refuse a HEAD that does not name a commit; say whether the branch is unborn.

    An unborn branch is fine in a fresh repository (no branch has a commit, the index is
    empty): the first commit is made there. Anywhere else it is refused: HEAD points at
    a missing branch while someone's files are tracked, and "no commit" would read as
    "every tracked file is stale".

    Returns:
        Whether the branch is unborn (a fresh repository).

    Raises:
        UnsupportedRepositoryError: ``reason`` ``"broken-head"``, ``"broken-branch"`` or
            ``"unborn-branch"``.
    """
    raw = repo.refs.read_loose_ref(Ref(b"HEAD"))
    head = (raw or b"").strip()
    if head.startswith(b"ref:"):  # as git reads it: blanks after "ref:" are optional
        target = head[4:].strip()
        if not target.startswith(b"refs/"):
            raise _broken_head(repo, f"it points at {target.decode('utf-8', 'replace')!r}")
        if not _valid_ref_name(target):  # `refs/heads/../../config`: a write would land there
            raise _broken_head(
                repo, f"it points at {target.decode('utf-8', 'replace')!r}, no valid ref name"
            )
        value = _read_branch(repo, target)
        if value is None:
            _check_fresh(repo, target)
            return True
    elif _SHA.fullmatch(head):
        target, value = b"HEAD", head
    else:
        raise _broken_head(repo, "it is empty" if not head else "it is neither a ref nor an id")
    if value.startswith(b"ref: "):
        return False  # a branch that is itself a symbolic ref: rare, and git follows it
    if not _SHA.fullmatch(value) or ObjectID(value) not in repo.object_store:
        raise _broken_branch(repo, target, value)
    return False


def _read_branch(repo: Repo, ref: bytes) -> bytes | None:
    """The branch's raw content (loose, else packed), or ``None`` if it does not exist."""
    loose = repo.refs.read_loose_ref(Ref(ref))
    if loose is not None:
        return bytes(loose.strip())
    packed = repo.refs.get_packed_refs().get(Ref(ref))
    return None if packed is None else bytes(packed)


def _check_fresh(repo: Repo, target: bytes) -> None:
    from gitworktree.history._worktree.index_entries import read_index_entries

    index_entries = len(read_index_entries(repo)[0])
    branches = sorted(
        name.decode("utf-8", "replace")
        for name in repo.refs.keys(base=Ref(b"refs/heads/"))
        if b"refs/heads/" + name != target
    )
    if not branches and not index_entries:
        return
    what = []
    if branches:
        what.append(f"branches exist ({', '.join(branches[:3])})")
    if index_entries:
        what.append(f"the index tracks {index_entries} files")
    switch = f"`git switch {branches[0]}`" if branches else "`git switch <branch>`"
    name = target.decode("utf-8", "replace")
    raise UnsupportedRepositoryError(
        repo.path,
        f"HEAD points at {name}, which does not exist, while {' and '.join(what)}: a "
        "mount or commit would start a new history there with the files on disk. Check out an "
        f"existing branch ({switch}) or point HEAD back at yours (`git symbolic-ref HEAD "
        "refs/heads/<branch>`). Nothing was changed",
        reason="unborn-branch",
    )


def _valid_ref_name(name: bytes) -> bool:
    try:
        check_ref_name(name.decode("utf-8"))
    except (InvalidNameError, UnicodeDecodeError):
        return False
    return True


def _broken_head(repo: Repo, why: str) -> UnsupportedRepositoryError:
    return UnsupportedRepositoryError(
        repo.path,
        f"HEAD cannot be read: {why} (a crash while it was written?). Point it at your "
        "branch (`git symbolic-ref HEAD refs/heads/main`). Nothing was changed",
        reason="broken-head",
    )


def _broken_branch(repo: Repo, ref: bytes, value: bytes) -> UnsupportedRepositoryError:
    name = ref.decode("utf-8", "replace")
    why = "is empty" if not value else "does not name a commit in this repository"
    last = _last_reflog_id(repo, ref)
    hint = f" (its reflog's last entry: {last})" if last else f" (see `git reflog {name}`)"
    return UnsupportedRepositoryError(
        repo.path,
        f"{name} {why} (a crash while it was written?); a mount would read it as 'no "
        f"commit' and could delete tracked files. Point it back at its last commit: `git "
        f"update-ref {name} <commit>`{hint}. Nothing was changed",
        reason="broken-branch" if ref != b"HEAD" else "broken-head",
    )


def _last_reflog_id(repo: Repo, ref: bytes) -> str | None:
    base = repo.controldir() if ref == b"HEAD" else repo.commondir()
    try:  # not blocking on a FIFO there: this only adds a hint to a refusal
        found = read_plain_file(Path(base) / "logs" / os.fsdecode(ref))
    except (OSError, RepositoryError):
        return None
    if found is None:
        return None
    lines = found[0].splitlines()
    for line in reversed(lines):
        fields = line.split(b" ", 2)
        new = ObjectID(fields[1]) if len(fields) > 1 else ObjectID(b"")
        if _SHA.fullmatch(new) and new in repo.object_store:
            return new.decode("ascii")
    return None
