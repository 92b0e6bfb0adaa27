"""Who and when: the author and committer lines of new commits and reflog entries."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from dulwich.config import Config

from gitworktree.errors import InvalidNameError

__all__ = ["DEFAULT_IDENTITY", "Signature", "check_identity", "repository_identity"]

DEFAULT_IDENTITY = "gitworktree <gitworktree@localhost>"
_IDENTITY = re.compile(r"[^<>\n\0]*[^<>\s\0] <[^<>\n\0]*>")


@dataclass(frozen=True)
class Signature:
    """An identity with a moment: what git writes as ``Name <email> 1700000000 +0100``.

    Attributes:
        identity: ``"Name <email>"``.
        timestamp: seconds since the epoch.
        offset: the local UTC offset in seconds (east positive), as git records it.
    """

    identity: str
    timestamp: int
    offset: int

    @classmethod
    def now(cls, identity: str) -> Signature:
        """The identity, signing at the current time in the local time zone."""
        moment = int(time.time())
        return cls(identity, moment, time.localtime(moment).tm_gmtoff)

    @property
    def raw(self) -> bytes:
        """The identity as bytes, as dulwich takes it."""
        return self.identity.encode("utf-8")


def check_identity(identity: str) -> str:
    """Check that ``identity`` reads ``Name <email>``.

    Raises:
        InvalidNameError: if it does not.
    """
    if not _IDENTITY.fullmatch(identity):
        raise InvalidNameError(identity, "an author is written 'Name <email>'")
    return identity


def repository_identity(config: Config | Callable[[], Config], kind: str = "COMMITTER") -> str:
    """The identity git itself would use: environment, then ``user.*`` config, then ours.

    ``GIT_<KIND>_NAME`` / ``GIT_<KIND>_EMAIL`` win over ``user.name`` / ``user.email``, as
    in git; when neither gives a value, `DEFAULT_IDENTITY`'s parts are used, never the
    host's user name (commits should not leak it).

    Args:
        config: the repository's config stack, or a function that reads it: then it is
            read only when the environment does not give both name and email (reading
            the stack opens and parses every config file, on every commit).
        kind: ``"AUTHOR"`` or ``"COMMITTER"``.
    """
    default_name, _, default_email = DEFAULT_IDENTITY.partition(" <")
    name = os.environ.get(f"GIT_{kind}_NAME")
    email = os.environ.get(f"GIT_{kind}_EMAIL")
    if not (name and email):
        stack = config() if callable(config) else config
        name = name or _config_value(stack, "name") or default_name
        email = email or _config_value(stack, "email") or default_email.rstrip(">")
    # git strips the characters that would break the "Name <email>" line (ident.c)
    email = "".join(char for char in email if char not in "<>\n\0").strip()
    name = " ".join("".join(char for char in name if char not in "<>\0").split()) or default_name
    return f"{name} <{email}>"


def _config_value(config: Config, name: str) -> str | None:
    try:
        value = config.get(("user",), name)
    except KeyError:
        return None
    return value.decode("utf-8", "replace").strip() or None
