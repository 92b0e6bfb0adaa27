"""Per-commit overheads: the identity needs no config read when the environment has it,
and the writer lock's state is one fixed-width record rewritten in place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dulwich.config import ConfigDict

from gitworktree.history import Repository
from gitworktree.history._core.identity import repository_identity
from gitworktree.history._worktree.writelock import WRITER_LOCK_NAME, writer_lock


def _config(name: str | None, email: str | None) -> ConfigDict:
    config = ConfigDict()
    if name is not None:
        config.set(("user",), "name", name)
    if email is not None:
        config.set(("user",), "email", email)
    return config


def _unreadable() -> ConfigDict:
    raise AssertionError("the config was read although the environment gives the identity")


@pytest.fixture
def no_identity_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for kind in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{kind}_{part}", raising=False)
    return monkeypatch


def test_the_environment_gives_the_identity_without_reading_config(
    no_identity_env: pytest.MonkeyPatch,
) -> None:
    no_identity_env.setenv("GIT_AUTHOR_NAME", "Env Name")
    no_identity_env.setenv("GIT_AUTHOR_EMAIL", "env@example.com")
    assert repository_identity(_unreadable, "AUTHOR") == "Env Name <env@example.com>"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "Config Name <config@example.com>"),
        ({"GIT_COMMITTER_NAME": "Env Name"}, "Env Name <config@example.com>"),
        ({"GIT_COMMITTER_EMAIL": "env@example.com"}, "Config Name <env@example.com>"),
    ],
    ids=["config-only", "name-from-env", "email-from-env"],
)
def test_what_the_environment_lacks_comes_from_config(
    no_identity_env: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        no_identity_env.setenv(key, value)
    config = _config("Config Name", "config@example.com")
    assert repository_identity(lambda: config, "COMMITTER") == expected
    assert repository_identity(config, "COMMITTER") == expected


def test_without_either_the_default_identity_is_used(no_identity_env: pytest.MonkeyPatch) -> None:
    assert repository_identity(lambda: _config(None, None)) == "gitworktree <gitworktree@localhost>"


def test_commits_take_the_identity_from_repository_config(
    tmp_path: Path, no_identity_env: pytest.MonkeyPatch
) -> None:
    with Repository.init(tmp_path) as repository:
        (tmp_path / ".git" / "config").write_text(
            (tmp_path / ".git" / "config").read_text()
            + "[user]\n\tname = Repo User\n\temail = repo@example.com\n"
        )
        info = repository.commit_changes({"a.txt": b"a\n"}, message="one")
    assert info.author == info.committer == "Repo User <repo@example.com>"


def _record(control_dir: Path) -> bytes:
    return (control_dir / WRITER_LOCK_NAME).read_bytes()


def test_the_lock_state_is_one_fixed_width_record(tmp_path: Path) -> None:
    with writer_lock(tmp_path):
        writing = _record(tmp_path)
    idle = _record(tmp_path)
    assert len(writing) == len(idle)
    assert json.loads(writing)["state"] == "writing"
    assert json.loads(idle) == {"state": "idle", "pid": os.getpid()}


@pytest.mark.parametrize(
    "old",
    [b'{"state": "idle", "pid": 1}', b"x" * 5000, b"", b'{"state": "idle"}' + b"junk" * 100],
    ids=["older-shorter", "long-garbage", "empty", "trailing-junk"],
)
def test_a_record_of_another_width_is_replaced_whole(tmp_path: Path, old: bytes) -> None:
    (tmp_path / WRITER_LOCK_NAME).write_bytes(old)
    with writer_lock(tmp_path):
        pass
    with writer_lock(tmp_path):
        assert json.loads(_record(tmp_path))["state"] == "writing"
    assert json.loads(_record(tmp_path))["state"] == "idle"


def test_a_writer_killed_mid_write_is_still_detected(tmp_path: Path) -> None:
    with writer_lock(tmp_path):
        pass
    record = _record(tmp_path)
    dead = json.dumps({"state": "writing", "pid": 999999, "since": 0}).encode()
    (tmp_path / WRITER_LOCK_NAME).write_bytes(dead.ljust(len(record)))
    stale = tmp_path / "index.lock"
    stale.write_bytes(b'gitworktree {"pid":999999}\n')  # the marker our index.lock holds
    with writer_lock(tmp_path):
        pass
    assert not stale.exists()
