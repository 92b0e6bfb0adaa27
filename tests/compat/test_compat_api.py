"""The compat packages' public surface: every exported name documented, imports light."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gitworktree

PACKAGE = Path(gitworktree.__file__).resolve().parent
MIGRATING = PACKAGE.parent / "docs" / "migrating.md"


def public_modules() -> list[str]:
    found = []
    for path in sorted((PACKAGE / "compat").rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if any(part.startswith("_") and part != "__init__" for part in parts):
            continue
        found.append(".".join(parts).removesuffix(".__init__"))
    return found


@pytest.mark.parametrize("module", public_modules())
def test_every_exported_name_exists_and_is_in_the_migration_guide(module: str) -> None:
    imported = importlib.import_module(module)
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", MIGRATING.read_text()))
    exported = list(imported.__all__)
    assert [name for name in exported if not hasattr(imported, name)] == []
    assert [name for name in exported if name not in documented] == []


def test_importing_compat_stays_light() -> None:
    modules = (
        "gitworktree.compat.wellformed.xml, gitworktree.compat.worktree.impl.accessibility.git"
    )
    heavy = "{'lxml', 'jsonschema', 'asyncio'}"
    code = f"import sys, {modules}; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
