"""Random sequences of change-sets replay exactly from history."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree.history import Repository
from tests.oracle import git

# A small namespace so that change-sets often touch the same files and directories, and
# no name is both a file and a directory.
FILES = ["a.txt", "b.json", "d/c.txt", "d/e/f.txt", "d/e/g.bin", "h/i.txt"]
content = st.binary(max_size=40)
change_set = st.dictionaries(st.sampled_from(FILES), st.none() | content, min_size=1, max_size=4)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(change_set, min_size=1, max_size=6))
def test_every_commit_reads_back_what_was_committed(
    tmp_path_factory: pytest.TempPathFactory, steps: list[dict[str, bytes | None]]
) -> None:
    root = tmp_path_factory.mktemp("prop")
    expected: dict[str, bytes] = {}
    snapshots = []
    with Repository.init(root) as repo:
        for number, changes in enumerate(steps):
            info = repo.commit_changes(changes, message=f"step {number}")
            for path, data in changes.items():
                if data is None:
                    expected.pop(path, None)
                else:
                    expected[path] = data
            snapshots.append((info.sha, dict(expected)))

        for sha, files in snapshots:
            for path in FILES:
                assert repo.read_file(sha, path) == files.get(path)
        on_disk = {path: (root / path).read_bytes() for path in FILES if (root / path).exists()}
        assert on_disk == snapshots[-1][1]
        assert repo.status() == []
    assert git(root, "status", "--porcelain") == ""
