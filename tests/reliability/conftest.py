"""Fixtures of the reliability suites: a small repository made by real git, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.oracle import git


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository made by real git: ``notes.txt`` committed twice on ``main``."""
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for text in ("one\n", "two\n"):
        (root / "notes.txt").write_text(text)
        git(root, "add", "notes.txt")
        git(root, "commit", "-q", "-m", text.strip())
    return root


@pytest.fixture
def healthy(template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the template, ``tmp_path / "repo"``, to damage."""
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    return root
