"""``core.logAllRefUpdates``: the reflogs our ref moves make are the ones git's would make.

git appends to a reflog that exists whatever the setting; a missing one is made for
``HEAD``, branches and remote-tracking branches (unset or ``true``), for every ref
(``always``), or never (``false``). git is the oracle: the same moves made by git and by
us in two repositories leave the same reflog files with the same number of entries.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitworktree.history import Repository
from tests.oracle import git

SETTINGS = [None, "true", "always", "false"]
SETTING_IDS = ["unset", "true", "always", "false"]


def init(root: Path, setting: str | None) -> Path:
    """An empty repository made by git, with ``core.logAllRefUpdates`` set (or not)."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    if setting is not None:
        git(root, "config", "core.logAllRefUpdates", setting)
    return root


def git_commit(root: Path, text: str) -> None:
    (root / "a.txt").write_text(text)
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", text)


def our_commit(root: Path, text: str) -> None:
    with Repository.open(root) as repository:
        repository.commit_changes({"a.txt": text.encode()}, message=text)


def reflogs(root: Path) -> dict[str, int]:
    """Each reflog file (relative to ``.git/logs``) and its number of entries."""
    logs = root / ".git" / "logs"
    return {
        path.relative_to(logs).as_posix(): len(path.read_bytes().splitlines())
        for path in sorted(logs.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("setting", SETTINGS, ids=SETTING_IDS)
def test_commits_make_and_extend_the_reflogs_git_commits_would(
    tmp_path: Path, setting: str | None
) -> None:
    by_git, ours = init(tmp_path / "git", setting), init(tmp_path / "ours", setting)

    for text in ("first\n", "second\n"):  # a branch created, then moved
        git_commit(by_git, text)
        our_commit(ours, text)

    assert reflogs(ours) == reflogs(by_git)
    git(ours, "fsck", "--strict", "--no-dangling")


@pytest.mark.parametrize("setting", ["false", "true"], ids=["false", "true"])
def test_reflogs_that_exist_are_appended_to_whatever_the_setting(
    tmp_path: Path, setting: str
) -> None:
    root = init(tmp_path / "repo", None)
    git_commit(root, "by git\n")  # HEAD's and main's reflogs made
    git(root, "config", "core.logAllRefUpdates", setting)

    our_commit(root, "ours\n")

    assert reflogs(root) == {"HEAD": 2, "refs/heads/main": 2}
    for ref in ("HEAD", "main"):
        assert git(root, "reflog", "show", "-n1", "--format=%gs", ref) == "commit: ours\n"


@pytest.mark.parametrize(
    ("setting", "logged"),
    [(None, True), ("true", True), ("always", True), ("false", False)],
    ids=SETTING_IDS,
)
def test_a_checkpoint_gets_a_reflog_unless_reflogs_are_turned_off(
    tmp_path: Path, setting: str | None, logged: bool
) -> None:
    # As `git update-ref --create-reflog`: a checkpoint is a ref worth a record, though
    # git would not log refs/checkpoints/ unasked; `false` says to make no new reflogs.
    root = init(tmp_path / "repo", setting)
    git_commit(root, "by git\n")

    with Repository.open(root) as repository:
        repository.create_checkpoint("before")

    exists = subprocess.run(
        ["git", "-C", str(root), "reflog", "exists", "refs/checkpoints/before"], check=False
    )
    assert (exists.returncode == 0) is logged


@pytest.mark.parametrize("setting", SETTINGS, ids=SETTING_IDS)
def test_fetched_remote_tracking_branches_get_the_reflogs_git_fetch_makes(
    tmp_path: Path, setting: str | None
) -> None:
    host = init(tmp_path / "host", None)
    git_commit(host, "on the host\n")
    by_git, ours = init(tmp_path / "git", setting), init(tmp_path / "ours", setting)
    for root in (by_git, ours):
        git(root, "remote", "add", "origin", str(host))

    git(by_git, "fetch", "-q", "origin")
    with Repository.open(ours) as repository:
        repository.fetch("origin")

    assert reflogs(ours).keys() == reflogs(by_git).keys()
