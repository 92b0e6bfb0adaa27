"""Refs and reflogs: reading the branch, moving it by compare-and-swap, logging the move.

dulwich writes a reflog entry only for the ref it updates (and only when given a
message); git also logs every move of the checked-out branch under ``HEAD``. Both logs
are written here, so that ``git reflog`` shows our commits, restores and resets.

Which reflogs are made follows ``core.logAllRefUpdates`` as git reads it
(refs/files-backend.c ``log_ref_setup``): a reflog that exists is always appended to; a
missing one is made for ``HEAD``, branches, remote-tracking branches and notes (unset or
true), for every ref (``always``), or never (``false``). See `reflog_wanted`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dulwich.errors import FileFormatException
from dulwich.file import FileLocked, adjust_shared_perm
from dulwich.objects import ZERO_SHA, ObjectID
from dulwich.reflog import format_reflog_line
from dulwich.refs import SYMREF, Ref, SymrefLoop
from dulwich.repo import Repo

from gitworktree.errors import ConflictError, InvalidNameError, RepositoryError
from gitworktree.history._core.damage import damaged, is_object_id
from gitworktree.history._core.plainfiles import is_plain_file
from gitworktree.history._core.refnames import check_ref_name

if TYPE_CHECKING:
    from dulwich.file import SharedPerm

    from gitworktree.history._core.identity import Signature

__all__ = [
    "HEAD",
    "add_ref_if_new",
    "advance_branch",
    "append_reflog",
    "branch_ref",
    "delete_ref",
    "first_commit_not_moved_here",
    "forget_move",
    "read_ref",
    "reflog_wanted",
    "swap_ref",
]

HEAD = Ref(b"HEAD")

# Not blocking: a FIFO planted where a reflog is would block a plain open (git's too)
# while we hold the ref's lock; it is refused below instead.
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK

#: The refs whose reflog git makes unasked, when ``core.logAllRefUpdates`` is unset or true.
_LOGGED_BY_DEFAULT = (b"refs/heads/", b"refs/remotes/", b"refs/notes/")

log = logging.getLogger("gitworktree")

#: Per open repository (one dulwich ``Repo`` per `Repository`): every move of a branch
#: it made, new id -> the ids it moved from (``None``: the branch was created), so that a
#: checkpoint's guard can tell this writer's commits from anyone else's.
_MOVES: weakref.WeakKeyDictionary[Repo, dict[ObjectID, set[ObjectID | None]]] = (
    weakref.WeakKeyDictionary()
)
#: The moves remembered per repository: the oldest are forgotten past this (a guard then
#: sees the commits they made as someone else's, and refuses rather than undo them).
_MOVES_KEPT = 100_000


def _remember_move(repo: Repo, old: ObjectID | None, new: ObjectID) -> None:
    moves = _MOVES.setdefault(repo, {})
    moves.setdefault(new, set()).add(old)
    while len(moves) > _MOVES_KEPT:
        del moves[next(iter(moves))]


def forget_move(repo: Repo, new: ObjectID) -> None:
    """Count the move of the branch to ``new`` as not this writer's own.

    For a pull: the move is made here, but the commits it brings (fast-forwarded to, or
    merged in under a merge commit) are someone else's, and a checkpoint's guard
    restoring past them would revert their work (and a push would spread that).
    """
    _MOVES.get(repo, {}).pop(new, None)


def first_commit_not_moved_here(
    repo: Repo, head: ObjectID | None, target: ObjectID
) -> ObjectID | None:
    """The first commit between ``target`` and ``head`` that this repository object did
    not move its branch to; ``None`` if its own moves lead from ``head`` back to ``target``.

    Only moves made through ``repo`` (commits and restores by this `Repository`) count:
    a person's ``git commit``, another process's, or one a pull brought in is someone
    else's.
    """
    if head is None or head == target:
        return None
    moves = _MOVES.get(repo, {})
    seen: set[ObjectID | None] = {head}
    frontier: list[ObjectID | None] = [head]
    dead_end: ObjectID | None = None
    while frontier:
        current = frontier.pop(0)
        if current == target:
            return None
        olds = moves.get(current) if current is not None else None
        if not olds:
            dead_end = dead_end or current
            continue
        for old in olds:
            if old not in seen:
                seen.add(old)
                frontier.append(old)
    return dead_end or head


def branch_ref(repo: Repo) -> Ref:
    """The branch HEAD points at, e.g. ``refs/heads/main`` (it may not exist yet).

    Raises:
        RepositoryError: if HEAD is detached or not a branch.
    """
    branch = _plain_branch(repo)
    if branch is not None:
        return branch
    try:
        chain, sha = repo.refs.follow(HEAD)
    except SymrefLoop as err:
        raise damaged(repo.path, "HEAD is a symbolic-ref loop") from err
    except (KeyError, FileFormatException) as err:
        raise damaged(repo.path, f"HEAD cannot be read ({err})") from err
    target = chain[-1]
    if len(chain) < 2 and sha is not None and not is_object_id(sha):
        raise damaged(repo.path, f"HEAD holds {sha[:60]!r}, neither a ref nor an object id")
    if len(chain) < 2 or not target.startswith(b"refs/heads/"):
        raise RepositoryError(
            repo.path,
            "HEAD is detached (not on a branch); check out a branch, e.g. `git switch main`",
        )
    return target


def _plain_branch(repo: Repo) -> Ref | None:
    """The usual case of `branch_ref`, in two small reads: HEAD names ``refs/heads/<x>``
    by a valid name, and that branch is not itself a symbolic ref. ``None`` otherwise
    (dulwich then follows the chain, and anything unusual is reported as before).
    """
    head = _read_small(repo.refs.refpath(HEAD))  # type: ignore[attr-defined]
    if head is None or not head.startswith(b"ref:"):
        return None
    # As git reads it: "ref:", any blanks, the name, trailing blanks ignored (dulwich
    # keeps them, and then reads a HEAD git accepts as an unborn branch).
    branch = head.split(b"\n", 1)[0][len(b"ref:") :].strip()
    if not branch.startswith(b"refs/heads/"):
        return None
    try:
        check_ref_name(branch.decode("utf-8"))
    except (InvalidNameError, UnicodeDecodeError):
        return None
    content = _read_small(repo.refs.refpath(branch))  # type: ignore[attr-defined]
    if content is not None and content.startswith(SYMREF):
        return None
    return Ref(branch)


def _read_small(path: str | bytes) -> bytes | None:
    """The first 4 KiB of a file (a ref, HEAD); ``None`` if there is none.

    With plain descriptor calls: a buffered file object costs three more system calls
    (``ioctl``, ``lseek`` and a second ``fstat``), and a commit reads refs four times.
    Opened without blocking and checked with one ``fstat``: a FIFO at a ref would block
    a plain ``open`` forever (git hangs on it too), and is refused as damage instead.

    Raises:
        RepositoryError: for a FIFO, device or socket where the ref is.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        if not is_plain_file(path, os.fstat(fd).st_mode):
            return None  # a directory is no loose ref: git reads the packed one instead
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def read_ref(repo: Repo, ref: Ref) -> ObjectID | None:
    """The id ``ref`` points at (following symbolic refs), or ``None`` if it does not exist.

    Raises:
        RepositoryError: if the ref store is damaged: a symbolic-ref loop, unreadable
            ``packed-refs``, or a ref file holding something other than an object id.
    """
    if ref == HEAD:
        branch = _plain_branch(repo)  # HEAD as git reads it, in the usual case
        if branch is not None:
            return read_ref(repo, branch)
    name = ref.decode("utf-8", "replace")
    loose = _read_small(repo.refs.refpath(ref)) if ref.startswith(b"refs/") else None  # type: ignore[attr-defined]
    if loose and not loose.startswith(SYMREF):
        # 40 hex digits, then the end or whitespace: anything else right after the id
        # makes the branch broken to git, so it must not be committed on.
        sha = ObjectID(_as_git_reads(loose))
        if not is_object_id(sha):
            raise damaged(repo.path, f"{name} holds {sha[:60]!r}, not an object id")
        return sha
    try:
        sha = repo.refs[ref]
    except KeyError:
        return None
    except SymrefLoop as err:
        raise damaged(repo.path, f"{name} is a symbolic-ref loop") from err
    except FileFormatException as err:  # packed-refs with a line that is not "<id> <ref>"
        raise damaged(repo.path, f"packed-refs cannot be read ({err})") from err
    sha = ObjectID(_as_git_reads(sha))
    if not is_object_id(sha):
        raise damaged(repo.path, f"{name} holds {sha[:60]!r}, not an object id")
    return sha


def _as_git_reads(value: bytes) -> bytes:
    """A loose ref's id as git reads it: 40 hex digits in either case, then the end or any
    whitespace and whatever follows (refs/files-backend.c ``parse_loose_ref_contents``,
    ``get_oid_hex``), so that a file edited by hand (``<id> \\n``, an upper-case id) is
    the ref git says it is, in lower case; else ``value``.
    """
    if len(value) < 40 or (len(value) > 40 and not value[40:41].isspace()):
        return value
    head = value[:40]
    if is_object_id(head):
        return head
    lowered = head.lower()
    return lowered if is_object_id(lowered) else value


def advance_branch(
    repo: Repo,
    ref: Ref,
    old: ObjectID | None,
    new: ObjectID,
    *,
    signature: Signature,
    message: str,
) -> None:
    """Move branch ``ref`` from ``old`` to ``new`` atomically, logging it for the ref and HEAD.

    Args:
        repo: the repository.
        ref: the branch HEAD points at.
        old: the id the branch must still point at; ``None`` if it must not exist yet.
        new: the id to point it at.
        signature: who moves it, and when (for the reflog).
        message: the reflog message, e.g. ``commit: Add notes``.

    Raises:
        ConflictError: if the branch no longer points at ``old``; nothing was changed.
        RepositoryError: if a new branch cannot be created because another ref holds
            its name as a folder (``main/x`` for ``main``) or the reverse.
        dulwich.file.FileLocked: if the ref's lock file exists.
    """
    who, when, zone = signature.raw, signature.timestamp, signature.offset

    def logged() -> bytes | None:  # dulwich logs whenever it is given a message
        return message.encode("utf-8") if reflog_wanted(repo, ref) else None

    if old is None:
        with contextlib.suppress(OSError):  # an empty directory in the way: as git, remove it
            os.rmdir(repo.refs.refpath(ref))  # type: ignore[attr-defined]
        moved = repo.refs.add_if_new(ref, new, who, when, zone, logged())
        if moved:  # dulwich leaves a new ref file as the umask has it
            with contextlib.suppress(OSError):
                adjust_shared_perm(repo.refs.refpath(ref), _shared_perm(repo))  # type: ignore[attr-defined]
    else:
        swapped = _swap_loose_ref(repo, ref, old, new, signature=signature, message=message)
        if swapped is None:  # a branch that is itself a symbolic ref: dulwich follows it
            swapped = repo.refs.set_if_equals(ref, old, new, who, when, zone, logged())
        moved = swapped
    if not moved and old is None:
        in_the_way = _ref_in_the_way(repo, ref)
        if in_the_way is not None and in_the_way != ref:  # no retry can make room for it
            raise RepositoryError(
                repo.path,
                f"{in_the_way.decode('utf-8', 'replace')} exists, so the branch "
                f"{ref.decode('utf-8', 'replace')} cannot be created (git keeps no ref "
                "inside another's name); nothing was written — rename one of them "
                "(`git branch -m`) and retry",
            )
    if not moved:
        name = ref.decode("utf-8", "replace")
        raise ConflictError(
            f"{name} moved while this commit was prepared (expected "
            f"{(old or b'no commit').decode()}); nothing was written — re-sync and retry",
            ref=name,
        )
    _remember_move(repo, old, new)
    try:
        append_reflog(repo, HEAD, old, new, signature=signature, message=message)
    except OSError as error:
        # The branch has moved: the move stands, only git's record of it under HEAD is
        # missing (the branch's own reflog has it).
        log.warning("%s moved to %s, but HEAD's reflog could not be written: %s",
                    ref.decode("utf-8", "replace"), new.decode("ascii"), error)  # fmt: skip


def _swap_loose_ref(
    repo: Repo,
    ref: Ref,
    old: ObjectID,
    new: ObjectID,
    *,
    signature: Signature,
    message: str,
) -> bool | None:
    """Point ``ref`` at ``new`` if it points at ``old``, the way git does it.

    ``<ref>.lock`` is created exclusively, the ref is read again under it (the loose
    file, else ``packed-refs``), the new id is written and flushed, the move is logged
    in the ref's reflog, and the lock is renamed over the ref. dulwich's
    ``set_if_equals`` does the same with twice the system calls (it reads the ref twice
    under the lock and the config files again for its reflog entry).

    Returns:
        Whether it moved; ``None`` if the loose ref is a symbolic ref, which this leaves
        to dulwich (nothing was changed).

    Raises:
        dulwich.file.FileLocked: if the ref's lock file exists.
    """

    def log_it() -> None:
        append_reflog(repo, ref, old, new, signature=signature, message=message)

    refused = _write_under_lock(repo, ref, new, _expecting(repo, ref, old), before_rename=log_it)
    return True if refused is None else (None if refused == "symbolic" else False)


def swap_ref(repo: Repo, ref: Ref, old: ObjectID, new: ObjectID) -> bool:
    """Point ``ref`` at ``new`` if it points at ``old`` (compare-and-swap), unlogged.

    As dulwich's ``set_if_equals`` without a message, by git's protocol (`_swap_loose_ref`)
    in half its system calls: a LangGraph checkpoint moves its ref at every ``put``. A
    ref that is itself a symbolic ref is left to dulwich, which follows it.

    Returns:
        Whether it moved (``False``: it no longer points at ``old``; nothing was changed).

    Raises:
        dulwich.file.FileLocked: if the ref's lock file exists.
    """

    refused = _write_under_lock(repo, ref, new, _expecting(repo, ref, old))
    if refused == "symbolic":
        return bool(repo.refs.set_if_equals(ref, old, new))
    return refused is None


def _expecting(repo: Repo, ref: Ref, old: ObjectID) -> Callable[[bytes], str | None]:
    """The check a compare-and-swap of ``ref`` makes under its lock: ``"moved"`` if the ref
    is gone or points elsewhere than ``old``, ``"symbolic"`` if it is a symbolic ref (left
    to dulwich), ``None`` to write."""

    def refuse(path: bytes) -> str | None:
        current = _read_loose_or_packed(repo, ref, path)
        if current is None or not is_object_id(current):
            return "moved" if current is None else "symbolic"
        return None if current == old else "moved"

    return refuse


R = TypeVar("R")


def _write_under_lock(
    repo: Repo,
    ref: Ref,
    sha: ObjectID,
    refuse: Callable[[bytes], R | None],
    *,
    before_rename: Callable[[], None] | None = None,
) -> R | None:
    """Write ``sha`` into ``ref`` by git's protocol, unless ``refuse`` objects under the lock.

    ``<ref>.lock`` is created exclusively (its folders made if missing), ``refuse`` is
    asked with the ref's path while it is held, the id is written and flushed, then
    ``before_rename`` runs (a reflog entry, written under the lock as git writes it)
    and the lock is renamed over the ref. Whatever fails, the lock goes.

    Returns:
        ``None`` once written; else what ``refuse`` returned, nothing written.

    Raises:
        dulwich.file.FileLocked: if the ref's lock file exists.
    """
    path = repo.refs.refpath(ref)  # type: ignore[attr-defined]
    lock = path + b".lock"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        fd = os.open(lock, flags, 0o644)
    except FileExistsError:
        raise FileLocked(path, lock) from None
    except FileNotFoundError:  # a ref in a folder not made yet (or only in packed-refs)
        _make_folders(repo, os.fsdecode(os.path.dirname(path)))
        try:
            fd = os.open(lock, flags, 0o644)
        except FileExistsError:
            raise FileLocked(path, lock) from None
    try:
        try:
            refused = refuse(path)
            if refused is None:
                os.write(fd, sha + b"\n")
                os.fsync(fd)
        finally:
            os.close(fd)
        if refused is None:
            if before_rename is not None:
                before_rename()
            adjust_shared_perm(lock, _shared_perm(repo))
            try:
                os.replace(lock, path)
            except IsADirectoryError:
                # An empty directory where the ref goes (left by a deleted ``<ref>/x``):
                # git removes it and writes the ref; one that holds refs stays in the way.
                os.rmdir(path)
                os.replace(lock, path)
            return None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        raise
    os.unlink(lock)
    return refused


def _read_loose_or_packed(repo: Repo, ref: Ref, path: bytes) -> bytes | None:
    """What ``ref`` holds: its loose file's first line, else its ``packed-refs`` line."""
    content = _read_small(path)
    if content is None:
        packed = repo.refs.get_packed_refs().get(ref)
        return None if packed is None else _as_git_reads(packed)
    return _as_git_reads(content.rstrip(b"\r\n"))


def add_ref_if_new(repo: Repo, ref: Ref, sha: ObjectID) -> Ref | None:
    """Create the loose ref ``ref`` at ``sha`` unless a ref is in its way.

    git's protocol: ``<ref>.lock`` created exclusively, the refs looked at again under
    it (a git process may have made one since), the id written and flushed to disk, the
    lock renamed over the ref. No reflog entry: see `append_reflog`. (dulwich's
    ``add_if_new`` takes twice the system calls, reads the config again for its reflog
    entry, and misses the folder conflicts below.)

    Returns:
        ``None`` once created; else the ref in the way: ``ref`` itself (loose or packed),
        a ref named like one of its folders (``a`` for ``a/b``), or a ref inside the
        folder it would name (``a/b`` for ``a``) — git keeps no two such refs.

    Raises:
        dulwich.file.FileLocked: if the ref's lock file exists, or a lock file of a ref
            inside its folder does (a write in progress there).
    """
    in_the_way = _ref_in_the_way(repo, ref)
    if in_the_way is not None:
        return in_the_way
    # Looked at again under the lock: a git process may have made one since.
    return _write_under_lock(repo, ref, sha, lambda path: _ref_in_the_way(repo, ref))


def _ref_in_the_way(repo: Repo, ref: Ref) -> Ref | None:
    packed = repo.refs.get_packed_refs()
    parts = ref.split(b"/")
    for end in range(2, len(parts) + 1):  # refs/x, refs/x/y, ..., ref itself
        name = Ref(b"/".join(parts[:end]))
        if name in packed or os.path.isfile(repo.refs.refpath(name)):  # type: ignore[attr-defined]
            return name
    inside = next((name for name in packed if name.startswith(ref + b"/")), None)
    if inside is not None:
        return Ref(inside)
    folder = repo.refs.refpath(ref)  # type: ignore[attr-defined]
    for directory, _, files in os.walk(folder, topdown=False):
        refs = sorted(name for name in files if not name.endswith(b".lock"))
        if refs:
            relative = os.path.relpath(os.path.join(directory, refs[0]), folder)
            return Ref(ref + b"/" + relative.replace(os.fsencode(os.sep), b"/"))
        if files:  # only lock files: a ref in there is being written
            lock = os.path.join(directory, min(files))
            raise FileLocked(lock.removesuffix(b".lock"), lock)
        with contextlib.suppress(OSError):
            os.rmdir(directory)  # a folder left empty: git removes those too
    return None


def append_reflog(
    repo: Repo,
    ref: Ref,
    old: ObjectID | None,
    new: ObjectID,
    *,
    signature: Signature,
    message: str,
    create: bool = False,
) -> None:
    """Append one entry to the reflog of ``ref`` (``HEAD`` lives in the git directory).

    A reflog that does not exist yet is made only where git would make it (see
    `reflog_wanted`), or with ``create`` unless ``core.logAllRefUpdates`` is false.

    Args:
        repo: the repository.
        ref: ``HEAD`` or a full ref name.
        old: the previous id, ``None`` for a new ref.
        new: the new id.
        signature: who moved it, and when.
        message: the reflog message.
        create: make the reflog of a ref git would not log unasked (a checkpoint), as
            ``git update-ref --create-reflog`` does.
    """
    path = _reflog_path(repo, ref)
    line = format_reflog_line(
        old or ZERO_SHA,
        new,
        signature.raw,
        signature.timestamp,
        signature.offset,
        message.encode("utf-8"),
    )
    line += b"\n"
    try:
        # Appended to if it exists, whatever the config says, as git does: the usual
        # case costs one system call and no config read.
        fd = os.open(path, _APPEND)
    except OSError as err:
        if err.errno == errno.ENXIO:  # a FIFO nobody reads: said plainly, not "no device"
            raise OSError(errno.EINVAL, "a FIFO where the reflog is", os.fspath(path)) from err
        if not isinstance(err, FileNotFoundError):
            raise
        if not _may_create_reflog(repo, ref, create=create):
            return
        try:
            fd = os.open(path, _APPEND | os.O_CREAT, 0o666)
        except FileNotFoundError:  # the first entry of this ref: make its folder
            _make_folders(repo, str(path.parent))
            fd = os.open(path, _APPEND | os.O_CREAT, 0o666)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO with a reader, a device
            raise OSError(errno.EINVAL, "a special file where the reflog is", os.fspath(path))
    except OSError:
        os.close(fd)
        raise
    perm = _shared_perm(repo)
    if perm is not None:  # it may have just been made: widen it as git does
        adjust_shared_perm(path, perm)
    try:
        written = 0
        while written < len(line):
            written += os.write(fd, line[written:])
    finally:
        os.close(fd)


def reflog_wanted(repo: Repo, ref: Ref) -> bool:
    """Whether git would log a move of ``ref``: its reflog exists, or git would make it.

    For moves made through dulwich (which logs whenever it is given a message): pass the
    message only where this is true.
    """
    return _reflog_path(repo, ref).is_file() or _may_create_reflog(repo, ref, create=False)


def _may_create_reflog(repo: Repo, ref: Ref, *, create: bool) -> bool:
    """Whether a missing reflog of ``ref`` is made, as ``core.logAllRefUpdates`` says."""
    setting = _log_all_ref_updates(repo)
    if setting == "always":
        return True
    if setting == "false":
        return False
    return create or ref == HEAD or ref.startswith(_LOGGED_BY_DEFAULT)


def _log_all_ref_updates(repo: Repo) -> str:
    """``core.logAllRefUpdates``: ``"always"``, ``"false"``, or ``"true"`` (also when unset:
    a repository with a work tree; bare ones are refused before anything is written).

    Read only when a reflog is missing, which is rare (a ref's first move). A value git
    would refuse, or a config that cannot be read, counts as unset: this runs while a
    ref is being moved, where raising would leave the move half logged.
    """
    try:
        value = repo.get_config_stack().get(("core",), "logAllRefUpdates")
    except (KeyError, ValueError):
        return "true"
    value = value.strip().lower()
    if value == b"always":
        return "always"
    if value in (b"false", b"no", b"off", b"0"):
        return "false"
    return "true"


def _shared_perm(repo: Repo) -> SharedPerm | None:
    """``core.sharedRepository``, as dulwich read it when it opened the object store."""
    return getattr(repo.object_store, "shared_perm", None)


def _make_folders(repo: Repo, directory: str) -> None:
    """Make ``directory`` and its missing parents, widened for ``core.sharedRepository``
    as git widens them, so that the group's next ``git commit`` can lock and log in them.
    """
    missing: list[str] = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    perm = _shared_perm(repo)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)
            adjust_shared_perm(folder, perm)


def delete_ref(repo: Repo, ref: Ref, old: ObjectID) -> bool:
    """Delete ``ref`` if it still points at ``old``, and its reflog, as ``git`` does.

    Returns:
        Whether the ref was deleted (``False`` if it had moved or was gone).
    """
    if not repo.refs.remove_if_equals(ref, old):
        return False
    path = _reflog_path(repo, ref)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    logs = Path(repo.commondir()) / "logs" / "refs"
    parent = path.parent
    while parent != logs and logs in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return True


def _reflog_path(repo: Repo, ref: Ref) -> Path:
    base = repo.controldir() if ref == HEAD else repo.commondir()
    return Path(base) / "logs" / os.fsdecode(ref)
