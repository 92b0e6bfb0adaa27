"""Config and attributes files are parsed once while they stay unchanged, and any edit
between two commits (in place, by rename, a file created or deleted) applies at the next.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dulwich.config import ConfigFile

from gitworktree.errors import UnsupportedAttributeError
from gitworktree.history import Repository
from gitworktree.history._core.configfiles import FileStamp, settled, stamp_of
from tests.oracle import git


def _wait_until_settled(*paths: Path) -> None:
    """Wait until each file is old enough for its stamp to be trusted (100 ms after its
    last change): only then is it kept, so only then does a test exercise the cache."""
    for _ in range(200):
        if all(settled(stamp_of(os.fspath(path)), time.time_ns()) for path in paths):
            return
        time.sleep(0.02)
    raise AssertionError(f"{paths} never settled")


def _edit_in_place(path: Path, old: bytes, new: bytes) -> None:
    """Overwrite ``old`` with ``new`` (same length) in the same file: same inode, same size."""
    assert len(old) == len(new)
    data = path.read_bytes()
    with open(path, "r+b") as handle:
        handle.seek(data.index(old))
        handle.write(new)


@pytest.fixture
def no_identity_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{kind}_{part}", raising=False)


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


@pytest.fixture
def config_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The config files dulwich parses from now on, by path."""
    parsed: list[str] = []
    original = ConfigFile.from_path.__func__  # type: ignore[attr-defined]

    def counting(cls: type[ConfigFile], path: str, **kwargs: object) -> ConfigFile:
        parsed.append(os.fspath(path))
        return original(cls, path, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(ConfigFile, "from_path", classmethod(counting))
    return parsed


def _config_path(repository: Repository) -> Path:
    return repository.control_dir / "config"


def test_unchanged_config_files_are_parsed_once(
    repository: Repository, config_parses: list[str]
) -> None:
    _wait_until_settled(_config_path(repository))
    repository.commit_changes({"a.txt": b"1\n"}, message="one")
    assert config_parses, "the first commit reads the config"
    config_parses.clear()
    repository.commit_changes({"a.txt": b"2\n"}, message="two")
    repository.commit_changes({"a.txt": b"3\n"}, message="three")
    assert config_parses == []


def _append(path: Path, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)


def _name_alice_in_repository(repository: Repository, home: Path) -> None:
    _append(_config_path(repository), "[user]\n\tname = Alice\n\temail = a@example.com\n")


def _name_alice_globally(repository: Repository, home: Path) -> None:
    (home / ".gitconfig").write_text("[user]\n\tname = Alice\n\temail = a@example.com\n")


def _name_nobody(repository: Repository, home: Path) -> None:
    pass


def _rename_in_place(repository: Repository, home: Path) -> None:
    _edit_in_place(_config_path(repository), b"name = Alice", b"name = Betty")


def _rename_with_git(repository: Repository, home: Path) -> None:
    git(repository.path, "config", "user.name", "Betty")  # config.lock, renamed: a new inode


def _create_global(repository: Repository, home: Path) -> None:
    (home / ".gitconfig").write_text("[user]\n\tname = Betty\n")


def _create_xdg(repository: Repository, home: Path) -> None:
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "config").write_text("[user]\n\tname = Betty\n")


def _delete_global(repository: Repository, home: Path) -> None:
    (home / ".gitconfig").unlink()


Edit = Callable[[Repository, Path], None]


@pytest.mark.parametrize(
    ("setup", "edit", "before", "after"),
    [
        (_name_alice_in_repository, _rename_in_place, "Alice", "Betty"),
        (_name_alice_in_repository, _rename_with_git, "Alice", "Betty"),
        (_name_nobody, _create_global, "gitworktree", "Betty"),
        (_name_nobody, _create_xdg, "gitworktree", "Betty"),
        (_name_alice_globally, _delete_global, "Alice", "gitworktree"),
    ],
    ids=["edited-in-place", "set-by-git", "global-created", "xdg-created", "global-deleted"],
)
def test_a_config_edit_applies_at_the_next_commit(
    repository: Repository,
    tmp_path: Path,
    no_identity_env: None,
    setup: Edit,
    edit: Edit,
    before: str,
    after: str,
) -> None:
    home = tmp_path / "home"
    setup(repository, home)
    _wait_until_settled(_config_path(repository), home / ".gitconfig")
    repository.commit_changes({"a.txt": b"1\n"}, message="one")
    kept = repository.commit_changes({"a.txt": b"2\n"}, message="two")  # the kept config
    edit(repository, home)
    edited = repository.commit_changes({"a.txt": b"3\n"}, message="three")
    assert kept.author.split(" <")[0] == before
    assert edited.author.split(" <")[0] == after
    assert git(repository.path, "log", "-1", "--format=%an").strip() == after


def test_core_filemode_edit_applies_at_the_next_commit(repository: Repository) -> None:
    script = repository.path / "run.sh"
    repository.commit_changes({"run.sh": b"echo 1\n"}, message="one")
    git(repository.path, "config", "core.fileMode", "false")
    _wait_until_settled(_config_path(repository))
    script.chmod(0o755)
    repository.commit_changes({"run.sh": b"echo 2\n"}, message="two")
    assert git(repository.path, "ls-tree", "HEAD", "run.sh").split()[0] == "100644"
    git(repository.path, "config", "core.fileMode", "true")
    script.chmod(0o755)  # our commit wrote the file with the tree's mode
    repository.commit_changes({"run.sh": b"echo 3\n"}, message="three")
    assert git(repository.path, "ls-tree", "HEAD", "run.sh").split()[0] == "100755"


def _attributes_file(repository: Repository, home: Path, where: str) -> Path:
    return {
        "root": repository.path / ".gitattributes",
        "directory": repository.path / "docs" / ".gitattributes",
        "info": repository.control_dir / "info" / "attributes",
        "global": home / ".config" / "git" / "attributes",
    }[where]


@pytest.mark.parametrize("where", ["root", "directory", "info", "global"])
def test_an_attributes_edit_applies_at_the_next_commit(
    repository: Repository, tmp_path: Path, where: str
) -> None:
    path = _attributes_file(repository, tmp_path / "home", where)
    path.parent.mkdir(parents=True, exist_ok=True)
    repository.commit_changes({"docs/a.txt": b"1\n"}, message="no attributes yet")
    repository.commit_changes({"docs/a.txt": b"2\n"}, message="their absence kept")
    path.write_bytes(b"*.txt filter=x\n")
    with pytest.raises(UnsupportedAttributeError):
        repository.commit_changes({"docs/a.txt": b"3\n"}, message="created")
    _wait_until_settled(path)
    with pytest.raises(UnsupportedAttributeError):
        repository.commit_changes({"docs/a.txt": b"3\n"}, message="kept")
    _edit_in_place(path, b"*.txt", b"*.txx")
    repository.commit_changes({"docs/a.txt": b"3\n"}, message="edited in place")
    path.write_bytes(b"*.txt filter=x\n")
    _wait_until_settled(path)
    with pytest.raises(UnsupportedAttributeError):
        repository.commit_changes({"docs/a.txt": b"4\n"}, message="written again")
    path.unlink()
    repository.commit_changes({"docs/a.txt": b"4\n"}, message="deleted")
    assert git(repository.path, "show", "HEAD:docs/a.txt") == "4\n"


def test_an_included_config_edit_applies_at_the_next_commit(
    repository: Repository, tmp_path: Path, no_identity_env: None
) -> None:
    included = tmp_path / "identity.inc"
    included.write_text("[user]\n\tname = Alice\n\temail = a@example.com\n")
    _append(_config_path(repository), f"[include]\n\tpath = {included}\n")
    _wait_until_settled(_config_path(repository), included)
    repository.commit_changes({"a.txt": b"1\n"}, message="one")
    _edit_in_place(included, b"name = Alice", b"name = Betty")
    edited = repository.commit_changes({"a.txt": b"2\n"}, message="two")
    assert edited.author.split(" <")[0] == "Betty"


_NOW = 1_800_000_000_123_456_789


@pytest.mark.parametrize(
    ("changed_ago_ns", "whole_seconds", "trusted"),
    [
        (0, False, False),
        (50_000_000, False, False),
        (150_000_000, False, True),
        (1_000_000_000, True, False),
        (2_500_000_000, True, True),
    ],
    ids=["just-now", "within-a-tick-margin", "settled", "coarse-clock-recent", "coarse-settled"],
)
def test_a_stamp_is_trusted_only_once_the_clock_moved_past_it(
    changed_ago_ns: int, whole_seconds: bool, trusted: bool
) -> None:
    changed = _NOW - changed_ago_ns
    if whole_seconds:
        changed -= changed % 1_000_000_000
    assert settled(FileStamp(1, 10, changed, changed), _NOW) is trusted
    assert settled(None, _NOW)  # an absent file: its creation changes what stat says


def test_config_files_placed_by_a_changed_environment_apply_at_the_next_commit(
    repository: Repository,
    tmp_path: Path,
    no_identity_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "git").mkdir(parents=True)
    (elsewhere / "git" / "config").write_text("[user]\n\tname = Betty\n")
    _wait_until_settled(_config_path(repository))
    repository.commit_changes({"a.txt": b"1\n"}, message="one")
    kept = repository.commit_changes({"a.txt": b"2\n"}, message="two")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(elsewhere))
    moved = repository.commit_changes({"a.txt": b"3\n"}, message="three")
    assert kept.author.split(" <")[0] == "gitworktree"
    assert moved.author.split(" <")[0] == "Betty"
