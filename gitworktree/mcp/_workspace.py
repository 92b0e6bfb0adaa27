"""What the MCP tools do, over the library: plain methods returning JSON documents.

Nothing here knows MCP. Each method takes the arguments of one tool and returns the
JSON document its reply carries (the shapes of ``gitworktree ... --json`` wherever the
CLI has one), or raises the library's own `GitWorktreeError`.

Writes are staged in memory, per client connection (a ``stage`` key the server
chooses), and checked as they arrive; nothing reaches the repository until ``commit``,
which runs the commit gate over everything staged and lands it as one commit through
`Repository.commit_changes` -- or refuses all of it. A staged file remembers the blob
it was based on, so a commit refuses (``ConflictError``) to overwrite a file someone
else changed in between, while files nobody else touched land on top of their commits.

One lock serializes every call on the shared `Repository` (tools run in worker
threads); across processes, the library's writer lock does.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from gitworktree.cli.output import (
    change_json,
    checkpoint_json,
    commit_json,
    issue_json,
)
from gitworktree.errors import (
    ForeignEditsError,
    GitWorktreeError,
    ReadOnlyError,
    RepositoryError,
    UnsafePathError,
)
from gitworktree.history import Repository
from gitworktree.history._core.paths import check_repo_path
from gitworktree.history._core.trailers import check_caller_text
from gitworktree.mcp._catalog import ArtifactKind, Catalog
from gitworktree.mounting.gate import GateItem, run_gate
from gitworktree.storage.base import artifact_size_limit, check_size
from gitworktree.validation.issues import ValidationIssue

__all__ = ["Workspace", "path_of_uri", "uri_of"]

ARTIFACT_URI = "gitworktree://artifact/"
SCHEMA_URI = "gitworktree://schema/"


def uri_of(path: str, *, schema: bool = False) -> str:
    """The resource URI of an artifact (or of its JSON Schema).

    The path is percent-encoded (RFC 3986; ``/`` kept), so a file named ``my notes.md``
    or ``a#b.json`` gives a URI every client parses back to that file, and a literal
    ``%`` in a name cannot be mistaken for an escape. `path_of_uri` undoes it.
    """
    return (SCHEMA_URI if schema else ARTIFACT_URI) + quote(path, safe="/")


def path_of_uri(rest: str) -> str:
    """The repository path a resource URI names, after its ``gitworktree://kind/`` prefix."""
    try:
        return unquote(rest, errors="strict")
    except UnicodeDecodeError:
        raise GitWorktreeError(
            f"resource URI path {rest!r} is not UTF-8 once decoded; percent-encode the "
            "path's UTF-8 bytes, as resources/list gives it"
        ) from None


@dataclass(frozen=True)
class _Staged:
    """A change waiting for ``commit``: the bytes (``None``: delete), the blob it replaces."""

    data: bytes | None
    base: str | None


def issue_record(issue: ValidationIssue) -> dict[str, Any]:
    """One issue as the CLI prints it in JSON, plus its one-line form."""
    return {**issue_json(issue), "text": str(issue)}


class Workspace:
    """The repository as the MCP tools see it.

    Args:
        repository: the open repository (the server closes it).
        catalog: which files are artifacts, and their types.
        read_only: refuse every tool that writes (staging included).
        max_artifact_bytes: the largest file read or written, as a mount takes it
            (``None``: ``GITWORKTREE_MAX_ARTIFACT_BYTES`` if set, else 64 MiB; ``0``: none).
    """

    def __init__(
        self,
        repository: Repository,
        catalog: Catalog,
        *,
        read_only: bool,
        max_artifact_bytes: int | None = None,
    ) -> None:
        self.repository = repository
        self.catalog = catalog
        self.read_only = read_only
        self.size_limit = artifact_size_limit(max_artifact_bytes)
        self._lock = threading.RLock()
        self._stages: dict[str, dict[str, _Staged]] = {}

    # -- reading ---------------------------------------------------------------------

    def list_artifacts(self, stage: str) -> dict[str, Any]:
        """Every artifact at HEAD, staged, or declared (and still missing)."""
        with self._lock:
            staged = self._stages.get(stage, {})
            at_head = self._head_files()
            found: dict[str, ArtifactKind] = dict(self.catalog.declared_paths())
            for path in [*at_head, *staged]:
                kind = self.catalog.kind_of(path)
                if kind is not None:
                    found[path] = kind
            artifacts = [
                {
                    "path": path,
                    "type": kind.label,
                    "declared": kind.declared,
                    "exists": path in at_head,
                    "staged": path in staged,
                    "deleting": path in staged and staged[path].data is None,
                    "has_schema": kind.json_schema() is not None,
                    "mime_type": kind.mime_type,
                    "uri": uri_of(path),
                }
                for path, kind in sorted(found.items())
            ]
            return {"head": self.repository.head, "artifacts": artifacts}

    def read(self, stage: str, path: str, rev: str | None) -> dict[str, Any]:
        """An artifact's content: staged (unless ``rev``), else at ``rev`` (HEAD)."""
        with self._lock:
            checked, kind = self.catalog.require(path)
            staged = None if rev is not None else self._stages.get(stage, {}).get(checked)
            if staged is not None and staged.data is None:
                raise GitWorktreeError(
                    f"{checked} is staged for deletion; read it at rev HEAD, or unstage it"
                )
            if staged is not None and staged.data is not None:
                data, commit, source = staged.data, None, "staged"
            else:
                source = rev or "HEAD"
                data = self._committed(source, checked)
                commit = self.repository.resolve(source)
            document: dict[str, Any] = {
                "path": checked,
                "type": kind.label,
                "mime_type": kind.mime_type,
                "source": source,
                "commit": commit,
                "staged": staged is not None,
                "schema": kind.json_schema(),
            }
            return {**document, **_content(data)}

    def schema(self, path: str) -> dict[str, Any] | None:
        """The JSON Schema of the artifact at ``path``, or ``None`` if it has none."""
        _, kind = self.catalog.require(path)
        return kind.json_schema()

    def validate(self, stage: str, paths: Sequence[str] | None) -> dict[str, Any]:
        """Check artifacts as they would be committed now (staged over HEAD); write nothing."""
        with self._lock:
            staged = self._stages.get(stage, {})
            listed = self.list_artifacts(stage)["artifacts"]
            wanted = None if not paths else {check_repo_path(path) for path in paths}
            if wanted is not None:
                listed = [entry for entry in listed if _selected(entry["path"], wanted)]
                _refuse_unmatched(wanted, [entry["path"] for entry in listed])
            checked: list[str] = []
            missing: list[str] = []
            issues: list[ValidationIssue] = []
            for entry in listed:
                path = entry["path"]
                if path in staged:
                    if staged[path].data is None:
                        continue  # to be deleted: nothing to check
                    data: bytes | None = staged[path].data
                else:
                    data = self._committed("HEAD", path) if entry["exists"] else None
                if data is None:
                    missing.append(path)
                    continue
                kind = self.catalog.require(path)[1]
                checked.append(path)
                issues += [i.for_artifact(path) for i in kind.item_type._issues_in(data, path)]
            return {
                "valid": not issues,
                "checked": checked,
                "missing": missing,
                "issues": [issue_record(issue) for issue in issues],
            }

    def log(self, limit: int | None, path: str | None, author: str | None) -> dict[str, Any]:
        """Commits, newest first; only those touching ``path`` / by ``author`` if given."""
        with self._lock:
            if author is None:
                commits = self.repository.log(path, limit=limit)
            else:
                needle = author.lower()
                commits = [c for c in self.repository.log(path) if needle in c.author.lower()]
                commits = commits if limit is None else commits[:limit]
            return {"commits": [commit_json(info) for info in commits]}

    def show(self, rev: str, patch: bool) -> dict[str, Any]:
        """A commit (``show --json``), with its changed files, and their patches if asked."""
        with self._lock:
            info = self.repository.commit_info(rev)
            changes = self.repository.diff(info.parents[0] if info.parents else None, info.sha)
            if patch:
                listed = [change_json(change) for change in changes]
            else:
                listed = [{"path": c.path, "status": c.status} for c in changes]
            return {**commit_json(info), "changes": listed}

    def diff(self, a: str, b: str, paths: Sequence[str] | None) -> dict[str, Any]:
        """Changes from ``a`` to ``b`` (``diff A B --json``): patches and JSON Pointers."""
        with self._lock:
            changes = self.repository.diff(a, b, paths or None)
            return {
                "a": self.repository.resolve(a),
                "b": self.repository.resolve(b),
                "files": [change_json(change) for change in changes],
            }

    def checkpoints(self) -> dict[str, Any]:
        """The checkpoints, sorted by name (``checkpoint list --json``)."""
        with self._lock:
            found = self.repository.checkpoints()
            return {
                "checkpoints": [
                    checkpoint_json(cp, self.repository.commit_info(cp.sha)) for cp in found
                ]
            }

    # -- writing ---------------------------------------------------------------------

    def write(self, stage: str, path: str, content: str) -> dict[str, Any]:
        """Stage ``content`` for ``path`` and check it at once; the reply has every issue."""
        self._refuse_if_read_only("write")
        data = content.encode("utf-8")
        with self._lock:
            checked, kind = self.catalog.require(path)
            if kind.mime_type == "application/xml":
                _refuse_other_declared_encoding(checked, content)
            check_size(checked, len(data), self.size_limit)
            self._check_writable(checked)
            staged = self._stages.setdefault(stage, {})
            staged[checked] = _Staged(data, self._base(staged, checked))
            issues = [i.for_artifact(checked) for i in kind.item_type._issues_in(data, checked)]
            return {
                "path": checked,
                "type": kind.label,
                "staged": True,
                "valid": not issues,
                "issues": [issue_record(issue) for issue in issues],
                "uri": uri_of(checked),
            }

    def _check_writable(self, path: str) -> None:
        """Refuse at staging what the commit would refuse on disk: a directory or a
        symbolic link where the file goes, a file where a directory is needed, a parent
        that is a symbolic link (it could lead out of the tree).

        Raises:
            UnsafePathError: a parent on disk is a symbolic link, or the file itself is one
                (writing would replace the link with a file).
            NodeKindError: a file and a directory stand in each other's place.
        """
        from gitworktree.history._worktree.materialize import (
            WorktreeFile,
            check_worktree_targets,
        )

        root = self.repository.path
        check_worktree_targets(root, {path: WorktreeFile(0o100644, b"")})
        if (root / path).is_symlink():
            raise UnsafePathError(
                path,
                "is a symbolic link; writing would replace the link with a file. Change "
                "what it points at, or replace the link, with git",
                root=root,
            )

    def delete(self, stage: str, path: str) -> dict[str, Any]:
        """Stage the deletion of an artifact that exists at HEAD.

        Raises:
            GitWorktreeError: HEAD has no such file, or the tree declares this very file
                (only items of an ``ArtifactMap`` can go: a mount would recreate it).
        """
        self._refuse_if_read_only("delete_artifact")
        with self._lock:
            checked, kind = self.catalog.require(path)
            if kind.fixed:
                raise GitWorktreeError(
                    f"{checked} is declared by the tree ({kind.declared}) and cannot be "
                    "deleted; write new content instead"
                )
            if self._head_blob(checked) is None:
                raise GitWorktreeError(
                    f"{checked} does not exist at HEAD, so there is nothing to delete; "
                    "unstage it to drop a staged write"
                )
            staged = self._stages.setdefault(stage, {})
            staged[checked] = _Staged(None, self._base(staged, checked))
            return {"path": checked, "staged": True, "deleting": True}

    def unstage(self, stage: str, paths: Sequence[str] | None) -> dict[str, Any]:
        """Drop staged writes (all of them, or those of ``paths``)."""
        self._refuse_if_read_only("unstage")
        with self._lock:
            staged = self._stages.get(stage, {})
            wanted = None if not paths else {check_repo_path(p) for p in paths}
            names = [name for name in staged if wanted is None or _selected(name, wanted)]
            dropped = sorted(name for name in names if staged.pop(name, None) is not None)
            return {"unstaged": dropped, "staged": sorted(staged)}

    def commit(
        self, stage: str, message: str, author: str | None, trailers: Mapping[str, str]
    ) -> dict[str, Any]:
        """Commit everything staged through the gate, as one commit; or refuse it all.

        Raises:
            CommitRejectedError: a staged artifact is invalid; nothing was written.
            ConflictError: a staged file changed at HEAD since it was staged.
            ForeignEditsError: a staged file has uncommitted edits on disk.
        """
        self._refuse_if_read_only("commit")
        check_caller_text(message, trailers)  # a refusal before the writer lock is taken
        with self._lock:
            staged = self._stages.get(stage, {})
            if not staged:
                raise GitWorktreeError(
                    "nothing is staged: stage changes with write_artifact or delete_artifact first"
                )
            self._refuse_foreign_edits(list(staged))
            # Clean, so each file holds HEAD's version: checked again just before it is
            # overwritten, after the gate (a person may edit meanwhile).
            on_disk = {path: self._head_blob(path) for path in staged}
            items = []
            changes: dict[str, bytes | None] = {}
            for path, entry in sorted(staged.items()):
                if entry.data is None:
                    changes[path] = None  # a deletion has nothing for the gate to check
                    continue
                kind = self.catalog.require(path)[1]
                items.append(GateItem(path, kind.item_type, entry.data))
            changes.update((path, result.data) for path, result in run_gate(items, None, 0).items())
            info = self.repository.commit_changes(
                changes,
                message=message,
                author=author,
                trailers=trailers,
                base_blobs={path: entry.base for path, entry in staged.items()},
                disk_blobs=on_disk,
            )
            # Only once the commit has landed: a refused one leaves everything staged,
            # for the client to fix and commit again.
            for path in changes:
                staged.pop(path, None)
            return {"commit": commit_json(info), "paths": list(info.paths)}

    def create_checkpoint(self, name: str | None, rev: str) -> dict[str, Any]:
        """Name a commit so it can be restored later (``checkpoint create --json``)."""
        self._refuse_if_read_only("checkpoint_create")
        with self._lock:
            made = self.repository.create_checkpoint(name, rev=rev)
            return checkpoint_json(made, self.repository.commit_info(made.sha))

    def delete_checkpoint(self, name: str) -> dict[str, Any]:
        """Delete a checkpoint; its commits stay in history."""
        self._refuse_if_read_only("checkpoint_delete")
        with self._lock:
            sha = self.repository.checkpoint(name).sha
            self.repository.delete_checkpoint(name)
            return {"deleted": name, "sha": sha}

    def restore(
        self,
        target: str,
        paths: Sequence[str] | None,
        hard: bool,
        author: str | None,
        trailers: Mapping[str, str],
    ) -> tuple[dict[str, Any], list[str]]:
        """Go back to ``target`` (``restore --json``): a new commit, or with ``hard`` a reset.

        Returns:
            The reply, and the paths whose content changed at HEAD.
        """
        self._refuse_if_read_only("restore")
        if hard and paths:
            raise GitWorktreeError(
                "a hard restore moves the whole branch; leave out paths, or restore softly"
            )
        with self._lock:
            before = self.repository.head
            target_sha = self.repository.resolve(target)
            info = self.repository.restore(
                target,
                paths=[check_repo_path(p) for p in paths] if paths else None,
                hard=hard,
                author=author,
                trailers=None if hard else trailers,
            )
            document = {
                "mode": "hard" if hard else "soft",
                "target": target,
                "target_sha": target_sha,
                "changed": info.sha != before,
                "commit": commit_json(info),
            }
            changed = [] if info.sha == before else list(self.repository.changed_files(before))
            return document, changed

    # -- internals -------------------------------------------------------------------

    def _refuse_if_read_only(self, tool: str) -> None:
        if self.read_only:
            raise ReadOnlyError(
                f"the {tool} tool is refused: this server was started with --read-only; "
                "restart it without --read-only to change the repository"
            )

    def _head_files(self) -> dict[str, str]:
        if self.repository.head is None:
            return {}
        return {
            path: sha
            for path, sha in self.repository.changed_files(None, "HEAD").items()
            if sha is not None
        }

    def _refuse_foreign_edits(self, paths: Sequence[str]) -> None:
        """Refuse a commit over files someone changed on disk without committing.

        The server writes only through commits, so an uncommitted difference from HEAD
        in the work tree is someone else's work (a person's, another tool's): the
        commit would overwrite it and sign it with the agent's name.

        Raises:
            ForeignEditsError: naming those files; nothing was written.
        """
        edited = sorted(change.path for change in self.repository.status(paths))
        if edited:
            raise ForeignEditsError(edited)

    def _base(self, staged: Mapping[str, _Staged], path: str) -> str | None:
        """The version a change replaces: HEAD's when it was first staged.

        Writing a staged file again keeps that base, so a commit someone made to the
        file in between is still caught as a conflict rather than silently overwritten.
        """
        earlier = staged.get(path)
        return earlier.base if earlier is not None else self._head_blob(path)

    def _head_blob(self, path: str) -> str | None:
        if self.repository.head is None:
            return None
        return self.repository.blob_sha_at("HEAD", path)

    def _committed(self, rev: str, path: str) -> bytes:
        if rev in ("HEAD", "@") and self.repository.head is None:
            raise RepositoryError(
                self.repository.path, "no commits yet: stage a file with write, then commit"
            )
        size = self.repository.file_size(rev, path)  # from the header: nothing loaded yet
        if size is not None:
            check_size(path, size, self.size_limit)
        data = self.repository.read_file(rev, path)  # a directory: NodeKindError says so
        if data is None:
            # Repository.show would call this "unknown revision 'HEAD:plan.json'", which
            # reads as if the revision were wrong; the model needs to know the file is.
            raise GitWorktreeError(
                f"{path} does not exist at {rev}; list_artifacts lists the artifacts at HEAD"
            )
        return data


_XML_ENCODING = re.compile(r"""\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']+)["']""")


def _refuse_other_declared_encoding(path: str, content: str) -> None:
    """Refuse XML whose declaration names an encoding its stored bytes would not be in.

    A tool sends text, and the server stores it as UTF-8. Text declaring
    ``encoding="ISO-8859-1"`` would parse without an error and read back, for every XML
    reader, with each non-ASCII character turned into two wrong ones ("é" as "Ã©").
    Where the declared encoding reads the UTF-8 bytes as the same text (ASCII content
    under an ASCII-compatible encoding) there is nothing to refuse.
    """
    found = _XML_ENCODING.match(content)
    if found is None:
        return
    declared = found.group(1)
    try:
        same = content.encode("utf-8").decode(declared) == content
    except LookupError:
        return  # an encoding Python does not know: the XML check reports it
    except UnicodeDecodeError:
        same = False
    if not same:
        raise GitWorktreeError(
            f"{path}: the content declares encoding={declared!r}, but write_artifact stores "
            "text as UTF-8, so its non-ASCII characters would read back wrong; declare "
            'encoding="UTF-8" (or leave the encoding out) and write it again'
        )


def _selected(path: str, wanted: set[str]) -> bool:
    """Whether ``path`` is one of ``wanted`` or lies under one of them (a directory)."""
    return any(path == given or path.startswith(given + "/") for given in wanted)


def _refuse_unmatched(wanted: set[str], found: Sequence[str]) -> None:
    """Refuse a path that is no artifact and holds none: a typo must not read as valid."""
    unmatched = sorted(g for g in wanted if not any(_selected(path, {g}) for path in found))
    if unmatched:
        raise GitWorktreeError(
            f"no artifact at or under {', '.join(unmatched)}; list_artifacts lists them"
        )


def _content(data: bytes) -> dict[str, Any]:
    try:
        return {"encoding": "utf-8", "content": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"encoding": "base64", "content": base64.b64encode(data).decode("ascii")}
