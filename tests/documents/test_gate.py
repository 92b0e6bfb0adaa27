"""The commit gate on every backend: nothing invalid is written, repairs land repaired."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gitworktree import (
    CommitRejectedError,
    DocumentParseError,
    GitWorktreeError,
    InsideRunningLoopError,
    MutationFailedError,
    ValidationIssue,
    Worktree,
    mount,
)
from tests.conftest import MountRoot, read_stored
from tests.documents.models import DocTree, FreeXml, Note, SetPriority
from tests.oracle import git
from tests.tree.models import CounterTree, Outer

Issues = Sequence[ValidationIssue]


def fix_counter(content: str, issues: Issues, document_type: str) -> str:
    data = json.loads(content)
    data["number"] = len(str(data["number"]))
    return json.dumps(data)


async def afix_counter(content: str, issues: Issues, document_type: str) -> str:
    await asyncio.sleep(0)
    return fix_counter(content, issues, document_type)


def test_tree_wide_sync_repair(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root(), repair=fix_counter)
    tree.counter.number = "four"  # type: ignore[assignment]
    info = tree.commit()
    assert info is not None and info.trailers == {"Gitworktree-Repaired": "counter.json attempts=1"}
    assert json.loads(read_stored(mount_root(), "counter.json")) == {"number": 4}
    assert tree.counter.number == 4


def test_tree_wide_async_repair_in_a_plain_script(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root(), repair=afix_counter)
    tree.counter.number = "seven"  # type: ignore[assignment]
    tree.commit()
    assert tree.counter.number == 5


def test_acommit_awaits_an_async_repair(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root(), repair=afix_counter)

    async def step() -> None:
        tree.counter.number = "ab"  # type: ignore[assignment]
        await tree.acommit("async step")

    asyncio.run(step())
    assert json.loads(read_stored(mount_root(), "counter.json")) == {"number": 2}


def test_sync_commit_inside_a_running_loop_with_async_repair_says_use_acommit(
    mount_root: MountRoot,
) -> None:
    tree = mount(CounterTree, mount_root(), repair=afix_counter)

    async def step() -> None:
        tree.counter.number = "ab"  # type: ignore[assignment]
        tree.commit()

    with pytest.raises(
        InsideRunningLoopError, match=r"use `await tree\.acommit\(\.\.\.\)`"
    ) as caught:
        asyncio.run(step())
    assert isinstance(caught.value, GitWorktreeError)
    assert "arun" not in str(caught.value)
    assert json.loads(read_stored(mount_root(), "counter.json")) == {"number": 0}


def test_a_repair_that_raises_is_a_failed_attempt(mount_root: MountRoot) -> None:
    calls: list[int] = []

    def broken(content: str, issues: Issues, document_type: str) -> str:
        calls.append(1)
        raise ConnectionError("LLM unavailable")

    tree = mount(CounterTree, mount_root(), repair=broken)
    tree.counter.number = "x"  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    assert calls  # it was tried
    assert json.loads(read_stored(mount_root(), "counter.json")) == {"number": 0}
    assert caught.value.failures["counter.json"]


def test_max_attempts_is_honoured(mount_root: MountRoot) -> None:
    calls: list[str] = []

    def never_enough(content: str, issues: Issues, document_type: str) -> str:
        calls.append(content)
        return json.dumps({"number": f"still bad {len(calls)}"})

    tree = mount(CounterTree, mount_root(), repair=never_enough, max_repair_attempts=2)
    tree.counter.number = "x"  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError):
        tree.commit()
    assert len(calls) == 2


def test_the_repair_sees_every_issue_and_the_document_type(mount_root: MountRoot) -> None:
    seen: list[tuple[list[str | None], str]] = []

    def record(content: str, issues: Issues, document_type: str) -> str:
        seen.append(([issue.pointer for issue in issues], document_type))
        return content

    tree = mount(CounterTree, mount_root(), repair=record)
    tree.counter.number = "x"  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError):
        tree.commit()
    assert seen[0] == (["/number"], "Counter")


def test_one_invalid_artifact_refuses_the_whole_commit(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    before = {name: read_stored(mount_root(), name) for name in ["note.json", "shout.md"]}
    tree.note.data["lines"].append("fine")
    tree.shout.text = "not shouting"
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    assert list(caught.value.failures) == ["shout.md"]
    assert "upper case" in str(caught.value)
    for name, data in before.items():
        assert read_stored(mount_root(), name) == data


def test_rejection_keeps_memory_so_a_fix_can_follow(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    tree.shout.text = "quiet"
    with pytest.raises(CommitRejectedError):
        tree.commit()
    tree.shout.text = "LOUD"
    info = tree.commit()
    assert info is not None and info.paths == ("shout.md",)


def test_json_document_in_place_change_is_committed(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    tree.note.data["lines"].append("one")
    info = tree.commit()
    assert info is not None and info.paths == ("note.json",)
    assert json.loads(read_stored(mount_root(), "note.json"))["lines"] == ["one"]


def test_reading_a_document_without_change_never_rewrites_it(mount_root: MountRoot) -> None:
    mount_root().touch("note.json").write_text('{"type":"note","lines":[]}')  # not canonical
    tree = mount(DocTree, mount_root())
    assert tree.note.data["lines"] == []
    first = tree.commit()  # on Git the file was never committed: it lands as it is
    assert first is None or first.paths == ("note.json",)
    assert tree.commit() is None
    assert read_stored(mount_root(), "note.json") == b'{"type":"note","lines":[]}'


def test_sync_of_an_invalid_stored_file_repairs_with_the_hook(mount_root: MountRoot) -> None:
    mount(CounterTree, mount_root())
    mount_root().object("counter.json").write_text('{"number": "three"}')
    tree = mount(CounterTree, mount_root(), repair=fix_counter)
    assert tree.counter.number == 5  # repaired in memory
    assert read_stored(mount_root(), "counter.json") == b'{"number": "three"}'
    tree.adopt()  # on Git the edit is someone else's until the program takes it over
    tree.commit("Land the repair")
    assert json.loads(read_stored(mount_root(), "counter.json")) == {"number": 5}


def test_sync_of_an_invalid_stored_file_without_hook_is_a_clear_error(
    mount_root: MountRoot,
) -> None:
    mount(DocTree, mount_root())
    mount_root().object("note.json").write_text('{"type": "note", "lines": [1, 2}')
    with pytest.raises(DocumentParseError, match=r"note\.json"):
        mount(DocTree, mount_root())
    assert read_stored(mount_root(), "note.json") == b'{"type": "note", "lines": [1, 2}'


def test_unrepairable_stored_file_raises_mutation_failed(mount_root: MountRoot) -> None:
    mount(CounterTree, mount_root())
    mount_root().object("counter.json").write_text('{"number": "x"}')
    with pytest.raises(MutationFailedError, match=r"counter\.json"):
        mount(CounterTree, mount_root(), repair=lambda content, issues, kind: content)


def test_documents_are_created_from_defaults(mount_root: MountRoot) -> None:
    mount(DocTree, mount_root())
    root = mount_root()
    assert sorted(root.ls()) == ["free.xml", "note.json", "shout.md", "todos.xml"]
    assert json.loads(read_stored(root, "note.json")) == {"type": "note", "lines": []}


def test_document_assignment_and_content_setter(mount_root: MountRoot) -> None:
    tree = mount(DocTree, mount_root())
    tree.note = Note.from_content('{"type": "note", "lines": ["a"]}')
    tree.free.content = "<doc><x/></doc>"
    info = tree.commit()
    assert info is not None and info.paths == ("free.xml", "note.json")
    assert read_stored(mount_root(), "free.xml") == b"<doc>\n  <x/>\n</doc>\n"


def test_a_rejection_keeps_the_last_candidate_and_every_attempt(mount_root: MountRoot) -> None:
    def half_fix(content: str, issues: Issues, document_type: str) -> str:
        return json.dumps({"number": "still not a number"})

    tree = mount(CounterTree, mount_root(), repair=half_fix, max_repair_attempts=2)
    tree.counter.number = "x"  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    rejected = caught.value
    assert json.loads(rejected.candidates["counter.json"]) == {"number": "still not a number"}
    history = rejected.histories["counter.json"]
    assert len(history) >= 2 and all(history)  # the input's issues, then the repair's
    assert all(issue.artifact == "counter.json" for attempt in history for issue in attempt)


@pytest.mark.parametrize("mounts", [1, 2], ids=["created-from-default", "read-from-storage"])
def test_a_failed_mutation_names_the_file_on_every_issue_line(
    mount_root: MountRoot, mounts: int
) -> None:
    for _ in range(mounts):
        tree = mount(DocTree, mount_root())
    with pytest.raises(MutationFailedError) as caught:
        tree.todos.apply(SetPriority(0, "urgent"), max_attempts=0)
    assert caught.value.artifact == "todos.xml"
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("todos.xml: ")
    assert lines[1:] and all(line.startswith("  - todos.xml:2: ") for line in lines[1:])
    assert all(issue.artifact == "todos.xml" for issue in caught.value.issues)


def test_a_repair_back_to_the_committed_content_makes_no_commit(mount_root: MountRoot) -> None:
    tree = mount(CounterTree, mount_root())
    before = read_stored(mount_root(), "counter.json")

    def undo(content: str, issues: Issues, document_type: str) -> str:
        return before.decode()

    tree = mount(CounterTree, mount_root(), repair=undo)
    tree.counter.number = "not a number"  # type: ignore[assignment]
    assert tree.commit("Nothing to say") is None
    assert tree.counter.number == 0
    assert read_stored(mount_root(), "counter.json") == before


def test_a_repair_back_to_the_committed_content_leaves_git_history_alone(tmp_path: Path) -> None:
    mount(Outer, tmp_path)
    head = git(tmp_path, "rev-parse", "HEAD")
    committed = git(tmp_path, "show", "HEAD:counter.json")
    tree = mount(Outer, tmp_path, repair=lambda content, issues, kind: committed)
    tree.counter.number = "x"  # type: ignore[assignment]
    tree.inner.counter.number = 5
    info = tree.commit("Only inner")
    assert info is not None and info.paths == ("inner/counter.json",)
    assert "Gitworktree-Repaired" not in info.trailers
    assert git(tmp_path, "rev-parse", "HEAD~1").strip() == head.strip()
    assert tree.commit() is None
    assert git(tmp_path, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("repair", "repaired", "advice"),
    [
        (None, (), "fix them or give a repair= hook"),
        (
            lambda content, issues, kind: content,
            ("counter.json",),
            "the repair hook ran on counter.json and left it invalid",
        ),
    ],
    ids=["without-hook", "hook-failed"],
)
def test_a_rejection_says_whether_a_repair_hook_ran(
    mount_root: MountRoot, repair: Any, repaired: tuple[str, ...], advice: str
) -> None:
    tree = mount(CounterTree, mount_root(), repair=repair)
    tree.counter.number = "x"  # type: ignore[assignment]
    with pytest.raises(CommitRejectedError) as caught:
        tree.commit()
    assert caught.value.repaired == repaired
    first = str(caught.value).splitlines()[0]
    assert advice in first
    assert ("give a repair= hook" in first) is (repair is None)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("free", "<doc>\n  <y/>\n</doc>\n"),
        ("note", '{\n  "type": "note",\n  "lines": [\n    "b"\n  ]\n}\n'),
    ],
    ids=["xml", "json"],
)
def test_assigning_text_sets_any_documents_content(
    mount_root: MountRoot, field: str, text: str
) -> None:
    tree = mount(DocTree, mount_root())
    document = getattr(tree, field)
    document.text = text
    assert document.content == text
    info = tree.commit()
    assert info is not None and len(info.paths) == 1
    assert read_stored(mount_root(), info.paths[0]) == text.encode()


CANONICAL_NOTE = b'{\n  "type": "note",\n  "lines": [\n    "fixed by llm"\n  ]\n}\n'
CANONICAL_FREE = b"<doc>\n  <x>\n    <y/>\n  </x>\n</doc>\n"


def test_a_repair_on_one_line_is_stored_in_the_canonical_form(mount_root: MountRoot) -> None:
    def llm(content: str, issues: Issues, document_type: str) -> str:
        return '{"type": "note", "lines": ["fixed by llm"]}'

    tree = mount(DocTree, mount_root(), repair=llm)
    tree.note.content = '{"type": "note", "lines": [1]}'
    assert tree.commit() is not None
    assert read_stored(mount_root(), "note.json") == CANONICAL_NOTE


def test_lxml_built_xml_is_stored_indented(mount_root: MountRoot) -> None:
    from lxml import etree

    tree = mount(DocTree, mount_root())
    root = etree.Element("doc")
    etree.SubElement(etree.SubElement(root, "x"), "y")
    tree.free.content = etree.tostring(root, encoding="unicode")
    tree.commit()
    assert read_stored(mount_root(), "free.xml") == CANONICAL_FREE


class VerbatimFree(FreeXml):
    canonical_form = False


class VerbatimTree(Worktree):
    free: VerbatimFree


def test_canonical_form_false_stores_the_text_as_written(mount_root: MountRoot) -> None:
    tree = mount(VerbatimTree, mount_root())
    tree.free.content = "<doc><x><y/></x></doc>"
    tree.commit()
    assert read_stored(mount_root(), "free.xml") == b"<doc><x><y/></x></doc>"


def test_a_hand_formatted_file_read_and_left_alone_is_not_rewritten(
    mount_root: MountRoot,
) -> None:
    mount(DocTree, mount_root())
    hand = b'{"type": "note",   "lines": ["kept as typed"]}'
    mount_root().object("note.json").write_bytes(hand)
    tree = mount(DocTree, mount_root())
    tree.adopt()
    assert tree.note.data["lines"] == ["kept as typed"]  # handed out, not changed
    tree.commit()
    assert read_stored(mount_root(), "note.json") == hand


def test_a_one_line_repair_equal_to_the_committed_value_makes_no_commit(
    mount_root: MountRoot,
) -> None:
    tree = mount(CounterTree, mount_root(), repair=lambda content, issues, kind: '{"number":0}')
    before = read_stored(mount_root(), "counter.json")
    tree.counter.number = "not a number"  # type: ignore[assignment]
    assert tree.commit() is None
    assert read_stored(mount_root(), "counter.json") == before


def test_a_file_repaired_when_loaded_lands_in_the_canonical_form(mount_root: MountRoot) -> None:
    def llm(content: str, issues: Issues, document_type: str) -> str:
        return '{"type": "note", "lines": ["fixed by llm"]}'

    mount(DocTree, mount_root())
    mount_root().object("note.json").write_text('{"type": "note", "lines": [1]}')
    tree = mount(DocTree, mount_root(), repair=llm)
    tree.adopt()
    info = tree.commit("Land the repair")
    assert info is not None and info.trailers["Gitworktree-Repaired"] == "note.json attempts=1"
    assert read_stored(mount_root(), "note.json") == CANONICAL_NOTE
    tree.note.data  # noqa: B018 - handed out again: must not be rewritten in another form
    assert tree.commit() is None
