"""Fast paths of checkouts: O(1) recovery checks, batched atomic writes, packs, commit info."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dulwich.repo import Repo

from gitworktree.atomic import atomic_write_many, is_temporary
from gitworktree.history import Repository
from gitworktree.history._worktree.index import locked_index
from tests.oracle import git, git_lines


def _matches_head(repository: Repository) -> bool:
    with Repo(str(repository.path)) as repo, locked_index(repo) as index:
        head = repository.head
        tree = None if head is None else git(repository, "rev-parse", "HEAD^{tree}").strip()
        return index.matches_tree(None if tree is None else tree.encode())


def test_the_index_vouches_for_head_after_our_commits_and_after_git_commits(
    git_repo: Repository,
) -> None:
    assert _matches_head(git_repo)  # git commit wrote complete cached trees
    git_repo.commit_changes({"work/tasks/t001.json": b"1\n", "new/x.json": b"{}\n"}, message="1")
    assert _matches_head(git_repo)
    git_repo.restore("HEAD~1", hard=True)
    assert _matches_head(git_repo)
    assert git_repo.recover_worktree() == []


def test_an_interrupted_checkout_is_still_found_and_finished(git_repo: Repository) -> None:
    """The branch moved, but neither files nor index followed (a process killed between)."""
    git_repo.commit_changes({"settings.json": b"2\n"}, message="two")
    before = git_repo.head
    git_repo.commit_changes({"settings.json": b"3\n"}, message="three")
    index = git_repo.path / ".git" / "index"
    old_blob = git_repo.hash_blob(b"2\n")
    (git_repo.path / "settings.json").write_bytes(b"2\n")
    git(
        git_repo,
        "update-index",
        "--cacheinfo",
        f"100644,{old_blob},settings.json",
    )
    assert before is not None and index.exists()
    assert not _matches_head(git_repo)

    assert git_repo.recover_worktree() == ["settings.json"]

    assert (git_repo.path / "settings.json").read_bytes() == b"3\n"
    assert git(git_repo, "status", "--porcelain") == ""


def test_a_full_check_that_finds_everything_in_order_records_it(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"a/b.txt": b"b\n", "c.txt": b"c\n"}, message="one")
        git(repository, "rm", "-q", "--cached", "c.txt")  # invalidates the cached root...
        git(repository, "add", "c.txt")  # ...which adding the same file back does not mend
        assert not _matches_head(repository)

        assert repository.recover_worktree() == []

        assert _matches_head(repository)
        assert git(repository, "write-tree") == git(repository, "rev-parse", "HEAD^{tree}")


def test_many_files_are_written_atomically_in_batches(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "old.txt").write_bytes(b"old")
    files = [(tmp_path / "d" / f"f{index}.txt", b"%d" % index, 0o644) for index in range(600)]
    files.append((tmp_path / "d" / "old.txt", b"new", 0o755))

    atomic_write_many(files)

    assert all(path.read_bytes() == data for path, data, _mode in files)
    assert os.stat(tmp_path / "d" / "old.txt").st_mode & 0o777 == 0o755
    assert os.stat(tmp_path / "d" / "f1.txt").st_mode & 0o777 == 0o644
    assert not [name for name in os.listdir(tmp_path / "d") if is_temporary(name)]


def test_a_failed_batch_leaves_no_temporary_files_and_no_torn_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "kept.txt").write_bytes(b"before")
    files = [(tmp_path / "d" / f"f{index}.txt", b"x", 0o644) for index in range(10)]
    files.append((tmp_path / "d" / "kept.txt", b"after", 0o644))
    files.append((tmp_path / "missing" / "f.txt", b"x", 0o644))  # its directory is missing

    with pytest.raises(FileNotFoundError):
        atomic_write_many(files)

    assert (tmp_path / "d" / "kept.txt").read_bytes() == b"before"
    assert sorted(os.listdir(tmp_path / "d")) == ["kept.txt"]


def test_a_large_first_commit_is_stored_as_one_pack(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        files: dict[str, bytes | None] = {
            f"t/{index}.json": b"%d\n" % index for index in range(150)
        }
        repository.commit_changes(files, message="many")

        packs = list((repository.path / ".git" / "objects" / "pack").glob("*.pack"))
        assert len(packs) == 1
        assert git(repository, "fsck", "--strict", "--no-dangling") == ""
        assert git(repository, "status", "--porcelain") == ""
        assert git(repository, "show", "HEAD:t/7.json") == "7\n"


def test_commit_info_paths_are_what_git_shows(git_repo: Repository) -> None:
    info = git_repo.commit_changes(
        {
            "work/tasks/t001.json": b"1\n",
            "work/tasks/t002.json": FILES_UNCHANGED,
            "gone.json": None,
            "work/notes/n1.json": None,
            "new/x.json": b"{}\n",
        },
        message="mixed",
    )

    assert list(info.paths) == git_lines(git_repo, "show", "--format=", "--name-only", "HEAD")
    assert git_repo.commit_info("HEAD").paths == info.paths
    root = git_lines(git_repo, "rev-list", "--max-parents=0", "HEAD")[0]
    assert len(git_repo.commit_info(root).paths) == len(git_lines(git_repo, "ls-tree", "-r", root))


FILES_UNCHANGED = b'{"n": 2}\n'
