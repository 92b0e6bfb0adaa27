"""dulwich's loose-ref reads, refusing a FIFO or device where a ref file belongs.

dulwich opens each loose ref it reads (listing checkpoints or branches, following
``HEAD``) with a plain ``open``: a FIFO there blocks it forever, a link to
``/dev/zero`` never ends. Our own ref reads check the file first (`read_ref`); this
container makes dulwich's do the same, with one ``stat`` per ref it reads.
"""

from __future__ import annotations

import os

from dulwich.refs import DiskRefsContainer, Ref
from dulwich.repo import Repo

from gitworktree.history._core.plainfiles import is_plain_file

__all__ = ["guard_loose_refs"]


class _CheckedRefs(DiskRefsContainer):
    """A `DiskRefsContainer` whose loose reads refuse what is not a file."""

    def read_loose_ref(self, name: Ref) -> bytes | None:
        path = self.refpath(name)
        try:
            mode = os.stat(path).st_mode
        except OSError:  # missing, or unreadable: dulwich reports it as it does
            return super().read_loose_ref(name)
        if not is_plain_file(path, mode):
            return None  # a ref folder: no loose ref of that name, as dulwich finds too
        return super().read_loose_ref(name)


def guard_loose_refs(repo: Repo) -> None:
    """Make ``repo``'s ref container check each loose ref before dulwich opens it.

    The container dulwich made is kept, with all it holds (paths, the reflog writer,
    the packed refs it cached), and given the checking subclass: every part of dulwich
    that holds it then reads through the check. A reftable store is left as it is.
    """
    if type(repo.refs) is DiskRefsContainer:
        repo.refs.__class__ = _CheckedRefs
