"""Rebuilding trees along changed paths only.

A change to ``a/b/c.json`` rewrites the blob entry in tree ``a/b``, then ``a``, then the
root: one new tree per level on the changed path. Sibling directories are kept by id
and never read. Each rebuilt tree is its parent version's raw entries with the changed
ones spliced in (see `gitworktree.history._objects.rawtrees`), so a directory of 10,000 files
costs a bisection per change plus one SHA-1 and one zlib call, not 10,000 Python objects.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping

from dulwich.object_store import BaseObjectStore
from dulwich.objects import ObjectID

from gitworktree.errors import NodeKindError
from gitworktree.history._core.paths import encode_path
from gitworktree.history._objects.rawtrees import RawTree, read_tree, write_tree

__all__ = ["FILE_MODE", "TreeEdit", "apply_tree_edits"]

FILE_MODE = 0o100644
_EXECUTABLE_MODE = 0o100755

#: One edit of a tree: ``(mode, blob id)`` to write a file (mode ``None`` keeps the mode of
#: the regular file it replaces, else 100644), or ``None`` to delete it.
TreeEdit = tuple[int | None, ObjectID] | None

_Edits = dict[bytes, TreeEdit]


def apply_tree_edits(
    store: BaseObjectStore, base: ObjectID | None, edits: Mapping[str, TreeEdit]
) -> tuple[ObjectID, dict[str, int]]:
    """Apply file edits to a tree, storing the new trees.

    Deleting a file that does not exist is a no-op. Directories left empty disappear. A
    file may replace a directory (or the reverse) only when the same edits delete what
    was there.

    Args:
        store: where the base trees are read from and the new trees are added.
        base: the tree to start from; ``None`` for an empty tree (an unborn branch).
        edits: repository-relative path (already checked) -> edit.

    Returns:
        The id of the new root tree, and the mode given to each written file.

    Raises:
        NodeKindError: if an edit writes a file where a directory stays, or below a file
            that stays.
    """
    builder = _TreeBuilder(store)
    root = builder.build(base, {encode_path(path): edit for path, edit in edits.items()}, "")
    for tree in builder.new_trees:
        write_tree(store, tree)
    return root.seal(), builder.modes


class _TreeBuilder:
    """One application of edits; collects the trees it creates."""

    def __init__(self, store: BaseObjectStore) -> None:
        self.store = store
        self.new_trees: list[RawTree] = []
        self.modes: dict[str, int] = {}

    def build(self, base: ObjectID | None, edits: _Edits, prefix: str) -> RawTree:
        """The tree ``base`` with ``edits`` applied (paths relative to ``prefix``)."""
        tree = RawTree([], []) if base is None else read_tree(self.store, base).copy()
        direct: _Edits = {}
        nested: dict[bytes, _Edits] = {}
        for path, edit in edits.items():
            head, slash, rest = path.partition(b"/")
            if slash:
                nested.setdefault(head, {})[rest] = edit
            else:
                direct[head] = edit
        for name, sub_edits in nested.items():
            self._apply_nested(tree, name, sub_edits, direct, prefix)
        for name, edit in direct.items():
            self._apply_direct(tree, name, edit, replaced_by_dir=name in nested, prefix=prefix)
        if len(tree) or not prefix:
            tree.seal()
            self.new_trees.append(tree)
        return tree

    def _apply_nested(
        self, tree: RawTree, name: bytes, sub_edits: _Edits, direct: _Edits, prefix: str
    ) -> None:
        full = prefix + name.decode("utf-8", "surrogateescape")
        base: ObjectID | None = None
        current = tree.get(name)
        if current is not None:
            mode, sha = current
            if stat.S_ISDIR(mode):
                base = sha
            elif all(edit is None for edit in sub_edits.values()):
                return  # deleting below a file: there is nothing there to delete
            elif not (name in direct and direct[name] is None):
                raise NodeKindError(full, "directory", "file")
        subtree = self.build(base, sub_edits, full + "/")
        if len(subtree):
            if direct.get(name) is not None:
                raise NodeKindError(full, "file", "directory")
            tree.set(name, stat.S_IFDIR, subtree.seal())
        elif current is not None:
            tree.delete(name)

    def _apply_direct(
        self, tree: RawTree, name: bytes, edit: TreeEdit, *, replaced_by_dir: bool, prefix: str
    ) -> None:
        full = prefix + name.decode("utf-8", "surrogateescape")
        current = tree.get(name)
        if current is not None and stat.S_ISDIR(current[0]):
            if edit is None and replaced_by_dir:
                return  # the deletion was of the file this new directory replaces
            raise NodeKindError(full, "file", "directory")
        if edit is None:
            if current is not None:
                tree.delete(name)
            return
        mode, sha = edit
        if mode is None:
            keep = current is not None and current[0] in (FILE_MODE, _EXECUTABLE_MODE)
            mode = current[0] if keep and current is not None else FILE_MODE
        tree.set(name, mode, sha)
        self.modes[full] = mode
