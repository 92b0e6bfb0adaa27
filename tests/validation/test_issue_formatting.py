"""Issue formatting: source context with a caret, and repair prompts."""

from __future__ import annotations

import pytest

from gitworktree.validation import ValidationIssue, format_issue, format_issues, repair_prompt

CONTENT = '{\n  "done": false,\n  "title": 42,\n  "tags": []\n}\n'
TITLE_ISSUE = ValidationIssue(
    "42 is not of type 'string'", pointer="/title", line=3, column=12, artifact="todo.json"
)


def test_format_issue_starts_with_the_one_line_form() -> None:
    assert format_issue(TITLE_ISSUE, CONTENT).splitlines()[0] == str(TITLE_ISSUE)


def test_format_issue_shows_numbered_context_lines_around_the_issue_line() -> None:
    assert format_issue(TITLE_ISSUE, CONTENT).splitlines()[1:] == [
        "  1 | {",
        '  2 |   "done": false,',
        '> 3 |   "title": 42,',
        "    |            ^",
        '  4 |   "tags": []',
        "  5 | }",
    ]


def test_format_issue_puts_the_caret_under_the_column() -> None:
    lines = format_issue(TITLE_ISSUE, CONTENT, context=0).splitlines()

    source, caret = lines[1], lines[2]
    assert source[caret.index("^")] == "4"


def test_format_issue_keeps_tabs_so_the_caret_lines_up() -> None:
    issue = ValidationIssue("bad", line=1, column=3)

    caret = format_issue(issue, "\tx!", context=0).splitlines()[2]

    assert caret.endswith("| \t ^")


@pytest.mark.parametrize("context", [0, 1], ids=["no-context", "one-line"])
def test_format_issue_limits_context_to_the_given_number_of_lines(context: int) -> None:
    lines = format_issue(TITLE_ISSUE, CONTENT, context=context).splitlines()

    numbered = [line for line in lines[1:] if line.split("|")[0].strip(" >")]
    assert len(numbered) == 2 * context + 1


@pytest.mark.parametrize(
    "issue",
    [
        ValidationIssue("whole document"),
        ValidationIssue("beyond the end", line=99),
    ],
    ids=["no-line", "line-out-of-range"],
)
def test_format_issue_without_a_usable_line_is_the_one_line_form(issue: ValidationIssue) -> None:
    assert format_issue(issue, CONTENT) == str(issue)


def test_format_issue_without_a_column_shows_no_caret() -> None:
    issue = ValidationIssue("bad task", pointer="/todos/task[1]", line=2)

    assert "^" not in format_issue(issue, CONTENT)


def test_format_issue_counts_lines_by_newline_only() -> None:
    content = '["a\u2028b",\n 1x]'
    issue = ValidationIssue("bad number", line=2, column=3)

    assert "> 2 |  1x]" in format_issue(issue, content, context=0)


def test_format_issues_separates_issues_with_a_blank_line() -> None:
    other = ValidationIssue("tags must not be empty", pointer="/tags", line=4, column=11)

    text = format_issues([TITLE_ISSUE, other], CONTENT, context=0)

    assert text.split("\n\n") == [
        format_issue(TITLE_ISSUE, CONTENT, context=0),
        format_issue(other, CONTENT, context=0),
    ]


def test_format_issues_of_nothing_is_empty() -> None:
    assert format_issues([], CONTENT) == ""


def test_repair_prompt_lists_every_issue_with_its_location_and_pointer() -> None:
    other = ValidationIssue("'priority' is a required property", pointer="/0", source="schema")

    prompt = repair_prompt(CONTENT, [TITLE_ISSUE, other], "todo-list")

    assert "Issues (2):" in prompt
    assert "1. todo.json, line 3, column 12, at /title: 42 is not of type 'string'" in prompt
    assert "2. at /0: 'priority' is a required property (schema)" in prompt


def test_repair_prompt_holds_the_content_and_names_the_document_type() -> None:
    prompt = repair_prompt(CONTENT, [TITLE_ISSUE], "todo-list")

    assert CONTENT in prompt
    assert "The todo-list below is invalid" in prompt


def test_repair_prompt_fence_is_longer_than_any_backtick_run_in_the_content() -> None:
    content = "text with ```` four backticks"

    prompt = repair_prompt(content, [], "note")

    assert "`````\n" + content + "\n`````" in prompt


@pytest.mark.parametrize(
    ("issue", "line"),
    [
        (TITLE_ISSUE, "todo.json:3:12: at /title: 42 is not of type 'string' (schema)"),
        (
            ValidationIssue("Expecting ',' delimiter", line=1, column=11, source="parse"),
            "line 1, column 11: Expecting ',' delimiter (parse)",
        ),
        (ValidationIssue("too short", line=4), "line 4: too short (schema)"),
        (ValidationIssue("empty document", source="parse"), "empty document (parse)"),
    ],
    ids=["artifact-line-column", "line-column-only", "line-only", "nowhere"],
)
def test_the_one_line_form_names_the_place_in_words_when_no_artifact_is_known(
    issue: ValidationIssue, line: str
) -> None:
    assert str(issue) == line
