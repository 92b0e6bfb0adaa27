"""Ignore rules (``.gitignore``, ``.git/info/exclude``, ``core.excludesFile``), read
without ever waiting on a FIFO.

dulwich opens each ignore file with a plain ``open``: a FIFO where one belongs (made by
a person or a tool in the work tree, or planted in ``.git``) blocks ``status`` forever.
git warns about an ignore file it cannot read and carries on without it; so does this,
for one that is not a plain file.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import suppress

from dulwich.ignore import IgnoreFilter, IgnoreFilterManager, default_user_ignore_filter_path
from dulwich.repo import Repo

__all__ = ["ignore_rules"]

log = logging.getLogger("gitworktree")


def ignore_rules(repo: Repo) -> IgnoreFilterManager:
    """The ignore rules of ``repo``, as dulwich's ``IgnoreFilterManager.from_repo`` reads
    them, skipping (with a warning) any ignore file that is not a plain file."""
    config = repo.get_config_stack()
    rules = []
    for path in (
        os.path.join(repo.controldir(), "info", "exclude"),
        os.path.expanduser(default_user_ignore_filter_path(config)),
    ):
        if _plain_or_absent(path):
            with suppress(OSError):
                rules.append(IgnoreFilter.from_path(path))
    ignorecase = config.get_boolean((b"core",), b"ignorecase", False)
    return _CheckedIgnores(repo.path, rules, ignorecase)


class _CheckedIgnores(IgnoreFilterManager):
    """dulwich's manager, checking each directory's ``.gitignore`` before it opens it."""

    def _load_path(self, path: str) -> IgnoreFilter | None:
        if not _plain_or_absent(os.path.join(self._top_path, path, ".gitignore")):
            self._path_filters[path] = None  # as dulwich records one it skips
            return None
        return super()._load_path(path)


def _plain_or_absent(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent or unreadable: dulwich decides, as before
        return True
    if stat.S_ISREG(mode):
        return True
    log.warning("ignoring %s: not a file", path)
    return False
