"""Git's own operations left unfinished: a merge, rebase, cherry-pick or revert under way.

git records them in the ``.git`` directory (``MERGE_HEAD``, ``rebase-merge/``,
``rebase-apply/``, ``CHERRY_PICK_HEAD``, ``REVERT_HEAD``) and in the index, whose entries
at stages 1-3 are the unmerged paths. While one is under way the branch and the work
tree belong to the person finishing it: a commit would record conflict markers as
ordinary content and drop the unmerged stages, so every commit checks this first.
"""

from __future__ import annotations

import io
import os

from dulwich.repo import Repo

from gitworktree.errors import OperationInProgressError, RepositoryError
from gitworktree.history._core.paths import decode_path
from gitworktree.history._core.plainfiles import read_plain_file
from gitworktree.history._worktree.index_file import (
    IndexFile,
    read_index_if_changed,
    repair_advice,
)

__all__ = ["check_no_operation_in_progress", "operation_in_progress", "unmerged_paths"]

# The state file each operation leaves in the git directory, checked in this order: a
# rebase replays commits by cherry-picking them, so its marker is the more telling one.
_MARKERS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)


def operation_in_progress(repo: Repo) -> str | None:
    """The git operation under way in ``repo``'s work tree, or ``None``.

    Returns:
        ``"rebase"``, ``"am"``, ``"merge"``, ``"cherry-pick"``, ``"revert"`` or ``None``.
    """
    # Plain strings: every commit looks twice (before the gate, and under the index lock).
    control = repo.controldir()
    for name, operation in _MARKERS:
        marker = os.path.join(control, name)
        if os.path.lexists(marker):
            if name == "rebase-apply" and os.path.exists(os.path.join(marker, "applying")):
                return "am"  # `git am` keeps its state in rebase-apply/ too
            return operation
    return None


def unmerged_paths(repo: Repo, index: IndexFile | None = None) -> list[str]:
    """The paths with entries at stages 1-3 of the index (a conflict not yet resolved).

    Args:
        repo: a non-bare repository.
        index: the index already read (under its lock), if the caller has it.
    """
    if index is None:
        index = _read_index(repo)
    if index is None:
        return _unmerged_with_dulwich(repo)
    if not index.has_conflicts():
        return []
    found = {
        path.decode("utf-8", "surrogateescape")
        for path, entry in zip(index.paths, index.entries, strict=True)
        if entry[60] & 0x30
    }
    return sorted(found)


def check_no_operation_in_progress(repo: Repo, index: IndexFile | None = None) -> None:
    """Refuse to write while a git operation is under way or paths are unmerged.

    Args:
        repo: a non-bare repository.
        index: the index already read (under its lock), if the caller has it.

    Raises:
        OperationInProgressError: naming the operation, the unmerged paths, and the git
            commands that finish or abort it.
    """
    operation = operation_in_progress(repo)
    paths = unmerged_paths(repo, index)
    if operation is not None or paths:
        raise OperationInProgressError(operation, paths)


def _unmerged_with_dulwich(repo: Repo) -> list[str]:
    """Unmerged paths of an index in a format `read_index_file` leaves to dulwich."""
    from dulwich.index import (
        ConflictedIndexEntry,
        IndexChecksumReader,
        read_index_dict_with_version,
    )

    found = read_plain_file(repo.index_path())
    if found is None:
        return []
    try:
        entries, _version, _extensions = read_index_dict_with_version(
            IndexChecksumReader(io.BytesIO(found[0]))
        )
    except Exception as err:  # dulwich raises several kinds for a damaged index
        raise RepositoryError(repo.index_path(), f"cannot read the index ({err})") from err
    return sorted(
        decode_path(path)
        for path, entry in entries.items()
        if isinstance(entry, ConflictedIndexEntry)
    )


def _read_index(repo: Repo) -> IndexFile | None:
    """The index as parsed; ``None``: missing, or not ours to read.

    Without the index lock, so only for advice (a writer checks again under the lock
    with the index it read there): the last parse is reused while the file looks
    unchanged (`read_index_if_changed`), which spares a commit reading a large index
    twice.
    """
    index_path = repo.index_path()
    try:
        return read_index_if_changed(index_path)
    except ValueError as err:
        raise RepositoryError(
            index_path, f"cannot read the index ({err}); {repair_advice(err, index_path)}"
        ) from err
