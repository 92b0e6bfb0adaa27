"""Every example of wellformed's README, run against gitworktree.compat.wellformed.

Each example is the README's code with its imports changed from ``wellformed`` to
``gitworktree.compat.wellformed`` and its placeholders (the LLM call, ``regenerate_notes``)
filled in; a top-level ``await`` runs inside ``asyncio.run``. The files the README assumes
on disk are written into a fresh working directory first.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lxml import etree

from gitworktree.compat.wellformed import (
    DirectoryCheckpoint,
    DocumentMutation,
    DocumentParseError,
    FixingLoop,
    FixingLoopStatus,
    MultiFileCheckpoint,
    MutationFailedError,
    ValidatedDocument,
    extract_line_column_from_message,
)
from gitworktree.compat.wellformed.json import JSONValidatedDocument, make_json_schema_validator
from gitworktree.compat.wellformed.xml import (
    XMLParseError,
    XMLValidatedDocument,
    make_xml_schema_validator,
    make_xml_wellformed_validator,
)

NOTE_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="note">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="line" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

NOTE_SCHEMA_JSON = """{
  "type": "object",
  "required": ["type", "lines"],
  "properties": {
    "type": {"const": "note"},
    "lines": {"type": "array", "items": {"type": "string"}}
  }
}
"""

TODOS_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="todos">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="task" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="title" type="xs:string"/>
            </xs:sequence>
            <xs:attribute name="priority" use="required">
              <xs:simpleType>
                <xs:restriction base="xs:string">
                  <xs:enumeration value="low"/>
                  <xs:enumeration value="medium"/>
                  <xs:enumeration value="high"/>
                </xs:restriction>
              </xs:simpleType>
            </xs:attribute>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

TODOS_XML = """<todos>
  <task priority="high"><title>Ship wellformed v0.1</title></task>
  <task priority="medium"><title>Write the tutorial</title></task>
</todos>
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the files the README's examples assume."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "note.xsd").write_text(NOTE_XSD)
    (tmp_path / "schemas" / "note.schema.json").write_text(NOTE_SCHEMA_JSON)
    (tmp_path / "note.xml").write_text("<note><line>first</line></note>\n")
    (tmp_path / "note.json").write_text('{"type": "note", "lines": ["first"]}\n')
    (tmp_path / "todos.xsd").write_text(TODOS_XSD)
    (tmp_path / "todos.xml").write_text(TODOS_XML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the quickstarts --------------------------------------------------------------------


def test_xml_quickstart_appends_a_line_and_saves(workdir: Path) -> None:
    XSD = make_xml_schema_validator(Path("schemas/note.xsd"))

    class Note(XMLValidatedDocument):
        @classmethod
        def _validate_schema(cls, content):
            return XSD(content)

        @classmethod
        def _get_document_type(cls):
            return "note"

        @classmethod
        async def _repair(cls, content, errors, document_type):
            raise AssertionError("a valid mutation never calls the repair")

    class AppendLine(DocumentMutation):
        async def execute(self, content, parsed):
            child = etree.SubElement(parsed, "line")
            child.text = "added by the agent"
            return etree.tostring(parsed, encoding="unicode")

    async def main() -> None:
        doc = await Note.load(Path("note.xml"))
        checkpoint = doc.checkpoint()
        try:
            new_doc = await doc.apply(AppendLine(name="append"))
            new_doc.save()
            checkpoint.discard()
        except MutationFailedError:
            checkpoint.restore()
            raise

    asyncio.run(main())
    lines = [line.text for line in etree.fromstring((workdir / "note.xml").read_bytes())]
    assert lines == ["first", "added by the agent"]


def test_json_quickstart_appends_a_line_and_saves(workdir: Path) -> None:
    SCHEMA = make_json_schema_validator(Path("schemas/note.schema.json"))

    class Note(JSONValidatedDocument):
        @classmethod
        def _validate_schema(cls, content):
            return SCHEMA(content)

        @classmethod
        def _get_document_type(cls):
            return "note"

        @classmethod
        async def _repair(cls, content, errors, document_type):
            raise AssertionError("a valid mutation never calls the repair")

    class AppendLine(DocumentMutation):
        async def execute(self, content, parsed):
            parsed["lines"].append("added by the agent")
            return json.dumps(parsed)

    async def main() -> None:
        doc = await Note.load(Path("note.json"))
        checkpoint = doc.checkpoint()
        try:
            new_doc = await doc.apply(AppendLine(name="append"))
            new_doc.save()
            checkpoint.discard()
        except MutationFailedError:
            checkpoint.restore()
            raise

    asyncio.run(main())
    saved = json.loads((workdir / "note.json").read_text())
    assert saved == {"type": "note", "lines": ["first", "added by the agent"]}


# --- multi-file and directory checkpoints -----------------------------------------------


class JsonNote(JSONValidatedDocument):
    """The JSON quickstart's ``Note``, with a repair that cannot fix anything."""

    @classmethod
    def _validate_schema(cls, content):
        return make_json_schema_validator(json.loads(NOTE_SCHEMA_JSON))(content)

    @classmethod
    def _get_document_type(cls):
        return "note"

    @classmethod
    async def _repair(cls, content, errors, document_type):
        return content


class AppendLine(DocumentMutation):
    """The JSON quickstart's mutation; ``AppendLine(name="broken")`` appends a number."""

    async def execute(self, content, parsed):
        parsed["lines"].append(42 if self.name == "broken" else "added by the agent")
        return json.dumps(parsed)


@pytest.mark.parametrize(
    ("second_mutation", "expected_a"),
    [("append-b", ["a", "added by the agent"]), ("broken", ["a"])],
    ids=["both-succeed", "second-fails-first-reverted"],
)
def test_multi_file_checkpoint_example(
    workdir: Path, second_mutation: str, expected_a: list[str]
) -> None:
    Path("team-a.note.json").write_text('{"type": "note", "lines": ["a"]}')
    Path("team-b.note.json").write_text('{"type": "note", "lines": ["b"]}')
    Note = JsonNote

    async def main() -> None:
        note_a = await Note.load(Path("team-a.note.json"))
        note_b = await Note.load(Path("team-b.note.json"))

        multi = MultiFileCheckpoint()
        multi.add(note_a.checkpoint())
        multi.add(note_b.checkpoint())

        try:
            new_a = await note_a.apply(AppendLine(name="append-a"))
            new_a.save()
            new_b = await note_b.apply(AppendLine(name=second_mutation))
            new_b.save()
            multi.discard()
        except MutationFailedError:
            multi.restore()
            raise

    if second_mutation == "broken":
        with pytest.raises(MutationFailedError):
            asyncio.run(main())
    else:
        asyncio.run(main())
    assert json.loads(Path("team-a.note.json").read_text())["lines"] == expected_a
    expected_b = ["b"] if second_mutation == "broken" else ["b", "added by the agent"]
    assert json.loads(Path("team-b.note.json").read_text())["lines"] == expected_b


def _tree_of(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): path.read_text()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("fails", [True, False], ids=["failure-restores", "success-keeps"])
def test_directory_checkpoint_example(workdir: Path, fails: bool) -> None:
    notes = Path("notes/")
    notes.mkdir()
    (notes / "keep.md").write_text("keep")
    (notes / "edit.md").write_text("before")
    (notes / "delete.md").write_text("doomed")
    before = _tree_of(notes)

    async def regenerate_notes(notes_dir: Path) -> None:
        (notes_dir / "edit.md").write_text("after")
        (notes_dir / "delete.md").unlink()
        (notes_dir / "new.md").write_text("created")
        if fails:
            raise MutationFailedError("regeneration failed")

    async def main() -> None:
        notes_dir = Path("notes/")
        checkpoint = DirectoryCheckpoint.create(notes_dir)

        try:
            await regenerate_notes(notes_dir)  # may add, modify, or delete files
            checkpoint.discard()  # on success: backup is removed
        except MutationFailedError:
            checkpoint.restore()  # on failure: directory is restored
            raise

    if fails:
        with pytest.raises(MutationFailedError):
            asyncio.run(main())
        assert _tree_of(notes) == before
    else:
        asyncio.run(main())
        assert _tree_of(notes) == {"edit.md": "after", "keep.md": "keep", "new.md": "created"}
    assert sorted(p.name for p in workdir.iterdir() if "checkpoint" in p.name) == []


# --- the extended example ---------------------------------------------------------------

VALID_PRIORITIES = {"low", "medium", "high"}


def test_extended_example_repairs_iteratively_then_rolls_back(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    XSD = make_xml_schema_validator(Path("todos.xsd"))
    repair_rounds: list[list[str]] = []

    class TodoList(XMLValidatedDocument):
        @classmethod
        def _validate_schema(cls, content):
            return XSD(content)

        @classmethod
        def _get_document_type(cls):
            return "todo-list"

        @classmethod
        async def _repair(cls, content, errors, document_type):
            repair_rounds.append(list(errors))
            try:
                root = etree.fromstring(content.encode("utf-8"))
            except etree.XMLSyntaxError:
                return content
            bad_priority_tasks = [
                t
                for t in root.iter("task")
                if t.get("priority") is not None and t.get("priority") not in VALID_PRIORITIES
            ]
            if bad_priority_tasks:
                for t in bad_priority_tasks:
                    t.set("prio", t.get("priority"))
                    del t.attrib["priority"]
                return etree.tostring(root, encoding="unicode")
            missing_priority_tasks = [t for t in root.iter("task") if t.get("priority") is None]
            if missing_priority_tasks:
                for t in missing_priority_tasks:
                    stashed = t.get("prio", "")
                    candidate = stashed.lower() if stashed else "medium"
                    if candidate not in VALID_PRIORITIES:
                        candidate = "medium"
                    t.set("priority", candidate)
                    if "prio" in t.attrib:
                        del t.attrib["prio"]
                return etree.tostring(root, encoding="unicode")
            return content

    class BulkReprioritise(DocumentMutation):
        def __init__(self, value: str):
            super().__init__(name=f"bulk-reprioritise-{value}")
            self.value = value

        async def execute(self, content, parsed):
            for task in parsed.iter("task"):
                task.set("priority", self.value)
            return etree.tostring(parsed, encoding="unicode")

    class PurgeTitles(DocumentMutation):
        def __init__(self):
            super().__init__(name="purge-titles")

        async def execute(self, content, parsed):
            for title in list(parsed.iter("title")):
                title.getparent().remove(title)
            return etree.tostring(parsed, encoding="unicode")

    async def main() -> None:
        doc = await TodoList.load(Path("todos.xml"))
        doc = await doc.apply(BulkReprioritise("High"))
        doc.save()
        checkpoint = doc.checkpoint()
        try:
            await doc.apply(PurgeTitles())
        except MutationFailedError:
            checkpoint.restore()

    with caplog.at_level("INFO", logger="gitworktree.compat.wellformed"):
        asyncio.run(main())
    # The README's trace: mutation 1 goes 2 -> 4 -> 0 errors; mutation 2 gives up.
    assert caplog.messages == [
        "todo-list: repair attempt 1: 2 -> 4 error(s)",
        "todo-list: repair attempt 2: 4 -> 0 error(s)",
        "todo-list: repair attempt 1 returned the content unchanged",
        "todo-list: still invalid after 1 repair attempt(s)",
    ]
    saved = etree.fromstring((workdir / "todos.xml").read_bytes())
    assert [t.get("priority") for t in saved.iter("task")] == ["high", "high"]
    assert [t.findtext("title") for t in saved.iter("task")] == [
        "Ship wellformed v0.1",
        "Write the tutorial",
    ]
    # Mutation 1: two errors, then four after Strategy A, then valid (two repair calls).
    assert [len(errors) for errors in repair_rounds[:2]] == [2, 4]


# --- LLM-agnostic repair, and no schema -------------------------------------------------


async def deterministic_repair(content, errors, document_type):
    # If the schema just needs a missing closing tag added, we don't
    # need an LLM — a regex fix does.
    if not content.rstrip().endswith("</note>"):
        return content + "</note>"
    return content


def test_deterministic_repair_backs_the_note_class(workdir: Path) -> None:
    XSD = make_xml_schema_validator(Path("schemas/note.xsd"))
    repair = deterministic_repair

    class Note(XMLValidatedDocument):
        @classmethod
        def _validate_schema(cls, content):
            return XSD(content)

        @classmethod
        def _get_document_type(cls):
            return "note"

        @classmethod
        async def _repair(cls, content, errors, document_type):
            return await repair(content, errors, document_type)

    Path("truncated.xml").write_text("<note><line>cut off</line>")
    doc = asyncio.run(Note.load_with_repair(Path("truncated.xml")))
    assert doc.content == "<note><line>cut off</line></note>"
    assert [line.text for line in doc.parsed] == ["cut off"]


class FreeFormXML(XMLValidatedDocument):
    @classmethod
    def _validate_schema(cls, content):
        return []  # no schema check; parsing is the only invariant

    @classmethod
    def _get_document_type(cls):
        return "free-form-xml"

    @classmethod
    async def _repair(cls, content, errors, document_type):
        return content.replace("&", "&amp;")


@pytest.mark.parametrize(
    "content", ["<anything><goes/></anything>", "<x a='1'>text</x>"], ids=["nested", "attribute"]
)
def test_free_form_xml_accepts_any_well_formed_document(content: str) -> None:
    assert FreeFormXML.from_content(content).parsed.tag in {"anything", "x"}


def test_free_form_xml_rejects_malformed_content_with_its_location() -> None:
    with pytest.raises(XMLParseError) as caught:
        FreeFormXML.from_content("<a>\n  <b></a>")
    assert (caught.value.line, isinstance(caught.value, DocumentParseError)) == (2, True)


def test_free_form_xml_repair_fixes_a_stray_ampersand(workdir: Path) -> None:
    Path("free.xml").write_text("<p>fish & chips</p>")
    doc = asyncio.run(FreeFormXML.load_with_repair(Path("free.xml")))
    assert doc.parsed.text == "fish & chips"


def test_fixing_loop_driven_directly_with_the_wellformed_validator() -> None:
    result = asyncio.run(
        FixingLoop().run(
            "<note><line>x</line>",
            make_xml_wellformed_validator(),
            "note",
            deterministic_repair,
        )
    )
    assert (result.status, result.attempts, result.final_errors) == (
        FixingLoopStatus.SUCCESS,
        1,
        [],
    )


# --- writing a plugin -------------------------------------------------------------------


def test_a_plugin_is_four_hooks_on_validated_document(workdir: Path) -> None:
    import tomllib

    class TOMLParseError(DocumentParseError):
        pass

    class TOMLValidatedDocument(ValidatedDocument[dict]):
        @classmethod
        def _parse(cls, content):
            try:
                return tomllib.loads(content)
            except tomllib.TOMLDecodeError as error:
                line, column = extract_line_column_from_message(str(error))
                raise TOMLParseError(str(error), line=line, column=column) from None

        @classmethod
        def _validate_schema(cls, content):
            return [] if "name" in tomllib.loads(content) else ["missing key 'name'"]

        @classmethod
        def _get_document_type(cls):
            return "toml-config"

        @classmethod
        async def _repair(cls, content, errors, document_type):
            return 'name = "unnamed"\n' + content

    Path("config.toml").write_text("size = 3\n")
    with pytest.raises(TOMLParseError) as caught:
        TOMLValidatedDocument.from_content("size = \n")
    doc = asyncio.run(TOMLValidatedDocument.load_with_repair(Path("config.toml")))
    assert (caught.value.line, doc.parsed) == (1, {"name": "unnamed", "size": 3})
