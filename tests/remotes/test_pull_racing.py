"""A pull beside a person editing the files it is about to write.

A pull looks at the files it will overwrite, then may wait for ``index.lock`` (a
person's ``git commit`` holds it while their editor is open). An edit made in between
is refused, never overwritten: the edit is made right before the lock is taken.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import gitworktree.history._worktree.commit as commit_module
from gitworktree import ConflictError, Repository
from tests.oracle import git


def test_an_edit_made_before_a_pull_takes_the_index_lock_is_refused_not_overwritten(
    tmp_path: Path, hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Repository.clone(str(hub), tmp_path / "ours") as ours:
        ours.commit_changes({"notes.txt": b"base\n"}, message="Seed")
        ours.push()
        with Repository.clone(str(hub), tmp_path / "theirs") as theirs:
            theirs.commit_changes({"notes.txt": b"theirs\n"}, message="Theirs")
            theirs.push()
        head = ours.head
        real = commit_module.locked_index

        def person_edits_first(repo: object) -> object:
            (ours.path / "notes.txt").write_text("the person's notes\n")
            monkeypatch.setattr(commit_module, "locked_index", real)
            return real(repo)  # type: ignore[arg-type]

        monkeypatch.setattr(commit_module, "locked_index", person_edits_first)

        with pytest.raises(ConflictError, match=r"notes\.txt") as raised:
            ours.pull()

        assert raised.value.paths == ("notes.txt",)
        assert (ours.path / "notes.txt").read_text() == "the person's notes\n"
        assert ours.head == head
        assert git(ours, "status", "--porcelain") == " M notes.txt\n"
