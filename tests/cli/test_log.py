"""gitworktree log: newest first, filtered by paths, as JSON that agrees with git log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import PLANNER, History, invoke
from tests.oracle import git, git_lines


def git_trailers(root: Path, sha: str) -> dict[str, str]:
    parsed = git_lines(root, "log", "-1", "--format=%(trailers:only,unfold)", sha)
    return dict(line.split(": ", 1) for line in parsed)


def test_log_json_agrees_with_git_log_field_by_field(history: History) -> None:
    result = invoke("log", "--json")
    assert result.exit_code == 0
    entries = json.loads(result.stdout)
    assert [entry["sha"] for entry in entries] == git_lines(history.root, "log", "--format=%H")
    for entry in entries:
        sha = entry["sha"]
        fields = git(history.root, "log", "-1", "--format=%an <%ae>%n%cn <%ce>%n%aI%n%P%n%s", sha)
        author, committer, time, parents, subject = fields.split("\n")[:5]
        assert entry["author"] == author
        assert entry["committer"] == committer
        assert entry["time"] == time
        assert entry["parents"] == parents.split()
        assert entry["subject"] == subject
        assert entry["short_sha"] == sha[:7]
        assert entry["trailers"] == git_trailers(history.root, sha)
        body = git(history.root, "log", "-1", "--format=%B", sha).rstrip()
        assert body.startswith(entry["message"])
        changed = git_lines(
            history.root, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", sha
        )
        assert entry["paths"] == sorted(changed)


def test_log_json_records_the_author_and_trailers_an_agent_gave(history: History) -> None:
    planned = next(
        e for e in json.loads(invoke("log", "--json").stdout) if e["sha"] == history.planned
    )
    assert planned["author"] == PLANNER
    assert planned["trailers"] == {"Agent-Run": "7"}
    assert planned["paths"] == ["tasks/t1.json", "tasks/t2.json"]


def test_max_count_limits_the_log(history: History) -> None:
    entries = json.loads(invoke("log", "-n", "2", "--json").stdout)
    assert [e["sha"] for e in entries] == git_lines(history.root, "log", "-n", "2", "--format=%H")


@pytest.mark.parametrize(
    "paths",
    [("tasks",), ("tasks/t2.json",), ("notes.json", "settings.json"), ("tasks/", "journal.md")],
    ids=["directory", "file", "two-files", "directory-and-file"],
)
def test_paths_filter_the_log_as_git_does(history: History, paths: tuple[str, ...]) -> None:
    entries = json.loads(invoke("log", *paths, "--json").stdout)
    expected = git_lines(history.root, "log", "--format=%H", "--", *paths)
    assert [entry["sha"] for entry in entries] == expected


def test_paths_are_relative_to_the_current_directory(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(history.root / "tasks")
    entries = json.loads(invoke("log", "t2.json", "--json").stdout)
    assert [entry["sha"] for entry in entries] == [history.planned]


def test_a_path_outside_the_repository_is_refused(history: History) -> None:
    result = invoke("log", "../elsewhere")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: unsafe path '../elsewhere': it is outside the repository"
    )
    assert result.stderr.rstrip().endswith("; give paths inside the repository")


def test_human_log_shows_repairs_restores_and_refs(history: History) -> None:
    assert invoke("restore", "planned").exit_code == 0
    lines = invoke("log").stdout.splitlines()
    restore = git(history.root, "rev-parse", "HEAD").strip()
    assert lines[0] == f"{restore[:7]} (HEAD -> main)  Restore planned"
    assert f"         restored from {history.planned[:7]} (checkpoint planned)" in lines
    assert "         repaired by the gate: notes.json attempts=1" in lines
    assert f"{history.planned[:7]} (checkpoint: planned)  Plan the report" in lines
    assert "         Agent-Run: 7" in lines


def test_oneline_marks_repaired_and_restored_commits(history: History) -> None:
    invoke("restore", "planned")
    lines = invoke("log", "--oneline").stdout.splitlines()
    assert lines[0].endswith("Restore planned [restored]")
    assert f"{history.repaired[:7]} Take notes [repaired]" in lines
    assert len(lines) == 5


def test_log_of_a_repository_without_commits(tmp_path: Path) -> None:
    invoke("init", tmp_path / "empty")
    assert invoke("-C", tmp_path / "empty", "log", "--json").stdout == "[]\n"
    assert invoke("-C", tmp_path / "empty", "log").stdout == "No commits yet.\n"


def _shas(*args: str) -> list[str]:
    result = invoke("log", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [entry["sha"] for entry in json.loads(result.stdout)]


@pytest.mark.parametrize(
    ("ours", "gits"),
    [
        (("-2",), ("-2",)),
        (("--grep", "report"), ("--grep", "report")),
        (("--grep", "^Take", "--grep", "warm"), ("--grep", "^Take", "--grep", "warm")),
        (("--grep", "Agent-Run: 7"), ("--grep", "Agent-Run: 7")),
        (("--author", "Planner"), ("--author", "Planner")),
        (("--author", "planner@agents", "-1"), ("--author", "planner@agents", "-1")),
        (("--grep", "e", "-n", "2"), ("--grep", "e", "-n", "2")),
    ],
    ids=[
        "minus-number",
        "grep",
        "grep-any-of",
        "grep-trailer",
        "author",
        "author-then-limit",
        "limit-counts-matches",
    ],
)
def test_log_filters_people_type_from_git_select_what_git_selects(
    history: History, ours: tuple[str, ...], gits: tuple[str, ...]
) -> None:
    expected = git_lines(history.root, "log", "-E", "--format=%H", *gits)
    assert _shas(*ours) == expected


def test_log_minus_number_is_not_taken_for_a_path_after_the_separator(history: History) -> None:
    result = invoke("log", "--oneline", "--", "-2")
    assert result.exit_code == 0
    assert result.stdout == "No matching commits.\n"


def test_log_stat_follows_each_commit_with_gits_summary(history: History) -> None:
    result = invoke("log", "--stat", "--oneline", "-2")
    assert result.exit_code == 0, result.stderr
    expected = git_lines(history.root, "log", "--stat", "--format=", "-2")
    summaries = [line for line in expected if " changed" in line]
    assert [line for line in result.stdout.splitlines() if " changed" in line] == summaries


def test_log_patch_shows_each_commits_patch(history: History) -> None:
    result = invoke("log", "-p", "-1")
    assert result.exit_code == 0, result.stderr
    patch = git(history.root, "show", "--format=", "HEAD")
    first_file = patch.split("diff --git ")[1].split("\n", 1)[0]
    assert f"diff --git {first_file}" in result.stdout
    assert result.stdout.count("diff --git ") == patch.count("diff --git ")


def test_log_json_with_patch_carries_the_changes(history: History) -> None:
    (entry,) = json.loads(invoke("log", "-1", "-p", "--json").stdout)
    assert [c["path"] for c in entry["changes"]] == entry["paths"]
    assert all(c["patch"].startswith("diff --git") for c in entry["changes"])


def test_log_grep_that_is_not_a_regular_expression_is_a_usage_error(history: History) -> None:
    result = invoke("log", "--grep", "(")
    assert result.exit_code == 2
    assert "'(' is not a regular expression" in result.stderr


def test_a_negative_max_count_is_named_as_such_not_taken_for_minus_n(history: History) -> None:
    result = invoke("log", "-n", "-1")

    assert result.exit_code == 2
    assert "-1 is not in the range" in result.output
