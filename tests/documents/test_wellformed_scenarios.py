"""The wellformed README's scenarios, on documents standalone and inside a tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitworktree import (
    CommitRejectedError,
    DocumentParseError,
    FixingLoopStatus,
    MutationFailedError,
    SchemaValidationError,
    mount,
    run_fixing_loop,
)
from gitworktree.validation import make_xml_wellformed_validator
from tests.conftest import MountRoot, read_stored
from tests.documents.models import (
    TODOS,
    AppendLine,
    DocTree,
    Note,
    PurgeTitles,
    SetPriority,
    TodoList,
)


def test_two_pass_repair_of_an_out_of_enum_priority() -> None:
    todos = TodoList.from_content(TODOS)
    result = TodoList._fix(SetPriority(0, "High").execute(TODOS, todos.tree), None)
    assert result.status is FixingLoopStatus.SUCCESS
    assert result.attempts == 2  # quarantine first, restore second
    todos.apply(SetPriority(0, "High"))
    assert todos.tree.findall("task")[0].get("priority") == "high"
    assert todos.validate() == []


def test_unrecoverable_purge_raises_and_leaves_the_document_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "todos.xml"
    path.write_text(TODOS)
    todos = TodoList.load(path)
    with pytest.raises(MutationFailedError) as caught:
        todos.apply(PurgeTitles(name="purge"))
    assert "purge" in str(caught.value)
    assert caught.value.last_content is not None and "<title>" not in caught.value.last_content
    assert any("title" in issue.message for issue in caught.value.issues)
    assert todos.content == TODOS
    assert path.read_text() == TODOS


def test_apply_then_save_writes_the_repaired_document(tmp_path: Path) -> None:
    path = tmp_path / "todos.xml"
    path.write_text(TODOS)
    todos = TodoList.load(path)
    todos.apply(SetPriority(1, "LOW"))
    todos.save()
    assert 'priority="low"' in path.read_text()


def test_json_note_with_schema_and_async_mutation() -> None:
    note = Note.from_content('{"type": "note", "lines": []}')
    note.apply(AppendLine(name="append"))
    assert note.data == {"type": "note", "lines": ["added by the agent"]}


def test_json_note_schema_violation_is_reported_with_pointer() -> None:
    with pytest.raises(SchemaValidationError) as caught:
        Note.from_content('{"type": "memo", "lines": [1]}')
    pointers = {issue.pointer for issue in caught.value.issues}
    assert pointers == {"/type", "/lines/0"}


def test_load_with_repair_repairs_in_memory_only(tmp_path: Path) -> None:
    path = tmp_path / "note.json"
    broken = '{"type": "note"}'
    path.write_text(broken)

    def add_lines(content: str, issues: object, document_type: str) -> str:
        data = json.loads(content)
        data.setdefault("lines", [])
        return json.dumps(data)

    note = Note.load_with_repair(path, repair=add_lines)
    assert note.data == {"type": "note", "lines": []}
    assert path.read_text() == broken


def test_schema_less_well_formedness() -> None:
    result = run_fixing_loop(
        "<a><b></a>",
        make_xml_wellformed_validator(),
        lambda content, issues, kind: "<a><b/></a>",
    )
    assert result.status is FixingLoopStatus.SUCCESS and result.content == "<a><b/></a>"


def test_load_refuses_an_invalid_file_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "note.json"
    path.write_text("{not json")
    with pytest.raises(DocumentParseError, match=r"note\.json"):
        Note.load(path)


# --- the same scenarios inside a tree, on every backend --------------------------------


def test_tree_commit_repairs_with_the_class_hook(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    tree.todos.tree.findall("task")[1].set("priority", "High")  # was "medium"
    info = tree.commit("Reprioritize")
    assert info is not None
    assert info.trailers["Gitworktree-Repaired"] == "todos.xml attempts=2"
    stored = read_stored(mount_root(), "todos.xml").decode()
    assert stored.count('priority="high"') == 2 and "prio=" not in stored
    assert tree.todos.tree.findall("task")[1].get("priority") == "high"  # loaded back


def test_tree_commit_refuses_an_unrecoverable_edit(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    before = read_stored(mount_root(), "todos.xml")
    tree.todos.apply  # noqa: B018 - documents are edited through the tree too
    for title in list(tree.todos.tree.iter("title")):
        title.getparent().remove(title)  # type: ignore[union-attr]
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    assert list(caught.value.failures) == ["todos.xml"]
    assert read_stored(mount_root(), "todos.xml") == before
