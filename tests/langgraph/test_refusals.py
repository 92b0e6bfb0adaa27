"""What GitSaver refuses, and that a refusal leaves the refs as they were."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from gitworktree.errors import InvalidNameError, RepositoryError, UnsupportedRepositoryError
from gitworktree.langgraph import GitSaver
from gitworktree.langgraph._layout import namespace_ref
from tests.langgraph.conftest import Calls, build_graph, thread
from tests.oracle import git

QUESTION = {"question": "q", "notes": []}


def refs(root: Path) -> str:
    return git(root, "for-each-ref")


def test_a_sha256_repository_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--object-format=sha256")
    with pytest.raises(UnsupportedRepositoryError, match="object"):
        GitSaver(tmp_path)


def test_a_file_in_place_of_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a repository")
    with pytest.raises(RepositoryError, match="is a file"):
        GitSaver(tmp_path / "file")


def test_a_held_ref_lock_is_a_repository_error_and_the_ref_stays(
    tmp_path: Path, short_lock_timeout: float
) -> None:
    saver = GitSaver(tmp_path)
    build_graph(saver, Calls()).invoke(QUESTION, thread("t1"))
    before = refs(tmp_path)
    latest = saver.get_tuple(thread("t1"))
    assert latest is not None
    ref_file = tmp_path / ".git" / namespace_ref("t1", "")
    lock = ref_file.with_name(ref_file.name + ".lock")
    lock.write_text("someone else\n")
    with pytest.raises(RepositoryError, match=r"\.lock"):
        saver.put_writes(latest.config, [("notes", ["late"])], task_id="late-task")
    assert refs(tmp_path) == before
    assert lock.read_text() == "someone else\n"  # a foreign lock is never removed


def test_a_full_disk_is_a_repository_error_and_the_ref_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saver = GitSaver(tmp_path)
    build_graph(saver, Calls()).invoke(QUESTION, thread("t1"))
    before = refs(tmp_path)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)  # every new object is renamed into place
    with pytest.raises(RepositoryError, match=r"No space left on device.*nothing was changed"):
        build_graph(saver, Calls()).invoke({"question": "other", "notes": []}, thread("t1"))
    monkeypatch.undo()
    assert refs(tmp_path) == before


def test_an_author_that_is_not_name_and_email_is_refused_before_anything_is_created(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidNameError, match="Name <email>"):
        GitSaver(tmp_path / "state", author="agent\nInjected: trailer")
    assert not (tmp_path / "state").exists()


NOT_A_COMMIT = {"a-blob": "HEAD:notes.md", "a-tree": "HEAD^{tree}"}


@pytest.mark.parametrize("target", list(NOT_A_COMMIT.values()), ids=list(NOT_A_COMMIT))
def test_a_thread_ref_moved_by_hand_to_no_commit_is_refused_naming_the_ref(
    tmp_path: Path, target: str
) -> None:
    saver = GitSaver(tmp_path)
    (tmp_path / "notes.md").write_text("a person's notes\n")
    git(tmp_path, "add", "notes.md")
    git(tmp_path, "commit", "-qm", "Notes")
    ref = namespace_ref("t1", "")
    git(tmp_path, "update-ref", ref, git(tmp_path, "rev-parse", target).strip())
    before = refs(tmp_path)
    with pytest.raises(RepositoryError, match=f"{ref} cannot be read") as raised:
        saver.get_tuple(thread("t1"))
    assert f"git update-ref -d {ref}" in str(raised.value)
    assert raised.value.reason == "damaged"
    assert refs(tmp_path) == before
