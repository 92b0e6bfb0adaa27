"""parse_xml: well-formed XML only, and no DOCTYPE, DTD or entity ever gets through."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gitworktree.errors import DocumentParseError
from gitworktree.validation import ValidationIssue, make_xml_wellformed_validator, parse_xml

SECRET = "TOP-SECRET-7f3a9c"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE lolz [\n  <!ENTITY lol "lol">\n'
    + "".join(
        f'  <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<lolz>&lol9;</lolz>\n"
)


def parse_issues(data: str | bytes) -> tuple[ValidationIssue, ...]:
    with pytest.raises(DocumentParseError) as caught:
        parse_xml(data)
    return caught.value.issues


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def test_parse_xml_returns_the_root_element() -> None:
    root = parse_xml('<todos><task priority="low"><title>Ship</title></task></todos>')

    assert root.tag == "todos"
    assert root.findtext("task/title") == "Ship"


def test_text_with_an_encoding_declaration_parses() -> None:
    root = parse_xml('<?xml version="1.0" encoding="ISO-8859-1"?><note>café</note>')

    assert root.text == "café"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_bytes_parse_in_their_declared_encoding(encoding: str) -> None:
    data = f'<?xml version="1.0" encoding="{encoding}"?><note>café</note>'.encode(encoding)

    assert parse_xml(data).text == "café"


def test_syntax_error_gives_line_and_column() -> None:
    (issue,) = parse_issues("<todos>\n  <task></todos>")

    assert (issue.line, issue.column, issue.source) == (2, 17, "parse")  # libxml2: after the tag
    assert "mismatch" in issue.message


def test_empty_document_is_a_parse_error() -> None:
    (issue,) = parse_issues("")

    assert issue.message == "Document is empty"


def test_undefined_entity_is_a_parse_error() -> None:
    (issue,) = parse_issues("<note>&nbsp;</note>")

    assert "nbsp" in issue.message


def test_syntax_errors_do_not_leak_from_other_parsers() -> None:
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring("<a><b></a>")  # fills lxml's global error log

    (issue,) = parse_issues("<ok></ko>")

    assert "ok" in issue.message


def test_external_file_entity_is_refused_and_its_content_never_appears(
    secret_file: Path,
) -> None:
    document = (
        f'<!DOCTYPE note [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n<note>&xxe;</note>'
    )

    with pytest.raises(DocumentParseError) as caught:
        parse_xml(document)

    error = caught.value
    assert "DOCTYPE" in error.issues[0].message
    assert SECRET not in str(error)
    assert all(SECRET not in repr(issue) for issue in error.issues)


def test_external_parameter_entity_is_refused(secret_file: Path) -> None:
    document = f'<!DOCTYPE note [<!ENTITY % ext SYSTEM "{secret_file.as_uri()}"> %ext;]><note/>'

    (issue,) = parse_issues(document)

    assert "DOCTYPE" in issue.message


WIDE_ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]


@pytest.mark.parametrize("encoding", WIDE_ENCODINGS, ids=WIDE_ENCODINGS)
@pytest.mark.parametrize("with_declaration", [True, False], ids=["declared", "bare"])
def test_billion_laughs_is_refused_as_a_doctype_before_any_expansion(
    encoding: str, with_declaration: bool
) -> None:
    document = BILLION_LAUGHS if with_declaration else BILLION_LAUGHS.split("\n", 1)[1]
    # If the entities were expanded this would need gigabytes; returning at all is the test.
    (issue,) = parse_issues(document.encode(encoding))

    assert "DOCTYPE" in issue.message
    assert (issue.line, issue.column) == (2 if with_declaration else 1, 1)


@pytest.mark.parametrize(
    "document",
    [
        "<!DOCTYPE note><note/>",
        '<!DOCTYPE note SYSTEM "note.dtd"><note/>',
        '<!DOCTYPE note PUBLIC "-//X//DTD Note//EN" "http://example.com/note.dtd"><note/>',
        '<?xml version="1.0"?>\n<!-- a comment -->\n<?pi data?>\n<!DOCTYPE note []><note/>',
        "\ufeff<!DOCTYPE note><note/>",
    ],
    ids=["bare", "system", "public", "after-prolog", "after-bom"],
)
def test_any_doctype_is_refused(document: str) -> None:
    (issue,) = parse_issues(document)

    assert issue.message.startswith("DOCTYPE declarations")
    assert issue.source == "parse"


def test_doctype_text_inside_a_comment_is_just_a_comment() -> None:
    root = parse_xml("<!-- <!DOCTYPE note> --><note>fine</note>")

    assert root.text == "fine"


def test_excessive_nesting_fails_fast_with_a_parse_error() -> None:
    depth = 100_000

    (issue,) = parse_issues("<a>" * depth + "</a>" * depth)

    assert "depth" in issue.message.lower()


def test_changing_the_default_parser_does_not_weaken_parse_xml(secret_file: Path) -> None:
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    etree.set_default_parser(unsafe)
    try:
        document = f'<!DOCTYPE n [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]><n>&x;</n>'
        with pytest.raises(DocumentParseError) as caught:
            parse_xml(document)
    finally:
        etree.set_default_parser()

    assert SECRET not in str(caught.value)


def test_wellformed_validator_returns_parse_issues_instead_of_raising() -> None:
    validate = make_xml_wellformed_validator()

    assert validate("<note><line>ok</line></note>") == []
    (issue,) = validate("<note><line>ok</note>")
    assert (issue.source, issue.line) == ("parse", 1)
