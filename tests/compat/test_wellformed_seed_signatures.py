"""wellformed 0.2.2's own signatures, as its code and its test suite call them.

The README examples (test_wellformed_readme.py) use a few of them; code written against
wellformed also builds exceptions and checkpoints with its keywords, catches
``DocumentIntegrityError`` as the root, awaits ``from_content`` and runs the loop with
``max_attempts=``. Each behaviour here failed before the compat package took them.
"""

from __future__ import annotations

import asyncio
import json
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitworktree.compat.wellformed import (
    Checkpoint,
    CheckpointError,
    DirectoryCheckpoint,
    DocumentIntegrityError,
    DocumentMutation,
    DocumentParseError,
    FixingLoop,
    FixingLoopStatus,
    InvariantViolationError,
    MultiFileCheckpoint,
    MutationFailedError,
    SchemaValidationError,
    ValidatedDocument,
    run_fixing_loop,
)
from gitworktree.compat.wellformed import json as wf_json
from gitworktree.compat.wellformed import xml as wf_xml


@dataclass
class Toy(ValidatedDocument[dict]):
    """wellformed's own test document: a JSON object with a title and a count."""

    @classmethod
    def _parse(cls, content: str) -> dict:
        try:
            return json.loads(content)
        except json.JSONDecodeError as error:
            raise DocumentParseError(str(error), line=error.lineno, column=error.colno) from None

    @classmethod
    def _validate_schema(cls, content: str) -> list[str]:
        return [] if "count" in json.loads(content) else ["missing required field 'count'"]

    @classmethod
    def _get_document_type(cls) -> str:
        return "toy"

    @classmethod
    async def _repair(cls, content: str, errors: list[str], document_type: str) -> str:
        return json.dumps({**json.loads(content), "count": 0})


class Increment(DocumentMutation[dict]):
    async def execute(self, content: str, parsed: dict) -> str:
        parsed["count"] += 1
        return json.dumps(parsed)


class Explode(DocumentMutation[dict]):
    async def execute(self, content: str, parsed: dict) -> str:
        raise KeyError("no such task")


def run(awaitable):
    return asyncio.run(awaitable)


@pytest.mark.parametrize(
    "error",
    [
        DocumentParseError("bad", line=1, column=2),
        SchemaValidationError("bad", errors=["x"]),
        MutationFailedError("bad"),
        CheckpointError("used twice"),
        InvariantViolationError(2, 1, ["x"]),
        wf_xml.XMLParseError("bad"),
        wf_json.JSONParseError("bad"),
    ],
    ids=["parse", "schema", "mutation", "checkpoint", "invariant", "xml-parse", "json-parse"],
)
def test_document_integrity_error_is_the_root_of_every_wellformed_error(error) -> None:
    assert isinstance(error, DocumentIntegrityError)


def test_exceptions_take_wellformeds_keywords() -> None:
    failed = MutationFailedError("m", repair_attempts=3, final_errors=["e1", "e2"])
    parse = wf_xml.XMLParseError("p", filepath=Path("/f.xml"), line=10, column=5)
    schema = SchemaValidationError("s", filepath=Path("n.json"), errors=["e"])
    assert (failed.repair_attempts, failed.final_errors) == (3, ["e1", "e2"])
    assert (parse.filepath, parse.line, parse.column) == (Path("/f.xml"), 10, 5)
    assert (schema.filepath, schema.errors) == (Path("n.json"), ["e"])


def test_a_dataclass_subclass_is_awaited_from_content() -> None:
    async def main() -> Toy:
        return await Toy.from_content('{"count": 1}', Path("toy.json"))

    doc = run(main())
    assert (doc.parsed, doc.filepath) == ({"count": 1}, Path("toy.json"))


def test_apply_takes_max_fix_attempts_and_a_typed_mutation() -> None:
    doc = Toy.from_content('{"count": 1}', Path("toy.json"))
    new = run(doc.apply(Increment(name="inc", description="add one"), max_fix_attempts=1))
    assert (new.parsed, doc.parsed) == ({"count": 2}, {"count": 1})


def test_a_mutation_that_raises_is_a_mutation_failed_error_and_the_checkpoint_restores(
    tmp_path: Path,
) -> None:
    path = tmp_path / "toy.json"
    path.write_text('{"count": 1}')
    doc = run(Toy.load(path))
    checkpoint = doc.checkpoint()
    path.write_text('{"count": 99}')
    with pytest.raises(MutationFailedError) as caught:
        run(doc.apply(Explode(name="explode")))
    checkpoint.restore()
    assert isinstance(caught.value.original_error, KeyError)
    assert path.read_text() == '{"count": 1}'


def test_a_loop_without_a_repair_fails_after_no_attempts() -> None:
    result = run(FixingLoop(max_attempts=3).run("x", lambda c: ["broken"], "doc", None))
    assert (result.status, result.attempts, result.final_errors) == (
        FixingLoopStatus.FAILED,
        0,
        ["broken"],
    )


def test_a_loop_uses_its_own_repair_and_keeps_a_repair_history() -> None:
    async def fix(content, errors, document_type):
        return "ok"

    loop = FixingLoop(max_attempts=2, repair_fn=fix)
    result = run(loop.run("bad", lambda c: [] if c == "ok" else ["not ok"], "doc"))
    assert (result.status, result.content, result.repair_history) == (
        FixingLoopStatus.SUCCESS,
        "ok",
        ["Attempt 1: 1 error(s)"],
    )


@pytest.mark.parametrize(("fixed", "raises"), [(True, False), (False, True)], ids=["ok", "no"])
def test_run_fixing_loop_returns_valid_content_or_raises(fixed: bool, raises: bool) -> None:
    async def fix(content, errors, document_type):
        return "ok" if fixed else content

    call = run_fixing_loop("bad", lambda c: [] if c == "ok" else ["not ok"], fix, "doc")
    if raises:
        with pytest.raises(MutationFailedError) as caught:
            run(call)
        assert caught.value.final_errors == ["not ok"]
    else:
        assert run(call) == "ok"


def test_a_checkpoint_built_with_content_restores_it(tmp_path: Path) -> None:
    path = tmp_path / "toy.json"
    path.write_text("changed")
    checkpoint = Checkpoint(filepath=path, content="original", document_cls=Toy)
    checkpoint.restore()
    assert (path.read_text(), checkpoint.is_active, checkpoint.document_cls) == (
        "original",
        False,
        Toy,
    )


@pytest.mark.parametrize("then", ["add", "restore", "discard"], ids=["add", "restore", "discard"])
def test_a_multi_file_checkpoint_is_used_once(tmp_path: Path, then: str) -> None:
    multi = MultiFileCheckpoint()
    multi.add(Checkpoint.create(tmp_path / "a.json"))
    multi.restore()
    with pytest.raises(CheckpointError):
        getattr(multi, then)(*([Checkpoint.create(tmp_path / "b.json")] if then == "add" else []))
    assert multi.is_active is False


def test_a_directory_checkpoint_answers_to_wellformeds_names(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    checkpoint = DirectoryCheckpoint.create(tmp_path / "notes", backup_suffix=".bak")
    assert (checkpoint.original_dirpath, checkpoint.is_active) == (tmp_path / "notes", True)
    assert checkpoint.backup_dirpath.name.startswith(".notes.bak-")
    checkpoint.discard()
    assert not checkpoint.backup_dirpath.exists()


@pytest.mark.parametrize(
    ("module", "broken", "prefix"),
    [(wf_json, '{"x":', "JSON parse error: "), (wf_xml, "<a>", "XML parse error: ")],
    ids=["json", "xml"],
)
def test_a_format_schema_validator_checks_well_formedness_first(module, broken, prefix) -> None:
    calls: list[str] = []
    validate = module.make_schema_validator(lambda content: calls.append(content) or [])
    errors = validate(broken)
    assert (calls, len(errors), errors[0].startswith(prefix)) == ([], 1, True)


@pytest.mark.parametrize(
    ("module", "schema", "name", "broken"),
    [
        (wf_json, '{"type": "object"}', "s.json", '{"x":'),
        (
            wf_xml,
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a"/>'
            "</xs:schema>",
            "s.xsd",
            "<a>",
        ),
    ],
    ids=["json", "xml"],
)
def test_schema_validators_lead_parse_errors_with_the_format(
    tmp_path: Path, module, schema: str, name: str, broken: str
) -> None:
    (tmp_path / name).write_text(schema)
    make = getattr(module, f"make_{module.__name__.rsplit('.', 1)[1]}_schema_validator")
    errors = make(tmp_path / name)(broken)
    assert errors and errors[0].startswith(f"{module.__name__.rsplit('.', 1)[1].upper()} parse")


def test_relax_ng_validator_checks_against_an_rng_file(tmp_path: Path) -> None:
    rng = tmp_path / "doc.rng"
    rng.write_text(
        '<element name="doc" xmlns="http://relaxng.org/ns/structure/1.0"><empty/></element>'
    )
    validate = wf_xml.make_relax_ng_validator(rng)
    assert (validate("<doc/>"), bool(validate("<doc><x/></doc>"))) == ([], True)


def test_an_xml_document_s_tree_is_its_parsed_root() -> None:
    class Free(wf_xml.XMLValidatedDocument):
        @classmethod
        def _validate_schema(cls, content):
            return []

    doc = Free.from_content("<note/>")
    assert doc.tree is doc.parsed and doc.tree.tag == "note"


@dataclass
class SetCount(DocumentMutation[dict]):
    """A mutation with a parameter, written as a dataclass as wellformed's base is one."""

    value: int = 0

    async def execute(self, content: str, parsed: dict) -> str:
        return json.dumps({**parsed, "count": self.value})


def test_a_dataclass_mutation_takes_name_description_and_its_fields() -> None:
    mutation = SetCount(name="set", description="set the count", value=7)
    new = run(Toy.from_content('{"count": 1}').apply(mutation))
    assert (mutation.name, mutation.description, new.parsed) == (
        "set",
        "set the count",
        {"count": 7},
    )


def test_checkpoint_is_generic_in_its_document_as_wellformed_annotates_it() -> None:
    # wellformed's doc.checkpoint() returns Checkpoint[Self]; annotations naming
    # Checkpoint[Note] are evaluated at definition time without __future__ annotations.
    assert typing.get_origin(Checkpoint[Toy]) is Checkpoint


class StrictToy(Toy):
    """Overrides wellformed's ``_validate_fn`` hook: counts above 9 are refused too."""

    @classmethod
    def _validate_fn(cls):
        base = super()._validate_fn()

        def validate(content: str) -> list[str]:
            found = base(content)
            return found or (["count above 9"] if json.loads(content)["count"] > 9 else [])

        return validate

    @classmethod
    async def _repair(cls, content: str, errors: list[str], document_type: str) -> str:
        return json.dumps({"count": 9})


def test_an_overridden_validate_fn_is_what_apply_checks() -> None:
    new = run(StrictToy.from_content('{"count": 1}').apply(SetCount(name="set", value=50)))
    assert new.parsed == {"count": 9}
    assert StrictToy._validate_fn()('{"count": "x"') != []


def test_a_multi_file_restore_that_fails_on_one_file_restores_the_others_then_retries(
    tmp_path: Path,
) -> None:
    first, blocked = tmp_path / "a.json", tmp_path / "dir" / "b.json"
    blocked.parent.mkdir()
    first.write_text("a0")
    blocked.write_text("b0")
    multi = MultiFileCheckpoint([Checkpoint.create(first), Checkpoint.create(blocked)])
    first.write_text("a1")
    blocked.unlink()
    blocked.parent.rmdir()
    blocked.parent.write_text("a file where the directory was")
    with pytest.raises(CheckpointError) as caught:
        multi.restore()
    assert (first.read_text(), str(blocked) in str(caught.value)) == ("a0", True)
    blocked.parent.unlink()
    blocked.parent.mkdir()
    multi.restore()
    assert (blocked.read_text(), multi.is_active) == ("b0", False)


class ToBytes(DocumentMutation[dict]):
    async def execute(self, content: str, parsed: dict) -> str:
        return content.encode()  # type: ignore[return-value]


def test_a_mutation_returning_bytes_is_told_to_return_text() -> None:
    with pytest.raises(TypeError, match=r'encoding="unicode"'):
        run(Toy.from_content('{"count": 1}').apply(ToBytes(name="bytes")))


@pytest.mark.parametrize(
    ("module", "broken", "expected"),
    [
        (wf_json, '{\n  "a": ,\n}', "line 2, column 8: Expecting value"),
        (wf_xml, "<a>\n<b></a>", "line 2, column 8: Opening and ending tag mismatch"),
    ],
    ids=["json", "xml"],
)
def test_a_parse_error_reads_as_one_located_message(module, broken: str, expected: str) -> None:
    document = getattr(module, f"{module.__name__.rsplit('.', 1)[1].upper()}ValidatedDocument")
    with pytest.raises(DocumentParseError) as caught:
        document.from_content(broken)
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """``toy.json`` is a symbolic link to ``real.json`` (a dotfile set-up, say)."""
    (tmp_path / "real.json").write_text('{"count": 1}')
    (tmp_path / "toy.json").symlink_to("real.json")
    return tmp_path / "toy.json"


@pytest.mark.parametrize("how", ["checkpoint", "save"], ids=["checkpoint-restore", "save"])
def test_writing_a_linked_file_writes_through_the_link_as_wellformed_did(
    linked: Path, how: str
) -> None:
    doc = run(Toy.load(linked))
    checkpoint = doc.checkpoint()
    linked.write_text('{"count": 2}')  # through the link: real.json changes
    checkpoint.restore() if how == "checkpoint" else doc.save()
    assert (linked.is_symlink(), (linked.parent / "real.json").read_text()) == (
        True,
        '{"count": 1}',
    )
