"""A file hand-edited into invalid content: the mount says where, and what to do next.

The advice must work as printed: the command it names (plain ``git restore``) brings the
committed file back, and the next mount loads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import (
    ArtifactMap,
    BaseMounter,
    DocumentParseError,
    SchemaValidationError,
    Worktree,
    mount,
)
from gitworktree.storage import FilesystemMountDriver
from tests.oracle import git
from tests.tree.models import Counter


class Board(Worktree):
    counter: Counter
    counters: ArtifactMap[Counter]


@pytest.fixture
def board(tmp_path: Path) -> Path:
    tree = mount(Board, tmp_path / "board")
    tree.counter.number = 1
    tree.counters["c1"] = Counter(number=2)
    tree.commit("Count")
    tree.repo.close()
    return tmp_path / "board"


@pytest.mark.parametrize(
    ("path", "content", "error"),
    [
        ("counter.json", '{"number": ', DocumentParseError),
        ("counter.json", '{"number": "many"}\n', SchemaValidationError),
        ("counters/c1.json", "{,}", DocumentParseError),
    ],
    ids=["not-json", "not-the-model", "a-map-item"],
)
def test_mounting_an_invalid_edit_names_the_undo_command_and_it_works(
    board: Path, path: str, content: str, error: type[Exception]
) -> None:
    (board / path).write_text(content)

    with pytest.raises(error) as raised:
        mount(Board, board)

    message = str(raised.value)
    assert message.startswith(f"{path}: stored content is not ")
    assert "nothing was loaded or overwritten" in message
    assert f"`gitworktree restore --discard --path {path}`" in message
    assert "repair=" in message
    assert (board / path).read_text() == content  # nothing overwritten
    git(board, "restore", path)  # the advice, as printed
    tree = mount(Board, board)
    assert tree.counter.number == 1
    tree.repo.close()


def test_a_plain_directory_is_not_told_to_restore_from_git(tmp_path: Path) -> None:
    (tmp_path / "counter.json").write_text('{"number": ')

    with pytest.raises(DocumentParseError) as raised:
        BaseMounter(FilesystemMountDriver().mount(tmp_path)).mount(Board)

    assert "Fix the file, or mount with repair=..." in str(raised.value)
    assert "restore" not in str(raised.value)
