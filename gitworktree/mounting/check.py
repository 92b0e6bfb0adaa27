"""check_tree: validate every artifact a tree declares, as stored, writing nothing.

Mounting stops at the first invalid file and creates what is missing; an auditor (or
``gitworktree validate``) wants every problem at once and no writes. This walks the
declaration, reads each artifact file, and collects its issues.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from gitworktree.errors import (
    GitWorktreeError,
    MissingInitialStateError,
    SchemaValidationError,
)
from gitworktree.storage.base import Collection, Storage, artifact_size_limit
from gitworktree.storage.filesystem import FilesystemStorage
from gitworktree.tree.items import Artifact, Worktree, fields_of
from gitworktree.validation.issues import ValidationIssue

__all__ = ["TreeCheck", "check_tree"]


@dataclass
class TreeCheck:
    """What ``check_tree`` found.

    Attributes:
        checked: the artifact files that were read and checked.
        issues: every problem, each with its artifact path and location.
        missing: declared artifacts with no file, which a mount would create from defaults.
    """

    checked: list[str] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether no issue was found."""
        return not self.issues


def check_tree(tree_cls: type[Worktree], root: str | os.PathLike[str] | Collection) -> TreeCheck:
    """Check every artifact ``tree_cls`` declares as stored under ``root``; write nothing.

    Args:
        tree_cls: the ``Worktree`` subclass.
        root: a directory (a Git working tree or a plain one), or a mounted ``Collection``.

    Returns:
        Every artifact checked, every issue found (parse, schema or model, with file,
        line, column and pointer), and the declared artifacts that are missing.
    """
    if isinstance(root, Collection):
        storage, base = root.storage, root.path
    else:
        storage, base = FilesystemStorage(Path(root)), PurePosixPath(".")
    report = TreeCheck()
    for path, item_type, dotted in _declared_files(storage, tree_cls, base, ""):
        _check_file(storage, path, item_type, dotted, report)
    return report


def _declared_files(
    storage: Storage, cls: type, directory: PurePosixPath, dotted: str
) -> Iterator[tuple[PurePosixPath, type[Artifact[Any]], str]]:
    for name, spec in fields_of(cls).items():
        here = f"{dotted}.{name}" if dotted else name
        if spec.kind == "artifact":
            yield directory / spec.storage_name, spec.item_type, here
        elif spec.kind == "map":
            yield from _map_files(storage, directory / name, spec.item_type, here)
        elif spec.kind == "container":
            yield from _declared_files(storage, spec.item_type, directory / name, here)


def _map_files(
    storage: Storage, directory: PurePosixPath, item_type: type[Artifact[Any]], dotted: str
) -> Iterator[tuple[PurePosixPath, type[Artifact[Any]], str]]:
    try:
        if storage.kind_of(directory) != "collection":
            return
        names = storage.list_names(directory)
    except GitWorktreeError:
        return  # reported by the files themselves, or an empty map
    for name in names:
        if name.endswith(item_type.suffix) and not name.startswith("."):
            key = name[: len(name) - len(item_type.suffix)] if item_type.suffix else name
            yield directory / name, item_type, f"{dotted}[{key!r}]"


def _check_file(
    storage: Storage,
    path: PurePosixPath,
    item_type: type[Artifact[Any]],
    dotted: str,
    report: TreeCheck,
) -> None:
    try:
        kind = storage.kind_of(path)
        if kind is None:
            _check_missing(path, item_type, dotted, report)
            return
        if kind == "collection":
            report.issues.append(_issue(path, "expected a file, found a directory"))
            return
        data = storage.read_limited(path, artifact_size_limit())
    except GitWorktreeError as error:  # an unsafe symlink, an unreadable node
        report.issues.append(_issue(path, str(error)))
        return
    report.checked.append(str(path))
    report.issues += [
        issue.for_artifact(str(path)) for issue in item_type._issues_in(data, str(path))
    ]


def _check_missing(
    path: PurePosixPath, item_type: type[Artifact[Any]], dotted: str, report: TreeCheck
) -> None:
    try:
        item_type._initial(None, dotted)
    except MissingInitialStateError:
        report.issues.append(
            _issue(path, f"missing, and {dotted} has no default to create it from")
        )
    except SchemaValidationError as error:
        report.issues += [issue.for_artifact(str(path)) for issue in error.issues]
    else:
        report.missing.append(str(path))


def _issue(path: PurePosixPath, message: str) -> ValidationIssue:
    return ValidationIssue(message, source="custom", artifact=str(path))
