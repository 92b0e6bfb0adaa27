"""Bad stored input: a clear error naming what and where, and nothing overwritten."""

from __future__ import annotations

import pytest

from gitworktree import (
    DocumentParseError,
    NodeKindError,
    SchemaValidationError,
    mount,
)
from tests.conftest import MountRoot, read_stored
from tests.tree.models import CounterTree, ProjectTree, TaskTree

MALFORMED = {
    "syntax": (b'{"number": 1,,}', 1),
    "truncated": (b'{\n  "number": ', 2),
    "nan": (b'{"number": NaN}', 1),
    "duplicate-key": (b'{"number": 1, "number": 2}', 1),
    "invalid-utf8": (b'{"number": "\xff\xfe"}', 1),
}


@pytest.mark.parametrize("name", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_json_names_file_and_line(mount_root: MountRoot, name: str) -> None:
    content, line = MALFORMED[name]
    mount_root().touch("counter.json").write_bytes(content)
    with pytest.raises(DocumentParseError) as caught:
        mount(CounterTree, mount_root())
    assert "counter.json" in str(caught.value)
    assert caught.value.issues[0].line == line
    assert caught.value.issues[0].artifact == "counter.json"
    assert read_stored(mount_root(), "counter.json") == content


def test_model_violation_names_the_field(mount_root: MountRoot) -> None:
    content = b'{\n  "number": "many"\n}\n'
    mount_root().touch("counter.json").write_bytes(content)
    with pytest.raises(SchemaValidationError) as caught:
        mount(CounterTree, mount_root())
    issue = caught.value.issues[0]
    assert issue.pointer == "/number"
    assert issue.line == 2
    assert issue.source == "model"
    assert "counter.json:2" in str(caught.value)
    assert read_stored(mount_root(), "counter.json") == content


def test_directory_where_a_file_is_claimed(mount_root: MountRoot) -> None:
    mount_root().mkdir("counter.json")
    with pytest.raises(NodeKindError) as caught:
        mount(CounterTree, mount_root())
    assert caught.value.path == "counter.json"
    assert "expected a file but found a directory" in str(caught.value)


def test_file_where_a_directory_is_claimed(mount_root: MountRoot) -> None:
    mount_root().touch("app").write_bytes(b"not a directory")
    with pytest.raises(NodeKindError) as caught:
        mount(ProjectTree, mount_root())
    assert caught.value.path == "app"
    assert read_stored(mount_root(), "app") == b"not a directory"


def test_one_bad_map_item_fails_the_mount_and_names_the_item(mount_root: MountRoot) -> None:
    tasks = mount_root().mkdir("tasks")
    tasks.touch("good.json").write_text('{"title": "ok"}')
    tasks.touch("bad.json").write_text('{"done": true}')
    with pytest.raises(SchemaValidationError) as caught:
        mount(TaskTree, mount_root())
    assert caught.value.artifact == "tasks/bad.json"
    assert caught.value.issues[0].pointer == "/title"


def test_invalid_in_memory_value_is_refused_at_commit(mount_root: MountRoot) -> None:
    from gitworktree import CommitRejectedError

    tree = mount(CounterTree, mount_root())
    tree.counter.number = "lots"  # type: ignore[assignment]  # no validation on assignment
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    assert list(caught.value.failures) == ["counter.json"]
    assert caught.value.failures["counter.json"][0].pointer == "/number"
    assert read_stored(mount_root(), "counter.json") == b'{\n  "number": 0\n}\n'


def test_unrenderable_value_is_refused_at_commit(mount_root: MountRoot) -> None:
    from gitworktree import CommitRejectedError

    tree = mount(CounterTree, mount_root())
    tree.counter.number = float("nan")  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError, match=r"counter\.json"):
        tree.commit()
    assert read_stored(mount_root(), "counter.json") == b'{\n  "number": 0\n}\n'
