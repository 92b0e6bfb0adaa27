"""``expected_head``'s sentinel: what a commit checks the branch against before it moves it.

Its own module because `Repository.commit_changes` names ``ANY_HEAD`` as a default: the
facade can then be defined without importing the commit path it is the default of.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["ANY_HEAD", "ExpectedHead"]


class ExpectedHead(enum.Enum):
    """Sentinel type for ``expected_head``: `ANY_HEAD` skips the caller's check."""

    ANY = "any"


#: ``expected_head=ANY_HEAD``: commit on whatever the branch points at when the commit
#: starts (the ref update is still a compare-and-swap against that value).
ANY_HEAD: Final = ExpectedHead.ANY
