"""Turning a damaged repository's low-level failures into one clear error.

A corrupted or truncated object, a missing object, a ref holding garbage or pointing at
a blob, a symbolic-ref loop, unreadable ``packed-refs``, an alternates loop or ref
folders nested thousands deep make dulwich raise from deep inside (a bad object header,
a zlib error, ``KeyError``, ``AssertionError``, ``SymrefLoop``, ``RecursionError``).
Callers get a `RepositoryError` instead, naming the repository, what is wrong, and what
to run to find the damage. Objects are loaded through `load_object`, and every
`Repository` method runs inside `damage_errors`: two places, not one per call site.
"""

from __future__ import annotations

import functools
import re
import struct
import traceback
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from dulwich.errors import (
    ApplyDeltaError,
    ChecksumMismatch,
    FileFormatException,
    ObjectFormatException,
    RefFormatError,
    WrongObjectException,
)
from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID, ShaFile
from dulwich.pack import UnresolvedDeltas
from dulwich.refs import SymrefLoop

from gitworktree.errors import RepositoryError
from gitworktree.history._core.looseobjects import read_loose_object

__all__ = [
    "MalformedCommitError",
    "MissingObjectError",
    "check_alternates",
    "config_error",
    "damage_errors",
    "damaged",
    "is_object_id",
    "load_object",
    "translates_damage",
]

P = ParamSpec("P")
T = TypeVar("T")
K = TypeVar("K", bound=ShaFile)

_HEX_ID = re.compile(rb"[0-9a-f]{40}")


class MissingObjectError(KeyError):
    """An object the history refers to is not in the object store.

    A `KeyError`, as dulwich's own lookups raise, so that code asking "is it there?"
    keeps working; `damage_errors` reports it as damage when it escapes.
    """

    def __init__(self, sha: bytes) -> None:
        self.sha = sha
        super().__init__(sha)


# What a damaged object or ref store makes dulwich raise. (FileFormatException covers
# an unreadable packed-refs file; WrongObjectException a commit id naming a blob;
# ApplyDeltaError and UnresolvedDeltas, which DeltaCycle is, a pack's delta pointing at
# itself, at nothing, or round in a cycle.)
_DAMAGE = (
    ObjectFormatException,
    ChecksumMismatch,
    zlib.error,
    FileFormatException,
    WrongObjectException,
    SymrefLoop,
    MissingObjectError,
    RefFormatError,
    ApplyDeltaError,
    UnresolvedDeltas,
)


def damaged(path: Path | str, what: str) -> RepositoryError:
    """The `RepositoryError` for a damaged repository at ``path``: ``what`` is wrong."""
    return RepositoryError(
        path,
        f"the repository is damaged: {what}; run `git fsck` to find the damage, and "
        "restore it from a clone or backup",
        reason="damaged",
    )


def config_error(path: Path | str, err: ValueError) -> RepositoryError:
    """The `RepositoryError` for a ``.git/config`` that does not parse (dulwich's bare
    ``ValueError``; git refuses such a repository too: ``fatal: bad config line``)."""
    return RepositoryError(
        path,
        f"the repository's configuration (.git/config) cannot be read ({err}); fix the "
        "line it names (see `git config --list --show-origin`)",
        reason="damaged",
    )


def is_object_id(value: bytes) -> bool:
    """Whether ``value`` is a full lowercase hex object id, as a ref file must hold."""
    return _HEX_ID.fullmatch(value) is not None


def load_object(store: BaseObjectStore, sha: bytes, kind: type[K]) -> K:
    """The object ``sha`` from ``store``, which must be a ``kind`` (`Commit`, `Blob`, ...).

    Raises:
        MissingObjectError: if the store has no such object (or ``sha`` is no object id).
        dulwich.errors.WrongObjectException: if it is another kind of object.
        dulwich.errors.ObjectFormatException: if it cannot be read (damage).
    """
    if not _HEX_ID.fullmatch(sha):
        raise MissingObjectError(sha)  # dulwich would fail an assertion on it
    # A loose object is read no further than its header's size (a zlib bomb is refused
    # before it fills memory); a packed one, or one in an alternate, by dulwich.
    found = read_loose_object(store, ObjectID(sha))
    if found is None:
        try:
            found = store[ObjectID(sha)]
        except KeyError:
            raise MissingObjectError(sha) from None
    if not isinstance(found, kind):
        raise _WrongKind(sha, kind.type_name.decode(), found.type_name.decode())
    return found


class MalformedCommitError(ObjectFormatException):
    """A commit dulwich parsed but git's ``fsck`` rejects: a header line missing or
    unreadable. Raised when the commit is loaded, so that nothing (a log, a merge base,
    a restore) reads ``None`` where a name or a date belongs."""

    def __init__(self, sha: bytes, what: str, check: str) -> None:
        self.sha = sha
        self.what = what
        self.check = check
        super().__init__(f"commit {sha.decode('ascii', 'replace')} {what}")


class _WrongKind(WrongObjectException):
    def __init__(self, sha: bytes, expected: str, found: str) -> None:
        self.type_name = expected
        Exception.__init__(self, f"{sha.decode('ascii', 'replace')} is a {found}, not a {expected}")


# git follows alternates at most this deep (sha1-file.c, link_alt_odb_entry).
_ALTERNATES_DEPTH = 5


def check_alternates(path: Path | str, objects: Path) -> None:
    """Refuse an ``objects/info/alternates`` chain that loops or nests deeper than git's 5.

    dulwich follows alternates by recursion, so a loop would end in a `RecursionError`
    (and noise from half-built stores); it is read here first, without recursion.

    Raises:
        RepositoryError: for a loop, or a chain deeper than git follows.
    """
    pending: list[tuple[Path, tuple[Path, ...]]] = [(objects, ())]
    while pending:
        directory, above = pending.pop()
        try:
            text = (directory / "info" / "alternates").read_text("utf-8", "replace")
        except OSError:  # none (the usual case), or unreadable: dulwich skips it too
            continue
        chain = (*above, directory.resolve())
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if "\0" in line:  # no path holds one: `resolve` would raise a bare ValueError
                raise damaged(path, "objects/info/alternates holds a NUL byte")
            target = (directory / line.strip()).resolve()
            if target in chain:
                raise damaged(path, f"objects/info/alternates loops back to {target}")
            if len(chain) > _ALTERNATES_DEPTH:
                raise damaged(path, "objects/info/alternates nest deeper than git follows (5)")
            pending.append((target, chain))


def _describe(error: BaseException, path: Path) -> str:
    if isinstance(error, MissingObjectError):
        sha = error.sha.decode("ascii", "replace")
        if (path / ".git" / "shallow").is_file():
            return (
                f"object {sha} is missing (this is a shallow clone: history before its "
                "boundary was never fetched; `git fetch --unshallow` brings it)"
            )
        return f"object {sha} is missing (a ref or a commit points at an object that is not here)"
    if isinstance(error, SymrefLoop):
        return f"the symbolic ref {error.args[0]!r} points back at itself (a symbolic-ref loop)"
    if isinstance(error, RecursionError):
        return (
            "something nests too deep to read: a tree of folders nested hundreds deep, "
            "objects/info/alternates, or ref folders nested thousands deep"
        )
    if isinstance(error, (ApplyDeltaError, UnresolvedDeltas)):
        return (
            "a pack file in .git/objects/pack is damaged: a delta cannot be resolved (its "
            f"base is itself, missing, or part of a cycle of deltas) ({type(error).__name__})"
        )
    if isinstance(error, WrongObjectException):
        return str(error)
    if isinstance(error, MalformedCommitError):
        return f"{error} (`git fsck` reports it as {error.check})"
    if isinstance(error, ObjectFormatException):  # before its base: not a packed-refs error
        return f"an object cannot be read ({error})"
    if isinstance(error, RefFormatError):
        return f"a ref names an invalid ref ({error}); check .git/HEAD and .git/refs"
    if isinstance(error, FileFormatException):  # only packed-refs is read that way
        return f"packed-refs cannot be read ({error})"
    return f"an object cannot be read ({type(error).__name__}: {error})"


@contextmanager
def damage_errors(path: Path | str) -> Iterator[None]:
    """Re-raise a damaged repository's low-level error as a `RepositoryError` about ``path``."""
    try:
        yield
    except (*_DAMAGE, RecursionError) as error:
        _release(error)
        raise damaged(path, _describe(error, Path(path))) from error
    except struct.error as error:
        # dulwich unpacks a pack index's tables with `struct`: one cut short or of garbage
        # ends there. Ours are bugs.
        if not _raised_in(error, "dulwich/pack.py"):
            raise
        _release(error)
        raise damaged(
            path, f"a pack index in .git/objects/pack cannot be read ({error})"
        ) from error
    except ValueError as error:
        # dulwich re-reads .git/config here and there (identity, lock timeouts, remotes),
        # and its parser raises a bare ValueError on a bad line: that one is damage.
        if _raised_in(error, "dulwich/config.py"):
            raise damaged(path, f".git/config cannot be parsed ({error}); fix that line") from error
        if _raised_in(error, "dulwich/object_store.py"):  # its walks read every ref
            raise damaged(
                path, f"a ref holds something other than an object id ({error})"
            ) from error
        raise
    except AssertionError as error:
        # dulwich asserts an object's kind where it walks history itself (merge bases,
        # fast-forward checks): a ref naming a blob or a tree ends there. Ours are bugs.
        if not _raised_in(error, "dulwich/*.py"):
            raise
        _release(error)
        if _raised_in(error, "dulwich/pack.py"):  # a pack cut short, or an index off it
            raise damaged(
                path, f"a pack file in .git/objects/pack is damaged ({str(error) or 'unreadable'})"
            ) from error
        if _raised_in(error, "dulwich/objects.py"):  # a pack entry of no known kind
            raise damaged(path, f"an object cannot be read ({error})") from error
        raise damaged(
            path, "history holds an object of the wrong kind (a ref naming a blob or tree?)"
        ) from error
    except KeyError as error:
        # dulwich's own walks (tree diffs, commit walks) look objects up directly and
        # raise KeyError(<hex id>) for one that is missing; any other KeyError is a bug.
        sha = error.args[0] if error.args else None
        if not (isinstance(sha, bytes) and _HEX_ID.fullmatch(sha)):
            raise
        raise damaged(path, _describe(MissingObjectError(sha), Path(path))) from error


def _release(error: BaseException) -> None:
    """Drop the local variables of the frames ``error`` went through.

    dulwich reads packs through memory maps; a frame that failed while reading one holds a
    view of the map, and the translated error keeps that frame (as its cause) for as long
    as the caller keeps the error, so closing the repository fails with `BufferError`
    ("cannot close exported pointers exist"). The trace itself stays for ``--debug``.
    """
    traceback.clear_frames(error.__traceback__)


def _raised_in(error: BaseException, pattern: str) -> bool:
    """Whether ``error`` was raised in a source file matching ``pattern``."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return False
    return Path(trace.tb_frame.f_code.co_filename).match(pattern)


class _HasPath(Protocol):
    @property
    def path(self) -> Path:
        """The work tree root."""
        ...


H = TypeVar("H", bound=_HasPath)


def translates_damage(method: Callable[Concatenate[H, P], T]) -> Callable[Concatenate[H, P], T]:
    """Decorate a repository method so that a damaged repository gives a `RepositoryError`."""

    def guarded(self: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with damage_errors(self.path):
            return method(self, *args, **kwargs)

    # The method's name, docstring and annotations, so that `inspect.signature` and
    # `typing.get_type_hints` describe the method, not this wrapper.
    functools.update_wrapper(guarded, method)
    return guarded
