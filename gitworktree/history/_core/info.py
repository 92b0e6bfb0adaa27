"""CommitInfo: what one commit did. Kept free of dulwich so that importing it stays light."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["CommitInfo"]


@dataclass(frozen=True)
class CommitInfo:
    """One commit, as the library and the CLI report it.

    Attributes:
        sha: full hex id of the commit; empty on storage without history.
        message: the message without its trailer block.
        author: ``"Name <email>"``.
        committer: ``"Name <email>"``.
        time: when it was authored (timezone-aware).
        parents: ids of the parent commits, first parent first.
        paths: paths changed relative to the first parent (every path for a root commit).
        trailers: the trailer block as key -> value; repeated keys are joined with ``", "``.
    """

    sha: str
    message: str
    author: str
    committer: str
    time: datetime
    parents: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    trailers: dict[str, str] = field(default_factory=dict)

    @property
    def short_sha(self) -> str:
        """The first 7 characters of the id, as git abbreviates it."""
        return self.sha[:7]
