"""Opening repositories, and reading files and trees at a revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree.errors import NodeKindError, RepositoryError, UnknownRevisionError
from gitworktree.history import Repository
from gitworktree.history._objects.trees import TreeItem
from tests.oracle import git


def test_init_creates_a_non_bare_repository_on_main(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "new" / "nested") as repo:
        assert repo.path == tmp_path / "new" / "nested"
        assert repo.branch == "main"
        assert repo.head is None
        assert git(repo, "rev-parse", "--is-bare-repository").strip() == "false"
        assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_init_with_another_branch(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "r", branch="trunk") as repo:
        repo.commit_changes({"f": b"1"}, message="m")
        assert repo.branch == "trunk"
        assert git(repo, "branch", "--show-current").strip() == "trunk"


def test_init_on_an_existing_repository_opens_it(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "r") as repo:
        first = repo.commit_changes({"f": b"1"}, message="m")
    with Repository.init(tmp_path / "r", branch="other") as again:
        assert again.head == first.sha
        assert again.branch == "main"


def test_open_reads_a_repository_made_by_git(tmp_path: Path) -> None:
    root = tmp_path / "by-git"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "f.txt").write_text("x")
    git(root, "add", "f.txt")
    git(root, "commit", "-qm", "by git")

    with Repository.open(root) as repo:
        assert repo.head == git(root, "rev-parse", "HEAD").strip()
        assert repo.log()[0].message == "by git"


def test_open_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not a Git repository") as caught:
        Repository.open(tmp_path)
    assert caught.value.path == str(tmp_path)


def test_discover_walks_up_to_the_repository(repo: Repository) -> None:
    deep = repo.path / "a" / "b"
    deep.mkdir(parents=True)
    with Repository.discover(deep) as found:
        assert found.path.resolve() == repo.path.resolve()


def test_discover_outside_any_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not inside"):
        Repository.discover(tmp_path)


def test_bare_repositories_are_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(RepositoryError, match="bare"):
        Repository.open(tmp_path / "bare.git")


@pytest.fixture
def files(repo: Repository) -> Repository:
    repo.commit_changes({"top.txt": b"top v1\n", "dir/sub/leaf.json": b"{}\n"}, message="1")
    repo.commit_changes({"top.txt": b"top v2\n", "dir/other.txt": b"o\n"}, message="2")
    return repo


def test_read_file_and_show_at_revisions(files: Repository) -> None:
    assert files.read_file("HEAD", "top.txt") == b"top v2\n"
    assert files.read_file("HEAD~1", "top.txt") == b"top v1\n"
    assert files.show("HEAD~1", "dir/sub/leaf.json") == b"{}\n"
    assert files.read_file("HEAD~1", "dir/other.txt") is None


def test_show_of_a_missing_path_names_revision_and_path(files: Repository) -> None:
    with pytest.raises(UnknownRevisionError, match=r"HEAD~1:dir/other\.txt"):
        files.show("HEAD~1", "dir/other.txt")


def test_show_of_a_directory_is_refused(files: Repository) -> None:
    with pytest.raises(NodeKindError):
        files.show("HEAD", "dir")


def test_show_at_an_unknown_revision(files: Repository) -> None:
    with pytest.raises(UnknownRevisionError):
        files.show("nope", "top.txt")


def test_blob_sha_at_matches_git(files: Repository) -> None:
    assert files.blob_sha_at("HEAD", "top.txt") == git(files, "rev-parse", "HEAD:top.txt").strip()
    assert files.blob_sha_at("HEAD", "dir") is None
    assert files.blob_sha_at("HEAD", "missing") is None


def test_hash_blob_matches_git_hash_object(files: Repository) -> None:
    (files.path / "probe.bin").write_bytes(b"probe\x00data")
    assert files.hash_blob(b"probe\x00data") == git(files, "hash-object", "probe.bin").strip()


def test_list_tree(files: Repository) -> None:
    assert files.list_tree("HEAD") == [
        TreeItem("dir", "dir", git(files, "rev-parse", "HEAD:dir").strip()),
        TreeItem("top.txt", "file", git(files, "rev-parse", "HEAD:top.txt").strip()),
    ]
    assert [item.name for item in files.list_tree("HEAD", "dir")] == ["other.txt", "sub"]
    assert files.list_tree("HEAD~1", "dir/missing") == []
    with pytest.raises(NodeKindError):
        files.list_tree("HEAD", "top.txt")


def test_closed_repository_via_context_manager(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path / "r")
    with repo as same:
        assert same is repo
    assert "Repository(" in repr(repo)


@pytest.mark.parametrize("given", ["state", Path("state")], ids=["str", "path"])
def test_a_path_given_to_the_constructor_says_to_open_it(given: object) -> None:
    with pytest.raises(TypeError, match=r"Repository\.open\(path\)"):
        Repository(given)  # type: ignore[arg-type]
