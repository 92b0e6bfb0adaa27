"""A newcomer's mistakes in Python: each error says where, and what to do next.

The advice must work as followed: the command a hand-edited file's error names (plain
``git restore``) brings the committed file back, and the next mount loads; the way out of
a read-only mount it names brings the old revision's files back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitworktree import (
    ArtifactMap,
    BaseMounter,
    DocumentParseError,
    ReadOnlyError,
    SchemaValidationError,
    Worktree,
    mount,
)
from gitworktree.storage import FilesystemMountDriver
from tests.cli.conftest import invoke
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


def test_committing_a_tree_mounted_at_a_past_revision_says_how_to_write(board: Path) -> None:
    then = json.loads(git(board, "show", "HEAD~1:counter.json"))["number"]
    old = mount(Board, board, rev="HEAD~1")
    old.counter.number = 7

    with pytest.raises(ReadOnlyError) as raised:
        old.commit("Edit the past")

    assert "mount without rev=" in str(raised.value)
    assert "restore(rev)" in str(raised.value)
    tree = mount(Board, board)  # the advice, followed
    tree.restore("HEAD~1")
    assert tree.counter.number == then
    assert git(board, "status", "--porcelain") == ""
    tree.repo.close()


@pytest.mark.parametrize(
    ("assign", "holds"),
    [
        (
            lambda tree: tree.counters.__setitem__("c9", {"number": 3}),
            "counters holds Counter items",
        ),
        (
            lambda tree: tree.counters.__setitem__("c1", {"number": 3}),
            "counters['c1'] holds Counter",
        ),
        (lambda tree: setattr(tree, "counter", {"number": 3}), "counter holds Counter"),
    ],
    ids=["new-map-item", "map-item", "field"],
)
def test_assigning_a_dict_where_an_artifact_goes_says_how_to_make_one(
    board: Path, assign: Callable[[Board], None], holds: str
) -> None:
    tree = mount(Board, board)

    with pytest.raises(TypeError) as raised:
        assign(tree)

    assert str(raised.value) == (
        f"{holds}, not dict; assign a Counter, e.g. Counter(...), or "
        "Counter.model_validate(data) for a dict"
    )
    made = Counter.model_validate({"number": 3})  # the advice, followed
    tree.counters["c9"] = made
    assert tree.commit("Add c9") is not None
    tree.repo.close()


SCHEMA_TREE = """
from gitworktree import JsonDocument, Worktree, XmlDocument


class Note(JsonDocument):
    schema_path = "note.schema.json"
    default = {"lines": []}


class Todos(XmlDocument):
    schema_path = "todos.xsd"
    default = "<todos/>"


class State(Worktree):
    note: Note
    todos: Todos
"""


@pytest.mark.parametrize(
    ("missing", "cls"), [("note.schema.json", "Note"), ("todos.xsd", "Todos")], ids=["json", "xml"]
)
def test_a_missing_schema_file_names_the_class_and_where_it_was_looked_for(
    tmp_path: Path, missing: str, cls: str
) -> None:
    (tmp_path / "state.py").write_text(SCHEMA_TREE)
    (tmp_path / "note.schema.json").write_text('{"type": "object"}')
    (tmp_path / "todos.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="todos"/>'
        "</xs:schema>"
    )
    (tmp_path / missing).unlink()
    result = invoke("-C", tmp_path, "init", "data")
    assert result.exit_code == 0

    result = invoke(
        "-C", tmp_path / "data", "commit", "-m", "First", "--tree", tmp_path / "state.py:State"
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {cls}.schema_path {missing!r}: no schema file at {tmp_path / missing} (a "
        f"relative schema_path is read from the directory of the file that defines {cls}); "
        "put the schema there, or correct the path\n"
    )
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [".git"]  # nothing written
