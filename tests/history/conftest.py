"""Fixtures for the history layer: fresh repositories in ``tmp_path``, and git as an oracle.

Every test runs with an isolated git configuration (no system or user config) and a fixed
identity in the environment, which both the ``git`` binary and the library honour.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitworktree.history import Repository

IDENTITY = "Test Author <author@example.com>"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    """A fresh, empty repository (unborn ``main``)."""
    with Repository.init(tmp_path / "repo") as repository:
        yield repository
