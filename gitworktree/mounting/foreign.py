"""Edits on disk that the mounted tree did not make: told apart, never committed silently.

A person (or another tool) may edit, add or delete files in the work tree without
committing. When the tree loads (``mount``, ``sync``) such files differ from HEAD; they
are *foreign edits*. The tree loads them, so the program sees what is on disk, but a
commit never records them under the tree's author by accident:

- a commit leaves out every foreign edit the program did not change since it loaded it
  (it stays on disk, uncommitted, for its author to commit with git);
- a commit that would carry one (the program changed that artifact, or deleted it,
  or wrote to that anchor file) is refused with `ForeignEditsError` naming the files;
- ``adopt(paths)`` makes them the program's own (the next commit records them under its
  author); ``discard(paths)`` puts the files back as HEAD has them.

Only what is on disk when the tree loads can be told apart: a file an anchor holds that
changes while the tree is mounted is taken as the program's (it writes there freely);
an artifact file that changes is caught by the commit's conflict check instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from gitworktree.errors import ForeignEditsError
from gitworktree.storage.base import blob_sha
from gitworktree.tree.binding import ArtifactSlot

__all__ = ["ForeignEdits"]

_ROOT = PurePosixPath(".")


class ForeignEdits:
    """The foreign edits found when the tree last loaded, per path.

    Attributes:
        artifacts: artifact path -> blob id of its value as loaded, rendered (what a
            commit renders if the program changed nothing); ``None`` for a map item
            deleted on disk.
        files: anchor file path -> blob id of its content on disk when loaded; ``None``
            for a file deleted on disk.
    """

    def __init__(self) -> None:
        self.artifacts: dict[PurePosixPath, str | None] = {}
        self.files: dict[str, str | None] = {}

    def note_artifact(self, path: PurePosixPath, rendered: bytes | None) -> None:
        """Record that ``path`` was loaded with an edit the tree did not make."""
        self.artifacts[path] = None if rendered is None else blob_sha(rendered)

    def note_files(self, snapshot: Mapping[str, bytes | None]) -> None:
        """Record the anchor files that differ from HEAD as the tree loads."""
        for path, data in snapshot.items():
            self.files[path] = None if data is None else blob_sha(data)

    def forget(self, path: PurePosixPath) -> None:
        """``path`` now holds what the program wrote, or what HEAD has."""
        self.artifacts.pop(path, None)

    def drop_within(self, directory: PurePosixPath) -> None:
        """Forget everything under ``directory`` (it is about to load again)."""
        for path in [p for p in self.artifacts if _within(p, directory)]:
            del self.artifacts[path]
        for name in [f for f in self.files if _within(PurePosixPath(f), directory)]:
            del self.files[name]

    def select(
        self, directory: PurePosixPath, paths: Sequence[str] | None
    ) -> tuple[list[PurePosixPath], list[str]]:
        """The foreign edits under ``directory`` that ``paths`` name (files or directories).

        Returns:
            The artifact paths and the anchor file paths, each sorted.
        """
        wanted = None if paths is None else [PurePosixPath(path) for path in paths]

        def chosen(path: PurePosixPath) -> bool:
            if not _within(path, directory):
                return False
            return wanted is None or any(_within(path, prefix) for prefix in wanted)

        artifacts = sorted(path for path in self.artifacts if chosen(path))
        files = sorted(name for name in self.files if chosen(PurePosixPath(name)))
        return artifacts, files

    def left_out(self, path: PurePosixPath, data: bytes | None) -> bool:
        """Whether a commit leaves ``path`` out: a foreign edit the program did not change.

        Args:
            path: an artifact path.
            data: what a commit would write there now (``None``: remove it).
        """
        if path not in self.artifacts:
            return False
        return self.artifacts[path] == (None if data is None else blob_sha(data))

    def screen(
        self,
        changed: dict[ArtifactSlot, bytes],
        removed: list[ArtifactSlot],
        snapshot: dict[str, bytes | None],
    ) -> tuple[dict[ArtifactSlot, bytes], list[ArtifactSlot], dict[str, bytes | None]]:
        """Leave foreign edits the program did not touch out of a commit; refuse the others.

        Args:
            changed: each changed artifact's slot -> its rendered bytes.
            removed: the slots of map items to remove.
            snapshot: anchor files to commit -> content (``None``: deleted).

        Returns:
            ``changed``, ``removed`` and ``snapshot`` without the untouched foreign edits.

        Raises:
            ForeignEditsError: the commit would carry (or delete) a foreign edit the
                program changed since it loaded it.
        """
        if not self.artifacts and not self.files:
            return changed, removed, snapshot
        refused: list[str] = []
        kept: dict[ArtifactSlot, bytes] = {}
        for slot, data in changed.items():
            path = slot.path
            if path not in self.artifacts:
                kept[slot] = data
            elif not self.left_out(path, data):
                refused.append(str(path))  # the program built on (or over) their edit
        removing = []
        for slot in removed:
            if slot.path not in self.artifacts:
                removing.append(slot)
            elif not self.left_out(slot.path, None):
                refused.append(str(slot.path))  # deleting it would lose their edit
        files: dict[str, bytes | None] = {}
        for name, content in snapshot.items():
            if name not in self.files:
                files[name] = content
            elif self.files[name] != (None if content is None else blob_sha(content)):
                refused.append(name)
        if refused:
            raise ForeignEditsError(sorted(refused))
        return kept, removing, files


def _within(path: PurePosixPath, directory: PurePosixPath) -> bool:
    return directory == _ROOT or path == directory or directory in path.parents
