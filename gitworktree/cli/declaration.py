"""Tree declarations named on the command line (``MODULE:CLASS``), and what they declare.

``--tree`` and ``--repair`` name an object as ``MODULE:NAME`` (a dotted module importable
from the current directory, as with ``python -m``) or ``path/to/file.py:NAME``.

`declared_items` lists the artifacts and artifact maps a ``Worktree`` class declares,
with their paths, so that ``validate`` can check every file without mounting (mounting
writes missing artifacts and stops at the first invalid one). It reads the class
annotations the way the tree module does; a public library function for this is wanted
(see ``docs/cli.md``, "validate").
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, ClassVar

import click

from gitworktree.cli.errors import RefusedError

__all__ = ["Declared", "declared_items", "load_object", "load_repair", "load_tree_class"]


# --- MODULE:NAME ------------------------------------------------------------------------


def _import(module_name: str, option: str) -> ModuleType:
    try:
        if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
            return _import_file(Path(module_name))
        cwd = os.getcwd()
        if cwd not in sys.path:
            sys.path.insert(0, cwd)  # as `python -m` does
        return importlib.import_module(module_name)
    except Exception as error:
        if isinstance(error, RefusedError):
            raise
        raise RefusedError(
            f"cannot import {module_name!r} for {option}: {type(error).__name__}: {error}; "
            "run from the directory that holds it, or add its directory to PYTHONPATH"
        ) from error


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise RefusedError(f"no such file: {path}; give MODULE:NAME or path/to/file.py:NAME")
    name = f"gitworktree_cli_{path.stem}_{abs(hash(path.resolve()))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # tree classes look their module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_object(spec: str, option: str, example: str) -> Any:
    """The object ``spec`` (``MODULE:NAME``) names.

    Raises:
        click.BadParameter: ``spec`` is not of the form ``MODULE:NAME`` (exit 2).
        RefusedError: the module cannot be imported or has no such name (exit 1).
    """
    module_name, _, attribute = spec.rpartition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"expected MODULE:NAME, e.g. {example}", param_hint=option)
    found: Any = _import(module_name, option)
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise RefusedError(
                f"{module_name!r} has no {attribute!r} (for {option}); check the name after "
                "the colon"
            ) from None
    return found


def load_tree_class(spec: str) -> type[Any]:
    """The ``Worktree`` subclass ``--tree MODULE:CLASS`` names."""
    from gitworktree import Worktree

    found = load_object(spec, "--tree", "myagent.state:AgentState")
    if not (isinstance(found, type) and issubclass(found, Worktree)):
        raise RefusedError(f"--tree {spec}: {found!r} is not a Worktree subclass")
    return found


def load_repair(spec: str) -> Any:
    """The repair function ``--repair MODULE:FUNC`` names."""
    found = load_object(spec, "--repair", "myagent.repair:fix_json")
    if not callable(found):
        raise RefusedError(
            f"--repair {spec}: {found!r} is not callable; give a function "
            "(content, issues, document_type) -> str"
        )
    return found


# --- what a tree declares ---------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """One artifact or artifact map a tree declares.

    Attributes:
        kind: ``"artifact"`` (one file) or ``"map"`` (a directory of item files).
        path: its path relative to the tree's root.
        item_type: the artifact class (for a map, its items' class).
        attributes: the attribute names that reach it from the mounted tree.
    """

    kind: str
    path: PurePosixPath
    item_type: type[Any]
    attributes: tuple[str, ...]

    @property
    def dotted(self) -> str:
        """``app.settings``: where it is in the tree, for messages."""
        return ".".join(self.attributes)


_ROOT = PurePosixPath(".")


def declared_items(
    tree_cls: type[Any], path: PurePosixPath = _ROOT, attributes: tuple[str, ...] = ()
) -> Iterator[Declared]:
    """Every artifact and artifact map of ``tree_cls``, in declaration order, depth first.

    Nested worktrees and layouts are entered; anchors (free-form directories) are not.
    """
    for name, kind, item_type in _fields(tree_cls):
        here = (*attributes, name)
        if kind == "artifact":
            yield Declared(kind, path / item_type.claim(name).path, item_type, here)
        elif kind == "map":
            yield Declared(kind, path / name, item_type, here)
        elif kind == "container":
            yield from declared_items(item_type, path / name, here)


def _fields(cls: type[Any]) -> list[tuple[str, str, type[Any]]]:
    """(name, kind, type) of the items ``cls`` declares, base classes first."""
    from gitworktree import LayoutAnchor, Worktree

    fields: dict[str, tuple[str, type[Any]]] = {}
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, Worktree | LayoutAnchor) or klass in (Worktree, LayoutAnchor):
            continue
        module = sys.modules.get(klass.__module__)
        globalns = dict(vars(module)) if module else {}
        localns = {key: value for key, value in vars(klass).items() if isinstance(value, type)}
        for name, annotation in inspect.get_annotations(klass).items():
            if name.startswith("_"):
                continue
            classified = _classify(_resolve(klass, name, annotation, globalns, localns))
            if classified is not None:
                fields[name] = classified
    return [(name, kind, item_type) for name, (kind, item_type) in fields.items()]


def _resolve(
    klass: type, name: str, annotation: Any, globalns: dict[str, Any], localns: dict[str, Any]
) -> Any:
    if not isinstance(annotation, str):
        return annotation
    if annotation.replace("typing.", "").startswith("ClassVar"):
        return ClassVar
    try:
        return eval(annotation, globalns, localns)  # the class's own annotation text
    except Exception as error:
        raise RefusedError(
            f"cannot resolve {klass.__qualname__}.{name}: {annotation!r} ({error}); define the "
            "type at module level"
        ) from None


def _classify(annotation: Any) -> tuple[str, type[Any]] | None:
    from gitworktree import Artifact, ArtifactMap, LayoutAnchor, Worktree

    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, ArtifactMap):
        (item_type,) = typing.get_args(annotation)
        return "map", item_type
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, Artifact):
        return "artifact", annotation
    if issubclass(annotation, Worktree | LayoutAnchor):
        return "container", annotation
    return None  # an anchor: free-form files, nothing to check
