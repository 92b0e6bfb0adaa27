"""Fixtures shared by every test: fresh storage of each kind, built from scratch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree.storage import Collection, FilesystemMountDriver, InMemoryMountDriver

MountRoot = Callable[[], Collection]

BACKENDS = ["memory", "filesystem"]


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the storage backend a parametrized test runs against."""
    return str(request.param)


@pytest.fixture
def mount_root(backend: str, tmp_path: Path) -> MountRoot:
    """Returns the root collection of one storage; each call is a fresh mount of it.

    Mounting twice sees what the first mount committed, as a second process would.
    """
    if backend == "memory":
        driver = InMemoryMountDriver()
        return lambda: driver.mount("data")
    return lambda: FilesystemMountDriver().mount(tmp_path / "data")


def read_stored(root: Collection, path: str) -> bytes:
    """The bytes stored at ``path`` below ``root``."""
    return root.object(path).read_bytes()
