"""Tree declarations named on the command line (``MODULE:CLASS``), and what they declare.

``--tree`` and ``--repair`` name an object as ``MODULE:NAME`` (a dotted module importable
from the current directory, as with ``python -m``) or ``path/to/file.py:NAME``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from gitworktree.cli.errors import RefusedError

__all__ = ["load_object", "load_repair", "load_tree_class"]


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
        if isinstance(found, Worktree):
            what = "a mounted tree (an instance), not its class"
        elif isinstance(found, type):  # an artifact class, say: its name, not its module's
            what = f"class {found.__qualname__} is not a Worktree subclass"
        else:
            what = f"{found!r} is not a Worktree subclass"
        raise RefusedError(
            f"--tree {spec}: {what}; name the class that declares the files, as "
            "AgentState in `class AgentState(Worktree): ...`"
        )
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
