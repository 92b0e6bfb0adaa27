"""The public surface of gitworktree.validation is exactly the documented one."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import gitworktree.validation

DOCUMENTED = {
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
    "format_issue",
    "format_issues",
    "json_schema_issues",
    "compile_xml_schema",
    "decode_utf8",
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
}

MODULES = sorted(info.name for info in pkgutil.iter_modules(gitworktree.validation.__path__))


def test_validation_exports_exactly_the_documented_names() -> None:
    assert set(gitworktree.validation.__all__) == DOCUMENTED


def test_every_exported_name_exists() -> None:
    missing = [name for name in DOCUMENTED if not hasattr(gitworktree.validation, name)]

    assert missing == []


@pytest.mark.parametrize("module_name", MODULES, ids=MODULES)
def test_every_module_declares_all(module_name: str) -> None:
    module = importlib.import_module(f"gitworktree.validation.{module_name}")

    assert all(hasattr(module, name) for name in module.__all__)
