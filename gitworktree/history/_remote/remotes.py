"""Remotes: where they are kept, how a name or URL becomes a transport, and its errors.

Remotes live in ``.git/config`` exactly as git keeps them::

    [remote "origin"]
        url = https://git.example.com/team/state.git
        fetch = +refs/heads/*:refs/remotes/origin/*

so ``git remote -v`` and ``git fetch`` see the same remotes. A remote can also be given
as a URL or a local path directly, as with ``git fetch URL``; then no remote-tracking
refs are kept for it. Every transport dulwich speaks works: local paths, ``file://``,
``git://``, ``http(s)://`` and ssh (``ssh://`` or ``user@host:path``; the ``ssh`` command
is ``GIT_SSH_COMMAND``, ``GIT_SSH`` or ``core.sshCommand``, as for git).
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import traceback
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from dulwich.errors import (
    ApplyDeltaError,
    ChecksumMismatch,
    GitProtocolError,
    HangupException,
    NotGitRepository,
    ObjectFormatException,
    WrongObjectException,
)
from dulwich.pack import UnresolvedDeltas
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitworktree.errors import InvalidNameError, RemoteError, RepositoryError
from gitworktree.history._core.damage import damage_errors
from gitworktree.history._core.gitdir import check_git_dir
from gitworktree.history._core.refnames import check_ref_name
from gitworktree.history._refs.refs import branch_ref, delete_ref

if TYPE_CHECKING:
    from dulwich.client import GitClient

__all__ = [
    "Progress",
    "RemoteTarget",
    "absolute_location",
    "add_remote",
    "check_not_checked_out",
    "check_remote_name",
    "check_url",
    "host_damage",
    "list_remotes",
    "looks_like_url",
    "open_client",
    "redact_url",
    "remove_remote",
    "resolve_remote",
    "sent_objects",
    "set_upstream",
    "transport_errors",
    "upstream_branch",
]

#: Receives the remote's progress messages (``"Counting objects: 40% (2/5)\r"``...).
Progress = Callable[[str], None]

_SCP_LIKE = re.compile(r"^[\w.+-]+@[^/:]+:")
_SCHEMES = frozenset({"file", "git", "http", "https", "ssh", "git+ssh", "ssh+git"})


@dataclass(frozen=True)
class RemoteTarget:
    """A remote to talk to.

    Attributes:
        name: the configured remote's name; ``None`` when a URL was given directly.
        url: where it is (as configured, credentials included: never put it in messages).
    """

    name: str | None
    url: str

    @property
    def label(self) -> str:
        """How to name it in messages: the remote's name, or its URL without a password."""
        return self.name if self.name is not None else redact_url(self.url)

    @property
    def public_url(self) -> str:
        """The URL without a password."""
        return redact_url(self.url)


def check_remote_name(name: str) -> str:
    """Check that ``name`` can name a remote (``refs/remotes/<name>/...`` must be valid).

    Raises:
        InvalidNameError: if git would refuse it.
    """
    if "/" in name or name in (".", ".."):
        raise InvalidNameError(
            name, "a remote name is one ref-name component, without '/'", reason="remote-name"
        )
    return check_ref_name(name)


def list_remotes(repo: Repo) -> dict[str, str]:
    """The configured remotes, name -> URL, sorted by name."""
    config = repo.get_config()
    found: dict[str, str] = {}
    for section in config.sections():
        if len(section) == 2 and section[0] == b"remote":
            try:
                found[section[1].decode("utf-8")] = config.get(section, b"url").decode("utf-8")
            except KeyError:
                continue  # a remote section without a URL is not usable
    return dict(sorted(found.items()))


def add_remote(repo: Repo, name: str, url: str) -> None:
    """Add the remote ``name`` at ``url``, with git's default fetch refspec.

    Raises:
        InvalidNameError: if ``name`` cannot name a remote.
        RemoteError: if a remote by that name exists already.
    """
    check_remote_name(name)
    if not url:
        raise RemoteError(name, f"remote {name!r} needs a URL or a path")
    config = repo.get_config()
    section = (b"remote", name.encode("utf-8"))
    if config.has_section(section):
        existing = redact_url(config.get(section, b"url").decode("utf-8", "replace"))
        raise RemoteError(
            name,
            f"remote {name!r} already exists ({existing}); remove it first or use another name",
        )
    config.set(section, b"url", url.encode("utf-8"))
    config.set(section, b"fetch", f"+refs/heads/*:refs/remotes/{name}/*".encode())
    config.write_to_path()


def remove_remote(repo: Repo, name: str) -> None:
    """Remove the remote ``name``, its remote-tracking refs, and upstream settings naming it.

    Raises:
        RemoteError: if there is no remote by that name.
    """
    config = repo.get_config()
    section = (b"remote", name.encode("utf-8"))
    if not config.has_section(section):
        raise RemoteError(name, _unknown_remote_message(repo, name))
    del config[section]
    for other in list(config.sections()):
        if len(other) == 2 and other[0] == b"branch":
            try:
                named = config.get(other, b"remote")
            except KeyError:
                continue
            if named == name.encode("utf-8"):
                del config[other]
    config.write_to_path()
    prefix = Ref(b"refs/remotes/" + name.encode("utf-8"))
    for ref, sha in repo.refs.as_dict(prefix).items():
        delete_ref(repo, Ref(prefix + b"/" + ref), sha)


def resolve_remote(repo: Repo, remote: str) -> RemoteTarget:
    """The configured remote named ``remote``, else ``remote`` itself as a URL or path.

    Raises:
        RemoteError: if ``remote`` is neither a configured remote nor looks like a URL
            or an existing path.
    """
    remotes = list_remotes(repo)
    if remote in remotes:
        url = remotes[remote]
        if not _is_url(url) and not os.path.isabs(os.path.expanduser(url)):
            url = os.path.join(repo.path, url)  # as git does: relative to the work tree
        return RemoteTarget(remote, check_url(remote, url))
    if looks_like_url(remote):
        return RemoteTarget(None, check_url(remote, remote))
    raise RemoteError(remote, _unknown_remote_message(repo, remote))


def check_url(remote: str, url: str) -> str:
    """Refuse URL schemes no transport here speaks (rather than guess a host from them).

    Raises:
        RemoteError: for a scheme other than file, git, http(s) and ssh.
    """
    scheme = url.partition("://")[0].lower() if "://" in url else None
    if scheme is not None and scheme not in _SCHEMES:
        raise RemoteError(
            remote,
            f"unsupported URL scheme {scheme!r} in {redact_url(url)}; use a path, file://, "
            "git://, http(s):// or ssh",
            url=redact_url(url),
        )
    return url


def looks_like_url(location: str) -> bool:
    """Whether ``location`` is a URL, an scp-like ssh address, or a path that exists."""
    return (
        _is_url(location) or location.startswith(("/", "./", "../", "~")) or os.path.isdir(location)
    )


def _is_url(location: str) -> bool:
    return "://" in location or bool(_SCP_LIKE.match(location))


def upstream_branch(repo: Repo, remote: str | None) -> str | None:
    """The remote branch the checked-out branch tracks on ``remote`` (``branch.*.merge``)."""
    if remote is None:
        return None
    config = repo.get_config()
    section = (b"branch", branch_ref(repo).removeprefix(b"refs/heads/"))
    try:
        if config.get(section, b"remote") != remote.encode("utf-8"):
            return None
        merge = config.get(section, b"merge")
    except KeyError:
        return None
    return merge.decode("utf-8").removeprefix("refs/heads/")


def set_upstream(repo: Repo, branch: str, remote: str) -> None:
    """Record that ``branch`` tracks the branch of the same name on ``remote``."""
    config = repo.get_config()
    section = (b"branch", branch.encode("utf-8"))
    config.set(section, b"remote", remote.encode("utf-8"))
    config.set(section, b"merge", f"refs/heads/{branch}".encode())
    config.write_to_path()


@contextmanager
def open_client(repo: Repo | None, target: RemoteTarget) -> Iterator[tuple[GitClient, str]]:
    """A dulwich client for ``target`` and the path to ask it for; closed afterwards."""
    from dulwich.client import get_transport_and_path  # with its network stack: only to transfer

    config = None if repo is None else repo.get_config_stack()
    ssh_command = os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH") or None
    with transport_errors(target):
        client, path = get_transport_and_path(target.url, config=config, ssh_command=ssh_command)
    try:
        yield client, path
    finally:
        client.close()


def check_not_checked_out(client: GitClient, path: str, ref: Ref, target: RemoteTarget) -> None:
    """Refuse to push into the checked-out branch of a local non-bare repository, or
    into a damaged one.

    Moving that branch would leave its work tree and index behind the branch (git
    refuses it too: ``receive.denyCurrentBranch``).

    Raises:
        RemoteError: if ``ref`` is checked out there, or the repository is damaged.
    """
    from dulwich.client import LocalGitClient

    from gitworktree.history._refs.loose import guard_loose_refs

    if not isinstance(client, LocalGitClient):
        return
    with host_damage(path), transport_errors(target), Repo(path) as remote_repo:
        # dulwich's local client reads every ref of the host without these checks: read
        # them here first, so that a FIFO or device among them is refused, not waited on.
        guard_loose_refs(remote_repo)
        remote_repo.get_refs()
        if remote_repo.bare:
            return
        try:
            checked_out = remote_repo.refs.follow(Ref(b"HEAD"))[0][-1]
        except (KeyError, IndexError):
            return
    if checked_out == ref:
        raise RemoteError(
            target.label,
            f"{target.public_url} has {ref.decode('utf-8', 'replace')} checked out in its work "
            "tree; push to a bare repository (git init --bare) or to another branch",
            url=target.public_url,
        )


@contextmanager
def transport_errors(target: RemoteTarget) -> Iterator[None]:
    """Turn dulwich's and the network's errors into a `RemoteError` naming the remote."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized

    where = target.public_url
    try:
        yield
    except NotGitRepository as err:
        raise _error(
            target, f"{where} is not a Git repository ({err}); check the URL or path"
        ) from err
    except HangupException as err:
        detail = f": {err}" if str(err) else ""
        raise _error(target, f"{where} hung up unexpectedly{detail}") from err
    except (HTTPUnauthorized, HTTPProxyUnauthorized) as err:
        raise _error(
            target, f"{where} needs authentication: put credentials in the URL or a git "
            "credential store, or use an ssh URL",
        ) from err  # fmt: skip
    except GitProtocolError as err:
        reason = _network_failure(err)
        if reason is not None:  # HTTP(S): the host was never reached
            raise _error(target, f"cannot reach {where}: {reason}; {_CHECK}") from err
        raise _error(target, f"{where}: {err}") from err
    except ObjectFormatException as err:  # a tree or commit no git would write
        raise _malformed(target, err) from err
    except (ApplyDeltaError, UnresolvedDeltas, ChecksumMismatch, zlib.error) as err:
        raise _damaged_pack(target, err) from err
    except (AssertionError, struct.error) as err:
        # dulwich asserts (and unpacks with `struct`) while it indexes a received pack:
        # a pack cut short or of garbage ends there. Anywhere else it is a bug.
        if not _raised_in_pack_code(err):
            raise
        raise _damaged_pack(target, err) from err
    except NotImplementedError as err:
        # dulwich's one unsupported transfer: a push to a "dumb" HTTP host (static files
        # only, no git-receive-pack), which git cannot push to without WebDAV either.
        raise _error(
            target,
            f"{where} is a dumb HTTP host (static files, no git service): it can be "
            "fetched from but not pushed to; push over smart HTTP, ssh or a local path",
        ) from err
    except OSError as err:
        reason = err.strerror or str(err) or type(err).__name__
        raise _error(target, f"cannot reach {where}: {reason}; {_CHECK}") from err


_CHECK = "check the URL and the network, then retry"


@contextmanager
def host_damage(path: str) -> Iterator[None]:
    """Read the repository at ``path`` on this machine as a remote: its damage (a FIFO
    or ``/dev/zero`` where git keeps a file, a ``.git`` file naming no repository, a
    delta cycle in a pack, a commit git's ``fsck`` rejects, ...) is a `RemoteError`
    naming the remote, not a raw error nor damage reported against our repository.

    The remote's git directory is checked before dulwich opens it (see `check_git_dir`).
    """
    try:
        with damage_errors(path):
            check_git_dir(path)
            yield
    except RepositoryError as err:
        if err.reason != "damaged":
            raise
        what = str(err)
        if err.path == path:  # else it names the file inside the remote: kept
            what = what.removeprefix(f"{path}: ").removeprefix("the repository is damaged: ")
        raise RemoteError(
            path, f"{path} (the remote) is damaged: {what}; nothing was changed here"
        ) from err


@contextmanager
def sent_objects(target: RemoteTarget) -> Iterator[None]:
    """Read what ``target`` sent: an object no git would write is the remote's fault."""
    try:
        yield
    except (ObjectFormatException, WrongObjectException) as err:  # a file entry naming a tree
        raise _malformed(target, err) from err
    except RecursionError as err:  # recent git refuses such trees too (core.maxTreeDepth)
        raise _error(
            target, f"{target.public_url} sent a tree of folders nested too deep to check "
            "out; nothing was changed",
        ) from err  # fmt: skip


def _damaged_pack(target: RemoteTarget, err: Exception) -> RemoteError:
    _close_spooled_pack(err)
    detail = str(err) or type(err).__name__
    return _error(
        target, f"{target.public_url} sent a damaged pack ({detail[:200]}); nothing was "
        "changed. Retry; if it happens again, run 'git fsck' there, or ask who maintains it",
    )  # fmt: skip


def _close_spooled_pack(err: BaseException) -> None:
    """Close the temporary file dulwich's fetch spooled a refused pack into.

    dulwich does not close it when indexing the pack fails (its commit step has no
    ``finally``); the failing frames, kept by the error, hold it until some later
    garbage collection, which then warns (`ResourceWarning`) where nobody can act.
    """
    trace = err.__traceback__
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, tempfile.SpooledTemporaryFile):
                value.close()
        trace = trace.tb_next
    traceback.clear_frames(err.__traceback__)  # and the views of any pack mapped


def _raised_in_pack_code(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace is not None and Path(trace.tb_frame.f_code.co_filename).match("dulwich/pack.py")


def _malformed(target: RemoteTarget, err: Exception) -> RemoteError:
    return _error(
        target, f"{target.public_url} sent a malformed object ({err}); nothing was changed. "
        "Run 'git fsck' there, or ask who maintains it",
    )  # fmt: skip


def _network_failure(err: GitProtocolError) -> str | None:
    """Why an HTTP(S) request never reached the host, in a few words; ``None`` otherwise.

    dulwich turns urllib3's connection errors into a `GitProtocolError` holding urllib3's
    whole retry report; what the person can act on is the last cause.
    """
    try:
        from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError
    except ImportError:  # no HTTP client installed: the error did not come from one
        return None
    cause = err.__cause__
    if isinstance(cause, MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    if isinstance(cause, NameResolutionError):
        return f"the host name {cause.conn.host!r} does not resolve"
    # Connecting failed (NewConnectionError is one of these too); a host that answered
    # with errors, or a TLS failure, keeps dulwich's full message.
    if not isinstance(cause, ConnectTimeoutError):
        return None
    below = cause.__cause__
    if isinstance(below, OSError) and below.strerror:
        return below.strerror
    return "the connection timed out" if type(cause) is ConnectTimeoutError else "no connection"


def redact_url(url: str) -> str:
    """``url`` without the password of its user part (``https://user:***@host/...``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def absolute_location(url: str) -> str:
    """A local path made absolute (so a clone still finds it from elsewhere); URLs as given."""
    if _is_url(url):
        return url
    return str(Path(url).expanduser().resolve())


def _error(target: RemoteTarget, message: str) -> RemoteError:
    return RemoteError(target.label, message, url=target.public_url)


def _unknown_remote_message(repo: Repo, name: str) -> str:
    known = ", ".join(list_remotes(repo)) or "none"
    return (
        f"no remote named {name!r} (configured: {known}); add one with "
        "Repository.add_remote(name, url), or give a URL or path"
    )
