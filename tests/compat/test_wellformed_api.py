"""wellformed's documented API beyond the README examples."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import gitworktree
from gitworktree.compat.wellformed import (
    Checkpoint,
    CheckpointError,
    DocumentIntegrityError,
    DocumentMutation,
    DocumentParseError,
    FixingLoop,
    FixingLoopStatus,
    MultiFileCheckpoint,
    MutationFailedError,
    SchemaValidationError,
    extract_line_column_from_message,
    format_error_with_context,
    format_validation_errors,
    make_schema_validator,
    summarize_errors,
)
from gitworktree.compat.wellformed.json import (
    JSONParseError,
    JSONValidatedDocument,
    make_json_wellformed_validator,
)
from gitworktree.compat.wellformed.xml import XMLParseError, XMLValidatedDocument

SCHEMA = {"type": "object", "required": ["lines"], "properties": {"lines": {"type": "array"}}}


class Note(JSONValidatedDocument):
    """Lines must be a list; repair wraps a bare string into one."""

    @classmethod
    def _validate_schema(cls, content):
        data = json.loads(content)
        return [] if isinstance(data.get("lines"), list) else ["lines must be a list"]

    @classmethod
    async def _repair(cls, content, errors, document_type):
        data = json.loads(content)
        return json.dumps({"lines": [data["lines"]]})


class Unfixable(Note):
    """Each repair changes the content and the error, but never fixes it."""

    @classmethod
    def _validate_schema(cls, content):
        errors = super()._validate_schema(content)
        return [f"{errors[0]} (pass {len(content) - len(content.rstrip())})"] if errors else []

    @classmethod
    async def _repair(cls, content, errors, document_type):
        return content + " "


class SetLines(DocumentMutation):
    def __init__(self, lines: object) -> None:
        super().__init__(name="set-lines")
        self.lines = lines

    async def execute(self, content, parsed):
        parsed["lines"] = self.lines
        return json.dumps(parsed)


def run(awaitable):
    return asyncio.run(awaitable)


# --- documents --------------------------------------------------------------------------


def test_parsed_is_an_attribute_and_refresh_parsed_drops_in_place_edits() -> None:
    doc = Note.from_content('{"lines": ["a"]}')
    doc.parsed["lines"].append("edited in place")
    assert (doc.refresh_parsed(), doc.parsed) == ({"lines": ["a"]}, {"lines": ["a"]})


@pytest.mark.parametrize(
    ("validate", "raises"),
    [(True, SchemaValidationError), (False, None)],
    ids=["validated-refuses", "unvalidated-accepts"],
)
def test_from_content_validates_the_schema_only_when_asked(validate: bool, raises) -> None:
    if raises:
        with pytest.raises(raises) as caught:
            Note.from_content('{"lines": "x"}', "note.json", validate=validate)
        assert caught.value.errors == ["lines must be a list"]
    else:
        doc = Note.from_content('{"lines": "x"}', "note.json", validate=validate)
        assert (doc.parsed, doc.filepath) == ({"lines": "x"}, Path("note.json"))


def test_from_content_refuses_unparseable_content_with_its_location() -> None:
    with pytest.raises(JSONParseError) as caught:
        Note.from_content('{\n  "lines": [1,]\n}')
    assert (caught.value.line, caught.value.column) == (2, 15)


def test_from_content_without_validation_still_parses() -> None:
    with pytest.raises(JSONParseError):
        Note.from_content('{"lines": [1,]}', validate=False)


def test_fixing_loop_status_compares_equal_to_its_value() -> None:
    result = run(FixingLoop().run("ok", validator_of("x"), "doc", drop_one_x))
    assert (result.status == "already_valid", result.status is FixingLoopStatus.ALREADY_VALID) == (
        True,
        True,
    )


def test_run_can_lower_the_loop_limit_for_one_call() -> None:
    loop = FixingLoop(max_fix_attempts=5)
    result = run(
        loop.run(
            "xxxx",
            lambda t: [f"x{t.count('x')}"] if "x" in t else [],
            "d",
            drop_one_x,
            max_fix_attempts=1,
        )
    )
    assert (result.status, result.attempts, loop.max_fix_attempts) == (
        FixingLoopStatus.FAILED,
        1,
        5,
    )


def test_parse_errors_are_gitworktree_errors_too() -> None:
    with pytest.raises(gitworktree.DocumentParseError):
        Note.from_content("{")


def test_document_parse_error_takes_line_and_column() -> None:
    error = DocumentParseError("bad", line=3, column=7)
    assert (error.line, error.column, error.issues[0].line, error.issues[0].column) == (3, 7, 3, 7)


def test_load_with_repair_repairs_in_memory_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "note.json"
    path.write_text('{"lines": "solo"}')
    doc = run(Note.load_with_repair(path))
    assert (doc.parsed, path.read_text()) == ({"lines": ["solo"]}, '{"lines": "solo"}')


def test_load_with_repair_that_fails_raises_mutation_failed(tmp_path: Path) -> None:
    path = tmp_path / "note.json"
    path.write_text('{"lines": "solo"}')
    with pytest.raises(MutationFailedError) as caught:
        run(Unfixable.load_with_repair(path, max_attempts=2))
    error = caught.value
    assert (error.filepath, error.repair_attempts, error.final_errors) == (
        path,
        2,
        ["lines must be a list (pass 2)"],
    )
    assert isinstance(error, DocumentIntegrityError)


def test_apply_returns_a_new_document_and_leaves_the_original(tmp_path: Path) -> None:
    doc = Note.from_content('{"lines": []}', tmp_path / "n.json")
    new = run(doc.apply(SetLines(["x"])))
    assert (doc.parsed, new.parsed, new.filepath) == ({"lines": []}, {"lines": ["x"]}, doc.filepath)


def test_apply_repairs_an_invalid_result() -> None:
    new = run(Note.from_content('{"lines": []}').apply(SetLines("solo")))
    assert new.parsed == {"lines": ["solo"]}


@pytest.mark.parametrize("max_attempts", [1, 3], ids=["one", "three"])
def test_apply_that_cannot_be_repaired_raises_with_the_errors(max_attempts: int) -> None:
    doc = Unfixable.from_content('{"lines": []}')
    with pytest.raises(MutationFailedError) as caught:
        run(doc.apply(SetLines("solo"), max_attempts=max_attempts))
    error = caught.value
    assert (error.errors, error.mutation_name, error.attempts) == (
        [f"lines must be a list (pass {max_attempts})"],
        "set-lines",
        max_attempts,
    )
    assert isinstance(error, gitworktree.MutationFailedError)


def test_apply_logs_each_repair_attempt(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="gitworktree.compat.wellformed"):
        run(Note.from_content('{"lines": []}').apply(SetLines("solo")))
    assert caplog.messages == ["Note: repair attempt 1: 1 -> 0 error(s)"]


def test_max_fix_attempts_on_the_class_bounds_repairs() -> None:
    class Once(Unfixable):
        max_fix_attempts = 1

    with pytest.raises(MutationFailedError) as caught:
        run(Once.from_content('{"lines": []}').apply(SetLines("solo")))
    assert caught.value.attempts == 1


def test_save_writes_atomically_to_the_filepath(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    doc = Note.from_content('{"lines": ["a"]}', tmp_path / "docs" / "n.json")
    assert (doc.save().read_text(), sorted(p.name for p in (tmp_path / "docs").iterdir())) == (
        '{"lines": ["a"]}',
        ["n.json"],
    )


def test_xml_documents_never_resolve_entities() -> None:
    class Free(XMLValidatedDocument):
        pass

    hostile = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(XMLParseError):
        Free.from_content(hostile)


# --- checkpoints ------------------------------------------------------------------------


@pytest.mark.parametrize("existed", [True, False], ids=["existing-file", "missing-file"])
def test_checkpoint_restores_content_or_absence(tmp_path: Path, existed: bool) -> None:
    path = tmp_path / "f.txt"
    if existed:
        path.write_text("before")
    checkpoint = Checkpoint.create(path)
    path.write_text("after")
    checkpoint.restore()
    assert (path.read_text() if path.exists() else None) == ("before" if existed else None)
    assert checkpoint.original_content == ("before" if existed else None)


@pytest.mark.parametrize("first", ["restore", "discard"], ids=["restored", "discarded"])
def test_a_checkpoint_is_used_once(tmp_path: Path, first: str) -> None:
    (tmp_path / "f.txt").write_text("x")
    checkpoint = Checkpoint.create(tmp_path / "f.txt")
    getattr(checkpoint, first)()
    with pytest.raises(CheckpointError):
        checkpoint.restore()


def test_multi_file_checkpoint_takes_checkpoints_up_front(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a0")
    (tmp_path / "b").write_text("b0")
    multi = MultiFileCheckpoint(
        [Checkpoint.create(tmp_path / "a"), Checkpoint.create(tmp_path / "b")]
    )
    (tmp_path / "a").write_text("a1")
    (tmp_path / "b").unlink()
    multi.restore()
    assert ((tmp_path / "a").read_text(), (tmp_path / "b").read_text()) == ("a0", "b0")


def test_multi_file_checkpoint_restores_last_added_first(tmp_path: Path) -> None:
    path = tmp_path / "shared.txt"
    path.write_text("v0")
    multi = MultiFileCheckpoint()
    multi.add(Checkpoint.create(path))
    path.write_text("v1")
    multi.add(Checkpoint.create(path))
    path.write_text("v2")
    multi.restore()
    assert (path.read_text(), multi.active) == ("v0", False)


# --- the fixing loop --------------------------------------------------------------------


def validator_of(bad: str):
    return lambda content: [f"contains {bad}"] if bad in content else []


async def drop_one_x(content, errors, document_type):
    return content.replace("x", "", 1)


@pytest.mark.parametrize(
    ("content", "max_fix_attempts", "status", "attempts", "final_errors"),
    [
        ("ok", 3, FixingLoopStatus.ALREADY_VALID, 0, []),
        ("xx", 3, FixingLoopStatus.SUCCESS, 2, []),
        ("xxxx", 2, FixingLoopStatus.FAILED, 2, ["contains x"]),
    ],
    ids=["already-valid", "success", "failed"],
)
def test_fixing_loop_reports_status_attempts_and_final_errors(
    content, max_fix_attempts, status, attempts, final_errors
) -> None:
    # Each pass removes one "x": the content changes, so the loop never stops early.
    loop = FixingLoop(max_fix_attempts=max_fix_attempts)

    def validate(text):
        return [f"contains x {text.count('x')}"] if "x" in text else []

    result = run(loop.run(content, validate, "doc", drop_one_x))
    assert (result.status, result.attempts) == (status, attempts)
    assert [error.rsplit(" ", 1)[0] for error in result.final_errors] == final_errors


def test_fixing_loop_passes_errors_as_strings_to_a_sync_repair() -> None:
    seen = []

    def repair(content, errors, document_type):
        seen.append((errors, document_type))
        return "fixed"

    result = run(FixingLoop().run("broken", validator_of("broken"), "note", repair))
    assert (result.success, seen) == (True, [(["contains broken"], "note")])


def test_make_schema_validator_reports_the_first_failing_validator() -> None:
    validate = make_schema_validator(make_json_wellformed_validator(), validator_of("secret"))
    assert validate('{"a": "secret"}') == ["contains secret"]
    assert validate("{")[0].startswith("line 1")
    assert validate("{}") == []


# --- error formatting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "location"),
    [
        ("Opening and ending tag mismatch: a line 3 and b, line 4, column 9", (4, 9)),
        ("Expecting value: line 2 column 5 (char 12)", (2, 5)),
        ("note.json:7:3: bad", (7, 3)),
        ("line 5: missing", (5, None)),
        ("no location here", (None, None)),
    ],
    ids=["lxml", "json", "compiler", "line-only", "none"],
)
def test_extract_line_column_from_message(message: str, location) -> None:
    assert extract_line_column_from_message(message) == location


def test_format_error_with_context_marks_the_line_and_points_at_the_column() -> None:
    formatted = format_error_with_context("bad", "one\ntwo\nthree\n", line=2, column=3)
    assert formatted.splitlines() == [
        "Error: bad",
        "Line 2, column 3:",
        "    1 | one",
        ">>> 2 | two",
        "          ^",
        "    3 | three",
    ]


def test_format_validation_errors_numbers_each_error_with_its_context() -> None:
    text = format_validation_errors(["line 1: first", "no place"], "a\nb\n")
    assert text.splitlines()[:4] == [
        "Found 2 validation error(s):",
        "",
        "--- Error 1 of 2 ---",
        "Error: line 1: first",
    ]
    assert "--- Error 2 of 2 ---\nError: no place\n" in text


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([], "No errors"),
        (["a"], "  - a"),
        (["a", "b", "c"], "  - a\n  - b\n  ... and 1 more error(s)"),
    ],
    ids=["none", "one", "more-than-shown"],
)
def test_summarize_errors(errors: list[str], expected: str) -> None:
    assert summarize_errors(errors, max_errors=2) == expected


def test_a_checkpoint_of_an_unreadable_path_is_a_checkpoint_error(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(CheckpointError):
        Checkpoint.create(tmp_path / "dir.json")
