"""Ref name validation, following the rules of ``git check-ref-format``.

Every ref or checkpoint name that comes from outside (a caller, a CLI argument) passes
through `check_ref_name` before it is joined to ``refs/``: a name that git would refuse
could otherwise point outside the ref store (``../../config``) or be unreadable by git.
"""

from __future__ import annotations

from gitworktree.errors import InvalidNameError

__all__ = ["check_ref_name", "remote_checkpoint_prefix"]

# Characters git forbids anywhere in a ref name (besides control characters and DEL).
_FORBIDDEN = {" ": "a space", "~": "'~'", "^": "'^'", ":": "':'", "?": "'?'", "*": "'*'"}
_FORBIDDEN |= {"[": "'['", "\\": "a backslash"}
# Long enough for any sensible name, short enough for every filesystem's name limit
# once ".lock" is appended.
_MAX_COMPONENT = 200


def remote_checkpoint_prefix(remote: str) -> str:
    """Where the checkpoints fetched from ``remote`` live: ``refs/remotes/<remote>/checkpoints/``.

    A host's checkpoints never become local ones (``refs/checkpoints/``): kept beside the
    host's branches, they read as ``origin/checkpoints/<name>`` and cannot stand in for a
    local name, a branch or a commit id.
    """
    return f"refs/remotes/{remote}/checkpoints/"


def check_ref_name(name: str) -> str:
    """Check that ``name`` is a valid git ref name (one or more ``/``-separated levels).

    The rules are those of ``git check-ref-format --allow-onelevel``, plus one more: a name
    may not start with ``-``, so it can never be mistaken for a command-line option.

    Args:
        name: a ref name or a part of one, e.g. ``main``, ``checkpoints/before-import``.

    Returns:
        ``name``, unchanged.

    Raises:
        InvalidNameError: if git would refuse the name; the message gives the reason.
    """
    reason = _refusal(name)
    if reason is not None:
        raise InvalidNameError(name, f"{reason} (git ref name rules)", reason="ref-name")
    return name


def _refusal(name: str) -> str | None:
    """Why ``name`` is not a valid ref name, or ``None`` if it is."""
    if not name:
        return "it is empty"
    if name == "@":
        return "'@' alone is reserved"
    if name.startswith("-"):
        return "it starts with '-'"
    if name.startswith("/") or name.endswith("/"):
        return "it starts or ends with '/'"
    if name.endswith("."):
        return "it ends with '.'"
    if "@{" in name:
        return "it contains '@{'"
    if ".." in name:
        return "it contains '..'"
    for char in name:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return "it contains a control character"
        if char in _FORBIDDEN:
            return f"it contains {_FORBIDDEN[char]}"
    for component in name.split("/"):
        reason = _component_refusal(component)
        if reason is not None:
            return reason
    return None


def _component_refusal(component: str) -> str | None:
    """Why one ``/``-separated level of a ref name is invalid, or ``None``."""
    if not component:
        return "it contains '//'"
    if component.startswith("."):
        return f"a level starts with '.' ({component!r})"
    if component.endswith(".lock"):
        return f"a level ends with '.lock' ({component!r})"
    if len(component) > _MAX_COMPONENT:
        return f"a level is longer than {_MAX_COMPONENT} characters"
    return None
