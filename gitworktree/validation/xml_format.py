"""Safe XML: parsing that refuses DTDs and entities, and XSD / RELAX NG checks as issues.

Every parse uses its own explicit parser (entity resolution, network access and DTD loading
off, libxml2's size limits on), never lxml's global default parser, which any other code
in the process may have changed. Documents carrying a ``<!DOCTYPE`` are refused: with no
DTD, there are no entities to expand (billion laughs) or to resolve (XXE).
"""

from __future__ import annotations

import codecs
import functools
import os
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias, cast

from gitworktree.errors import DocumentParseError, InvalidSchemaError
from gitworktree.validation.issues import IssueSource, ValidationIssue
from gitworktree.validation.loop import ValidateFunction

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "XMLSchemaValidator",
    "compile_xml_schema",
    "load_xml_schema",
    "make_xml_schema_validator",
    "make_xml_wellformed_validator",
    "parse_xml",
    "xml_schema_issues",
]

XMLSchemaValidator: TypeAlias = "etree._Validator"
"""A compiled schema: an ``lxml.etree.XMLSchema`` (XSD) or ``lxml.etree.RelaxNG``.

For annotations only: at run time it is a string, since lxml loads with the first XML
document rather than with gitworktree. To test a value, use ``isinstance(value,
lxml.etree._Validator)``."""

# The prolog may hold a BOM, whitespace, the XML declaration, comments and processing
# instructions before a DOCTYPE. Possessive quantifiers keep this linear on any input.
_DOCTYPE_IN_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s++|<\?.*?\?>|<!--.*?-->)*+<!DOCTYPE", re.DOTALL
)
# How wide encodings start, with or without a BOM (XML 1.0 appendix F; NUL is never
# XML, so "<" next to NULs means a wide encoding). UTF-32 first: it starts like UTF-16.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)
_DOCTYPE_MESSAGE = "DOCTYPE declarations (and so DTDs and entities) are not allowed"

# lxml validators keep their error log on the schema object and release the GIL while
# validating: two threads sharing a cached schema would mix up each other's errors.
_VALIDATION_LOCK = threading.Lock()
_XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
_LIBXML2_ERROR_LEVEL = 2
"""``lxml.etree.ErrorLevels.ERROR``: parse log entries below it are warnings."""


class _LogEntry(Protocol):
    """The part of ``lxml.etree._LogEntry`` we read (lxml-stubs does not describe it)."""

    line: int
    column: int
    message: str
    level: int
    path: str | None


def parse_xml(data: str | bytes | bytearray) -> etree._Element:
    """Parse well-formed XML safely.

    Args:
        data: the document, as text or as bytes (whose encoding the XML declaration or BOM
            gives; UTF-8 by default).

    Returns:
        The root element.

    Raises:
        DocumentParseError: the document is not well-formed, or carries a DOCTYPE (with or
            without entities); its issues give the line and column libxml2 reports.
    """
    return _parse(data)


def load_xml_schema(path: str | os.PathLike[str]) -> XMLSchemaValidator:
    """Load an XSD (``.xsd``) or RELAX NG (``.rng``) schema file.

    Loaded schemas are cached per resolved path, modification time and size, so calling
    this again is cheap and picks up edits to the file.

    Args:
        path: the schema file.

    Returns:
        The compiled schema, ready for :func:`xml_schema_issues`.

    Raises:
        InvalidSchemaError: the suffix is neither ``.xsd`` nor ``.rng``, the file is not
            well-formed (or carries a DOCTYPE), or it is not a valid schema.
        OSError: the file cannot be read.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _load_schema(resolved, stat.st_mtime_ns, stat.st_size)


def compile_xml_schema(text: str | bytes) -> XMLSchemaValidator:
    """Compile a schema given as text: XSD (root ``xs:schema``) or RELAX NG (``grammar``).

    Raises:
        InvalidSchemaError: the text is not safe, well-formed XML, or not a valid schema.
    """
    return _compile_schema_text(text if isinstance(text, bytes) else text.encode("utf-8"))


@functools.lru_cache(maxsize=64)
def _compile_schema_text(data: bytes) -> XMLSchemaValidator:
    try:
        document = _parse(data)
    except DocumentParseError as exc:
        raise InvalidSchemaError("inline schema is not acceptable XML", exc.issues) from None
    from lxml import etree

    namespace = etree.QName(document).namespace
    kind = etree.XMLSchema if namespace == _XSD_NAMESPACE else etree.RelaxNG
    try:
        return kind(document)
    except (etree.XMLSchemaParseError, etree.RelaxNGParseError) as exc:
        log = _entries(cast("etree.LxmlError", exc).error_log)
        raise InvalidSchemaError(
            f"inline schema is not a valid schema: {exc}", [_issue(e, "schema") for e in log]
        ) from None


def xml_schema_issues(
    document: etree._Element | etree._ElementTree, schema: XMLSchemaValidator
) -> list[ValidationIssue]:
    """Check a parsed document against a compiled XSD or RELAX NG schema.

    Args:
        document: the root element (or tree) to check.
        schema: a schema from :func:`load_xml_schema` (or any lxml ``XMLSchema`` /
            ``RelaxNG``).

    Returns:
        One issue per schema error, with its line, the XPath of the element as pointer, and
        no column (libxml2 does not report one for schema errors); empty when valid.
    """
    with _VALIDATION_LOCK:
        if schema.validate(document):
            return []
        entries = _entries(schema.error_log)
    return [_issue(entry, "schema") for entry in entries]


def make_xml_schema_validator(path: str | os.PathLike[str]) -> ValidateFunction:
    """Build a validate function that parses XML safely and checks it against a schema file.

    Args:
        path: an ``.xsd`` or ``.rng`` file; it is loaded once, here.

    Returns:
        A function from content to its issues (parse issues, else schema issues).

    Raises:
        InvalidSchemaError: the schema cannot be used (see :func:`load_xml_schema`).
        OSError: the schema file cannot be read.
    """
    schema = load_xml_schema(path)

    def validate(content: str) -> list[ValidationIssue]:
        try:
            root = parse_xml(content)
        except DocumentParseError as exc:
            return list(exc.issues)
        return xml_schema_issues(root, schema)

    return validate


def make_xml_wellformed_validator() -> ValidateFunction:
    """Build a validate function that only checks that content is well-formed, safe XML.

    Returns:
        A function from content to its parse issues.
    """

    def validate(content: str) -> list[ValidationIssue]:
        try:
            parse_xml(content)
        except DocumentParseError as exc:
            return list(exc.issues)
        return []

    return validate


def _safe_parser(*, encoding: str | None) -> etree.XMLParser:
    from lxml import etree  # loaded with the first XML document, not with gitworktree

    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _parse(data: str | bytes | bytearray, *, base_url: str | None = None) -> etree._Element:
    from lxml import etree

    if isinstance(data, str):
        # lxml refuses str input with an encoding declaration; as UTF-8 bytes, with the
        # parser told so, the declaration is ignored, as it should be for text.
        raw, parser = data.encode("utf-8", "surrogatepass"), _safe_parser(encoding="utf-8")
    else:
        raw, parser = bytes(data), _safe_parser(encoding=None)
    _refuse_doctype_in_prolog(raw)
    try:
        # None is lxml's own default for base_url; lxml-stubs only allow str | bytes.
        root = etree.fromstring(raw, parser, base_url=base_url)  # type: ignore[arg-type]
    except etree.XMLSyntaxError as exc:
        raise DocumentParseError(
            "content is not well-formed XML", _syntax_issues(parser, exc)
        ) from None
    docinfo = root.getroottree().docinfo
    # Backstop for encodings the prolog check cannot read (UTF-16): nothing was resolved,
    # but a document with a DTD is refused all the same.
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DocumentParseError(
            "content is not acceptable XML", [ValidationIssue(_DOCTYPE_MESSAGE, source="parse")]
        )
    return root


def _refuse_doctype_in_prolog(raw: bytes) -> None:
    """Refuse a DOCTYPE before libxml2 reads it, so that no DTD is ever processed."""
    raw = _as_utf8(raw)
    match = _DOCTYPE_IN_PROLOG.match(raw)
    if match is None:
        return
    start = match.end() - len(b"<!DOCTYPE")
    line = raw.count(b"\n", 0, start) + 1
    column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
    issue = ValidationIssue(_DOCTYPE_MESSAGE, line=line, column=column, source="parse")
    raise DocumentParseError("content is not acceptable XML", [issue])


def _as_utf8(raw: bytes) -> bytes:
    """UTF-16 and UTF-32 input as UTF-8, so the prolog check can read it; other bytes as is."""
    for start, codec in _WIDE_ENCODINGS:
        if raw.startswith(start):
            return raw.decode(codec, "replace").encode("utf-8")
    return raw


def _syntax_issues(parser: etree.XMLParser, exc: etree.XMLSyntaxError) -> list[ValidationIssue]:
    # The parser's own log: the global one may hold other threads' or earlier errors.
    entries = [e for e in _entries(parser.error_log) if e.level >= _LIBXML2_ERROR_LEVEL]
    if entries:
        return [_issue(entry, "parse") for entry in entries]
    line, column = exc.position
    return [ValidationIssue(str(exc), line=line or None, column=column or None, source="parse")]


def _issue(entry: _LogEntry, source: IssueSource) -> ValidationIssue:
    return ValidationIssue(
        entry.message,
        pointer=entry.path or None,
        # libxml2 reports 0 when it does not know (always, for schema error columns).
        line=entry.line or None,
        column=entry.column or None,
        source=source,
    )


def _entries(error_log: object) -> list[_LogEntry]:
    return list(cast("Iterable[_LogEntry]", error_log))


@functools.lru_cache(maxsize=32)
def _load_schema(path: Path, mtime_ns: int, size: int) -> XMLSchemaValidator:
    """Compile the schema at ``path``; the stat values only key the cache."""
    from lxml import etree

    kinds: dict[str, Callable[[etree._Element], XMLSchemaValidator]] = {
        ".xsd": etree.XMLSchema,
        ".rng": etree.RelaxNG,
    }
    kind = kinds.get(path.suffix.lower())
    if kind is None:
        raise InvalidSchemaError(
            f"cannot tell the schema language of {path}: name it .xsd (XML Schema) or "
            ".rng (RELAX NG)",
            schema=path,
        )
    try:
        document = _parse(path.read_bytes(), base_url=str(path))
    except DocumentParseError as exc:
        issues = [issue.for_artifact(str(path)) for issue in exc.issues]
        raise InvalidSchemaError(
            f"schema file {path} is not acceptable XML", issues, schema=path
        ) from None
    try:
        return kind(document)
    except (etree.XMLSchemaParseError, etree.RelaxNGParseError) as exc:
        log = _entries(cast("etree.LxmlError", exc).error_log)
        issues = [_issue(entry, "schema").for_artifact(str(path)) for entry in log]
        raise InvalidSchemaError(
            f"{path} is not a valid schema: {exc}", issues, schema=path
        ) from None
