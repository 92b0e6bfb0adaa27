"""Who and when: the author and committer lines of new commits and reflog entries."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from dulwich.config import Config

from gitworktree.errors import InvalidNameError

__all__ = [
    "DEFAULT_IDENTITY",
    "Signature",
    "check_identity",
    "parse_git_date",
    "repository_identity",
]

DEFAULT_IDENTITY = "gitworktree <gitworktree@localhost>"
# Patterns, compiled by their first use (and kept in re's cache): a process that only
# reads history never checks an identity or parses a date.
_IDENTITY = r"[^<>\n\0]*[^<>\s\0] <[^<>\n\0]*>"
# git's own format: "@1700000000 +0100"; without "@", a number of 9+ digits is seconds too.
_RAW_DATE = r"(?:@(\d+)|(\d{9,}))(?:\s+([+-])(\d\d):?(\d\d))?"
_ISO_DATE = r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(Z|[+-]\d\d:?\d\d)?"
_MAX_OFFSET = 14 * 3600 + 59 * 60  # git's time zones run from -1459 to +1459


class Signature(NamedTuple):
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
    def now(cls, identity: str, kind: str = "COMMITTER") -> Signature:
        """The identity, signing now in the local time zone, or when git is told to.

        As git does, a non-empty ``GIT_<KIND>_DATE`` gives the moment instead (see
        `parse_git_date` for the formats).

        Args:
            identity: ``"Name <email>"``.
            kind: ``"AUTHOR"`` or ``"COMMITTER"`` (the committer's date also dates reflog
                entries, as in git).

        Raises:
            InvalidNameError: ``GIT_<KIND>_DATE`` is set to something that is not a date.
        """
        variable = f"GIT_{kind}_DATE"
        given = os.environ.get(variable, "").strip()
        if given:
            return cls(identity, *parse_git_date(given, variable))
        moment = int(time.time())
        return cls(identity, moment, time.localtime(moment).tm_gmtoff)

    @property
    def raw(self) -> bytes:
        """The identity as bytes, as dulwich takes it."""
        return self.identity.encode("utf-8")


def parse_git_date(value: str, variable: str = "date") -> tuple[int, int]:
    """A date as git reads ``GIT_AUTHOR_DATE``/``GIT_COMMITTER_DATE``: (seconds, offset).

    The formats git documents (``git commit --help``, DATE FORMATS): its internal
    ``@<seconds> <+hhmm>`` (also without ``@`` for 9+ digits; no zone means UTC), RFC 2822
    (``Thu, 07 Apr 2005 22:13:13 +0200``) and ISO 8601 (``2005-04-07T22:13:13+02:00``,
    ``T`` or a space; no zone means the local one, as in git).

    Returns:
        Seconds since the epoch, and the UTC offset in seconds (east positive).

    Raises:
        InvalidNameError: ``value`` is none of those, or its zone is out of range.
    """
    text = value.strip()
    found = _parse_raw(text) or _parse_rfc2822(text) or _parse_iso(text)
    if found is None or abs(found[1]) > _MAX_OFFSET:
        raise InvalidNameError(
            value,
            f"{variable} is not a date git reads; give '@<unix seconds> <+hhmm>', RFC 2822 "
            "('Thu, 07 Apr 2005 22:13:13 +0200') or ISO 8601 ('2005-04-07T22:13:13+02:00')",
            reason="date",
        )
    return found


def _parse_raw(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(_RAW_DATE, text)
    if match is None:
        return None
    seconds = int(match.group(1) or match.group(2))
    sign, hours, minutes = match.group(3, 4, 5)
    offset = 0 if sign is None else int(hours) * 3600 + int(minutes) * 60
    return seconds, -offset if sign == "-" else offset


def _parse_rfc2822(text: str) -> tuple[int, int] | None:
    if not text[:1].isalpha() and "," not in text:
        return None  # RFC 2822 starts with a day name (or the day of the month and a name)
    import email.utils  # with it the socket module: only for a date written this way

    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    if parsed[9] is None:  # no zone: the local one, as git takes it
        moment = datetime(*parsed[:6]).astimezone()
        return int(moment.timestamp()), _offset_of(moment)
    return int(email.utils.mktime_tz(parsed)), parsed[9]


def _parse_iso(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(_ISO_DATE, text, re.IGNORECASE)
    if match is None:
        return None
    day, clock, zone = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{clock.replace(',', '.')}")
        if zone is None:
            moment = moment.astimezone()  # the local zone at that moment
        elif zone.upper() == "Z":
            moment = moment.replace(tzinfo=UTC)
        else:
            digits = zone.replace(":", "")
            minutes = int(digits[1:3]) * 60 + int(digits[3:5])
            delta = timedelta(minutes=-minutes if digits[0] == "-" else minutes)
            moment = moment.replace(tzinfo=timezone(delta))
    except ValueError:
        return None
    return int(moment.timestamp()), _offset_of(moment)


def _offset_of(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def check_identity(identity: str) -> str:
    """Check that ``identity`` reads ``Name <email>``.

    Raises:
        InvalidNameError: if it does not.
    """
    if not re.fullmatch(_IDENTITY, identity):
        raise InvalidNameError(identity, "an author is written 'Name <email>'", reason="identity")
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
