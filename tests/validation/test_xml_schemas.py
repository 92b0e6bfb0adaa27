"""XSD and RELAX NG: schema loading, issues with line and XPath, and wellformed's todo list."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from lxml import etree

from gitworktree.errors import InvalidSchemaError
from gitworktree.validation import (
    FixingLoop,
    FixingLoopStatus,
    ValidationIssue,
    load_xml_schema,
    make_xml_schema_validator,
    parse_xml,
    xml_schema_issues,
)

SCHEMAS = Path(__file__).parent / "schemas"
TODOS_XSD = SCHEMAS / "todos.xsd"
TODOS_RNG = SCHEMAS / "todos.rng"

TODOS = """<todos>
  <task priority="high"><title>Ship wellformed v0.1</title></task>
  <task priority="medium"><title>Write the tutorial</title></task>
</todos>"""

BAD_TODOS = """<todos>
  <task priority="High"><title>Ship</title></task>
  <task priority="low"/>
  <task><title>No priority</title></task>
</todos>"""

VALID_PRIORITIES = {"low", "medium", "high"}


@pytest.mark.parametrize("schema_path", [TODOS_XSD, TODOS_RNG], ids=["xsd", "rng"])
def test_wellformed_todo_list_is_valid(schema_path: Path) -> None:
    assert make_xml_schema_validator(schema_path)(TODOS) == []


def test_xsd_issues_have_line_xpath_and_no_column() -> None:
    issues = xml_schema_issues(parse_xml(BAD_TODOS), load_xml_schema(TODOS_XSD))

    assert [(issue.line, issue.pointer, issue.column) for issue in issues] == [
        (2, "/todos/task[1]", None),
        (3, "/todos/task[2]", None),
        (4, "/todos/task[3]", None),
    ]
    assert {issue.source for issue in issues} == {"schema"}


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (2, "The value 'High' is not an element of the set"),
        (3, "Missing child element(s). Expected is ( title )"),
        (4, "The attribute 'priority' is required but missing"),
    ],
    ids=["priority-enum", "title-required", "priority-required"],
)
def test_xsd_issue_messages_say_what_is_wrong(line: int, fragment: str) -> None:
    issues = xml_schema_issues(parse_xml(BAD_TODOS), load_xml_schema(TODOS_XSD))

    assert any(issue.line == line and fragment in issue.message for issue in issues)


def test_relax_ng_issues_have_lines_and_pointers() -> None:
    issues = xml_schema_issues(parse_xml(BAD_TODOS), load_xml_schema(TODOS_RNG))

    assert issues
    assert {issue.line for issue in issues} == {2, 3, 4}
    assert all(issue.pointer and issue.pointer.startswith("/todos/task") for issue in issues)
    assert all(issue.column is None for issue in issues)


def test_schema_validator_reports_parse_issues_for_malformed_content() -> None:
    (issue,) = make_xml_schema_validator(TODOS_XSD)("<todos><task></todos>")

    assert issue.source == "parse"


def test_element_tree_can_be_checked_too() -> None:
    tree = parse_xml(TODOS).getroottree()

    assert xml_schema_issues(tree, load_xml_schema(TODOS_XSD)) == []


def test_load_xml_schema_caches_per_file() -> None:
    assert load_xml_schema(TODOS_XSD) is load_xml_schema(str(TODOS_XSD))


def test_load_xml_schema_reloads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "todos.xsd"
    path.write_bytes(TODOS_XSD.read_bytes())
    first = load_xml_schema(path)

    path.write_bytes(TODOS_XSD.read_bytes().replace(b'value="low"', b'value="lowest"'))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_xml_schema(path)

    assert second is not first
    assert xml_schema_issues(parse_xml(TODOS), second) == []
    low = '<todos><task priority="low"><title>t</title></task></todos>'
    assert xml_schema_issues(parse_xml(low), second)


def test_schema_includes_resolve_relative_to_the_schema_file(tmp_path: Path) -> None:
    (tmp_path / "types.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:simpleType name="short"><xs:restriction base="xs:string">'
        '<xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:schema>',
        encoding="utf-8",
    )
    main = tmp_path / "main.xsd"
    main.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:include schemaLocation="types.xsd"/>'
        '<xs:element name="code" type="short"/></xs:schema>',
        encoding="utf-8",
    )

    validate = make_xml_schema_validator(main)

    assert validate("<code>abc</code>") == []
    assert len(validate("<code>abcd</code>")) == 1


@pytest.mark.parametrize("suffix", [".xml", ".dtd", ""], ids=["xml", "dtd", "none"])
def test_unknown_schema_suffix_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"todos{suffix}"
    path.write_bytes(TODOS_XSD.read_bytes())

    with pytest.raises(InvalidSchemaError, match=r"\.xsd .*\.rng"):
        load_xml_schema(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "bad.xsd",
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
            '<xs:element name="a" type="nope"/></xs:schema>',
        ),
        ("bad.rng", '<element xmlns="http://relaxng.org/ns/structure/1.0"/>'),
    ],
    ids=["xsd", "rng"],
)
def test_invalid_schema_is_refused_with_its_location(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidSchemaError) as caught:
        load_xml_schema(path)

    assert caught.value.schema == str(path)
    assert caught.value.issues
    assert all(issue.artifact == str(path) for issue in caught.value.issues)


def test_schema_file_with_a_doctype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.xsd"
    path.write_text(
        '<!DOCTYPE xs:schema [<!ENTITY x "y">]>\n'
        + TODOS_XSD.read_text(encoding="utf-8").split("\n", 1)[1],
        encoding="utf-8",
    )

    with pytest.raises(InvalidSchemaError) as caught:
        load_xml_schema(path)

    assert "DOCTYPE" in caught.value.issues[0].message


def stash_then_restore_priorities(
    content: str, issues: Sequence[ValidationIssue], document_type: str
) -> str:
    """wellformed's two-strategy repair from its README's extended example."""
    root = parse_xml(content)
    bad = [
        task
        for task in root.iter("task")
        if task.get("priority") is not None and task.get("priority") not in VALID_PRIORITIES
    ]
    if bad:  # Strategy A: stash the bad value in `prio` (a new, temporary defect)
        for task in bad:
            task.set("prio", task.attrib.pop("priority"))
        return etree.tostring(root, encoding="unicode")
    missing = [task for task in root.iter("task") if task.get("priority") is None]
    for task in missing:  # Strategy B: lowercase the stash, or fall back to medium
        candidate = task.attrib.pop("prio", "medium").lower()
        task.set("priority", candidate if candidate in VALID_PRIORITIES else "medium")
    return etree.tostring(root, encoding="unicode")


def test_wellformed_example_bulk_reprioritise_is_repaired_in_two_attempts() -> None:
    content = TODOS.replace('"high"', '"High"').replace('"medium"', '"High"')

    result = FixingLoop().run(
        content, make_xml_schema_validator(TODOS_XSD), stash_then_restore_priorities
    )

    assert (result.status, result.attempts) == (FixingLoopStatus.SUCCESS, 2)
    assert [len(issues) for issues in result.history] == [2, 4, 0]
    assert [task.get("priority") for task in parse_xml(result.content).iter("task")] == [
        "high",
        "high",
    ]


def test_wellformed_example_purged_titles_cannot_be_repaired() -> None:
    root = parse_xml(TODOS)
    for title in list(root.iter("title")):
        title.getparent().remove(title)  # type: ignore[union-attr]
    content = etree.tostring(root, encoding="unicode")

    result = FixingLoop().run(
        content, make_xml_schema_validator(TODOS_XSD), stash_then_restore_priorities
    )

    assert result.status is FixingLoopStatus.FAILED
    assert all("title" in issue.message for issue in result.issues)
