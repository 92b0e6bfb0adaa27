"""Validation and repair: issues, the fixing loop, strict JSON and safe XML, formatting.

Everything here is pure: no storage and no knowledge of the tree. Only the schema loaders
(``load_xml_schema`` and the ``make_*_schema_validator`` builders given a path) read files.
"""

from gitworktree.validation.encoding import decode_utf8
from gitworktree.validation.formatting import format_issue, format_issues, repair_prompt
from gitworktree.validation.issues import IssueSource, ValidationIssue
from gitworktree.validation.json_format import (
    MAX_JSON_DEPTH,
    make_json_wellformed_validator,
    parse_json,
)
from gitworktree.validation.json_pointers import locate_json_pointers, to_json_pointer
from gitworktree.validation.json_schema import (
    JSONSchema,
    json_schema_issues,
    make_json_schema_validator,
)
from gitworktree.validation.loop import (
    FixingLoop,
    FixingLoopResult,
    FixingLoopStatus,
    RepairFunction,
    ValidateFunction,
    arun_fixing_loop,
    run_fixing_loop,
)
from gitworktree.validation.xml_format import (
    XMLSchemaValidator,
    compile_xml_schema,
    load_xml_schema,
    make_xml_schema_validator,
    make_xml_wellformed_validator,
    parse_xml,
    xml_schema_issues,
)

__all__ = [
    "MAX_JSON_DEPTH",
    "FixingLoop",
    "FixingLoopResult",
    "FixingLoopStatus",
    "IssueSource",
    "JSONSchema",
    "RepairFunction",
    "ValidateFunction",
    "ValidationIssue",
    "XMLSchemaValidator",
    "arun_fixing_loop",
    "compile_xml_schema",
    "decode_utf8",
    "format_issue",
    "format_issues",
    "json_schema_issues",
    "load_xml_schema",
    "locate_json_pointers",
    "make_json_schema_validator",
    "make_json_wellformed_validator",
    "make_xml_schema_validator",
    "make_xml_wellformed_validator",
    "parse_json",
    "parse_xml",
    "repair_prompt",
    "run_fixing_loop",
    "to_json_pointer",
    "xml_schema_issues",
]
