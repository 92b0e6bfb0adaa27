"""A mount that fails creates nothing: no empty .git, no directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import MissingInitialStateError, RepositoryError, Worktree, mount
from tests.oracle import git
from tests.tree.models import CounterTree, RequiredTree


class NotATree(Worktree):
    count: int  # a plain value: not an artifact


FAILURES = [(RequiredTree, MissingInitialStateError), (NotATree, TypeError)]
IDS = ["missing-initial-state", "bad-annotation"]


@pytest.mark.parametrize(("tree_cls", "error"), FAILURES, ids=IDS)
def test_a_failed_first_mount_of_a_new_directory_leaves_nothing(
    tmp_path: Path, tree_cls: type[Worktree], error: type[Exception]
) -> None:
    root = tmp_path / "new"
    with pytest.raises(error):
        mount(tree_cls, root)
    assert not root.exists()


@pytest.mark.parametrize(("tree_cls", "error"), FAILURES, ids=IDS)
def test_a_failed_first_mount_of_a_directory_keeps_only_what_was_there(
    tmp_path: Path, tree_cls: type[Worktree], error: type[Exception]
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("mine\n")
    with pytest.raises(error):
        mount(tree_cls, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "home", "notes"]
    assert (tmp_path / "notes" / "mine.txt").read_text() == "mine\n"
    git(tmp_path, "init", "-q")  # the directory can still become a repository as usual


@pytest.mark.parametrize(("tree_cls", "error"), FAILURES, ids=IDS)
def test_a_failed_mount_of_an_existing_repository_keeps_it(
    tmp_path: Path, tree_cls: type[Worktree], error: type[Exception]
) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(error):
        mount(tree_cls, tmp_path)
    assert (tmp_path / ".git" / "HEAD").is_file()


@pytest.mark.parametrize("root", ["afile", "afile/state"], ids=["a-file", "below-a-file"])
def test_a_mount_where_a_file_is_names_the_file_not_an_os_error(tmp_path: Path, root: str) -> None:
    (tmp_path / "afile").write_text("mine\n")
    before = sorted(tmp_path.iterdir())

    with pytest.raises(RepositoryError) as raised:
        mount(CounterTree, tmp_path / root)

    assert str(raised.value) == (
        f"{tmp_path / root}: cannot create a repository here: {tmp_path / 'afile'} is a file, "
        "not a directory; give the path of a directory (new, empty, or a repository)"
    )
    assert (tmp_path / "afile").read_text() == "mine\n"
    assert sorted(tmp_path.iterdir()) == before
