"""Bringing work-tree files back to HEAD: discarding changes, and finishing a checkout.

- `discard_worktree_changes` throws away uncommitted changes under some paths (``git
  checkout`` plus ``git clean`` for them): a failed transaction uses it for anchors.
- `recover_interrupted_checkout` finishes what a killed commit or restore left undone:
  the branch moved, but some files and index entries were not written yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dulwich.index import cleanup_mode
from dulwich.object_store import iter_tree_contents
from dulwich.objects import Blob, ObjectID
from dulwich.repo import Repo

from gitworktree.history.commits import load_commit
from gitworktree.history.index import locked_index, read_index_entries
from gitworktree.history.materialize import WorktreeFile, write_worktree
from gitworktree.history.paths import decode_path
from gitworktree.history.refs import HEAD, read_ref
from gitworktree.history.status import scan_worktree, worktree_entry
from gitworktree.history.trees import lookup_entry

__all__ = ["discard_worktree_changes", "recover_interrupted_checkout"]


def discard_worktree_changes(repo: Repo, prefixes: Sequence[str]) -> list[str]:
    """Make the files under ``prefixes`` what HEAD holds; return the paths changed.

    Modified and deleted files are written back from HEAD; files HEAD does not have
    are deleted. Their index entries follow, so ``git status`` is clean for them.
    """
    store = repo.object_store
    head = read_ref(repo, HEAD)
    head_tree = None if head is None else load_commit(store, head).tree
    changes = scan_worktree(repo, head_tree, list(prefixes))
    files: dict[str, WorktreeFile | None] = {}
    shas: dict[str, str] = {}
    for change in changes:
        entry = None if head_tree is None else lookup_entry(store, head_tree, change.path)
        if entry is None:
            files[change.path] = None
            continue
        mode, sha = entry
        blob = store[sha]
        assert isinstance(blob, Blob)
        files[change.path] = WorktreeFile(mode, blob.as_raw_string())
        shas[change.path] = sha.decode("ascii")
    if not files:
        return []
    with locked_index(repo) as index:
        written = write_worktree(Path(repo.path), files)
        index.apply(
            {
                path: None if result is None else (shas[path], result)
                for path, result in written.items()
            }
        )
    return sorted(files)


def recover_interrupted_checkout(repo: Repo) -> list[str]:
    """Rewrite the files a killed commit or restore left behind; return their paths.

    Our writers move the branch first and then write the files and their index entries.
    A process killed in between leaves files whose index entry still names the old blob
    while HEAD names the new one, and whose content on disk is still what the index says:
    nobody edited them, the checkout was only interrupted. Those are written from HEAD.
    A file whose content differs from its index entry was edited by someone and is left
    alone. Runs under the index lock, so it never races a live writer.
    """
    store = repo.object_store
    root = Path(repo.path)
    with locked_index(repo) as index:
        entries, index_mtime = read_index_entries(repo)
        head = read_ref(repo, HEAD)
        committed: dict[str, tuple[int, ObjectID]] = {}
        if head is not None:
            for item in iter_tree_contents(store, load_commit(store, head).tree):
                if item.path is not None and item.mode is not None and item.sha is not None:
                    committed[decode_path(item.path)] = (item.mode, item.sha)
        files: dict[str, WorktreeFile | None] = {}
        shas: dict[str, str] = {}
        for path in set(committed) | set(entries):
            entry = entries.get(path)
            indexed = None if entry is None else (cleanup_mode(entry.mode), entry.sha)
            if indexed == committed.get(path):
                continue
            if worktree_entry(root, path, entry, index_mtime) != indexed:
                continue  # edited on disk since the checkout: someone's work, keep it
            target = committed.get(path)
            if target is None:
                files[path] = None
            else:
                blob = store[target[1]]
                assert isinstance(blob, Blob)
                files[path] = WorktreeFile(target[0], blob.as_raw_string())
                shas[path] = target[1].decode("ascii")
        if not files:
            return []
        written = write_worktree(root, files)
        index.apply(
            {p: None if result is None else (shas[p], result) for p, result in written.items()}
        )
    return sorted(files)
