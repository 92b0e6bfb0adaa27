"""Attributes files outside the work tree are followed through a symbolic link, as git
follows them (``info/attributes``, ``core.attributesFile``, the XDG default: a dotfiles
manager links them); a ``.gitattributes`` in the work tree that is a link is not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitworktree.errors import UnsupportedAttributeError
from gitworktree.history import Repository
from tests.oracle import git


def _xdg_default(repository: Repository, home: Path) -> Path:
    return home / ".config" / "git" / "attributes"  # XDG_CONFIG_HOME is home/.config


def _configured(repository: Repository, home: Path) -> Path:
    git(repository.path, "config", "core.attributesFile", str(home / "attributes"))
    return home / "attributes"


def _info(repository: Repository, home: Path) -> Path:
    return repository.control_dir / "info" / "attributes"


def _in_tree(repository: Repository, home: Path) -> Path:
    return repository.path / ".gitattributes"


PLACES = {"xdg-default": _xdg_default, "core.attributesFile": _configured, "info": _info}


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


@pytest.mark.parametrize("place", [*PLACES.values(), _in_tree], ids=[*PLACES, "in-tree"])
def test_a_linked_attributes_file_applies_where_git_applies_it(
    repository: Repository, tmp_path: Path, place: Callable[[Repository, Path], Path]
) -> None:
    home = tmp_path / "home"  # HOME, set by the tests' conftest
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "attributes").write_text("*.txt filter=external\n")
    link = place(repository, home)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(dotfiles / "attributes")
    git_applies = git(repository.path, "check-attr", "filter", "--", "a.txt").split(": ")[-1]

    if place is _in_tree:
        assert git_applies == "unspecified\n"
        repository.commit_changes({"a.txt": b"plain\n"}, message="no filter")
        assert git(repository.path, "show", "HEAD:a.txt") == "plain\n"
    else:
        assert git_applies == "external\n"
        with pytest.raises(UnsupportedAttributeError):
            repository.commit_changes({"a.txt": b"plain\n"}, message="a filter git would run")
        assert not (repository.path / "a.txt").exists()


def test_a_linked_info_attributes_converts_line_endings_as_git_does(
    repository: Repository, tmp_path: Path
) -> None:
    (tmp_path / "attributes").write_text("*.bat eol=crlf\n")
    (repository.control_dir / "info").mkdir(exist_ok=True)
    (repository.control_dir / "info" / "attributes").symlink_to(tmp_path / "attributes")

    repository.commit_changes({"run.bat": b"echo 1\n"}, message="a script")

    assert (repository.path / "run.bat").read_bytes() == b"echo 1\r\n"
    assert git(repository.path, "show", "HEAD:run.bat") == "echo 1\n"
    assert git(repository.path, "status", "--porcelain") == ""
