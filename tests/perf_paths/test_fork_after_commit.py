"""A process that has committed forks: parent and child both commit, nothing collides.

The pid and the random part of temporary names are read once per process and must be
drawn again in a forked child (``os.register_at_fork``), or both would write the same
temporary names and share one parking folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gitworktree.atomic import process_id, unique_token
from gitworktree.history import Repository
from tests.oracle import git, git_lines


def _in_child(repository: Repository) -> dict[str, object]:
    """Fork; the child commits with the inherited repository and reports what it drew."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe, then exits
        status = 1
        try:
            os.close(read_end)
            report = {"pid": os.getpid(), "process_id": process_id(), "token": unique_token()}
            repository.commit_changes({"child.txt": b"child\n"}, message="child")
            os.write(write_end, json.dumps(report).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report: dict[str, object] = json.loads(pipe.read() or b"{}")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child's commit failed"
    return report


def test_a_forked_child_and_its_parent_both_commit_with_their_own_temporary_names(
    tmp_path: Path,
) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        repository.commit_changes({"parent.txt": b"1\n"}, message="parent before the fork")
        ours = (process_id(), unique_token())

        child = _in_child(repository)
        repository.commit_changes({"parent.txt": b"2\n"}, message="parent after the fork")

    assert child["process_id"] == child["pid"] != ours[0]
    assert child["token"] != ours[1] and str(child["token"])[:8] != ours[1][:8]
    assert git_lines(tmp_path / "repo", "log", "--format=%s") == [
        "parent after the fork",
        "child",
        "parent before the fork",
    ]
    assert git(tmp_path / "repo", "show", "HEAD:child.txt") == "child\n"
    assert git(tmp_path / "repo", "status", "--porcelain") == ""
    git(tmp_path / "repo", "fsck", "--strict", "--no-dangling")
    assert not list((tmp_path / "repo").rglob(".gwt-tmp-*"))
