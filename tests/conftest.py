"""Fixtures shared by every test: fresh storage of each kind, built from scratch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from gitworktree.storage import (
    Collection,
    FilesystemMountDriver,
    GitMountDriver,
    InMemoryMountDriver,
)

MountRoot = Callable[[], Collection]

# Property tests judge what the code does, never how fast a shared machine runs it: a
# per-example deadline fails the suite whenever another job loads the machine.
settings.register_profile(
    "gitworktree", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("gitworktree")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the long tests first.

    pytest-xdist hands tests out in collection order: a 30-second campaign collected
    near the end kept one worker busy long after the other had finished. Started first,
    it runs beside everything else. The order is otherwise kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


BACKENDS = ["memory", "filesystem", "git"]


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
    if backend == "git":
        return lambda: GitMountDriver().mount(tmp_path / "data")
    return lambda: FilesystemMountDriver().mount(tmp_path / "data")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config; a known identity; a stable time zone."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # The library's default lock timeout (10 s): a test racing writers on a loaded machine
    # must not time out. Tests of a lock nobody releases use `short_lock_timeout`.
    monkeypatch.delenv("GITWORKTREE_LOCK_TIMEOUT", raising=False)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    for kind in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{kind}_NAME", "Test Author")
        monkeypatch.setenv(f"GIT_{kind}_EMAIL", "author@example.com")


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """A 1 s lock timeout, for tests of a lock that is never released.

    Such a lock times out however loaded the machine is, so the outcome does not depend
    on timing; only the wait is shortened (from 10 s).
    """
    monkeypatch.setenv("GITWORKTREE_LOCK_TIMEOUT", "1")
    return 1.0


def read_stored(root: Collection, path: str) -> bytes:
    """The bytes stored at ``path`` below ``root``."""
    return root.object(path).read_bytes()
