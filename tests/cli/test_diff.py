"""gitworktree diff: patches, stats and JSON Pointer changes that agree with git diff."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import History, invoke
from tests.oracle import git, git_lines


def numstat(history: History, *args: str) -> dict[str, tuple[int, int]]:
    lines = git_lines(history.root, "diff", "--numstat", *args)
    return {
        line.split("\t")[2]: (int(line.split("\t")[0]), int(line.split("\t")[1])) for line in lines
    }


def test_diff_json_between_two_revisions_agrees_with_git(history: History) -> None:
    result = invoke("diff", history.initialized, "HEAD", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["a"] == history.initialized
    assert document["b"] == history.edited
    files = {entry["path"]: entry for entry in document["files"]}
    assert list(files) == git_lines(
        history.root, "diff", "--name-only", history.initialized, "HEAD"
    )
    counts = numstat(history, history.initialized, "HEAD")
    for path, entry in files.items():
        assert (entry["additions"], entry["deletions"]) == counts[path]
        assert entry["binary"] is False
    name_status = dict(
        reversed(line.split("\t"))
        for line in git_lines(history.root, "diff", "--name-status", history.initialized, "HEAD")
    )
    assert {path: entry["status"][0].upper() for path, entry in files.items()} == name_status
    blobs = git(history.root, "rev-parse", "HEAD:tasks/t1.json").strip()
    assert files["tasks/t1.json"]["new_sha"] == blobs
    assert files["tasks/t1.json"]["old_sha"] is None


def test_diff_json_lists_changed_json_pointers_with_old_and_new_values(history: History) -> None:
    document = json.loads(invoke("diff", history.repaired, history.edited, "--json").stdout)
    files = {entry["path"]: entry for entry in document["files"]}
    assert files["settings.json"]["pointers"] == [
        {"pointer": "/temperature", "kind": "changed", "old": 0.5, "new": 0.9}
    ]
    assert files["tasks/t1.json"]["pointers"] == [
        {"pointer": "/done", "kind": "changed", "old": False, "new": True}
    ]
    assert files["settings.json"]["patch"] == git(
        history.root, "diff", history.repaired, history.edited, "--", "settings.json"
    )


def test_diff_defaults_to_head_against_the_working_tree(history: History) -> None:
    (history.root / "notes.json").write_text('{\n  "lines": [\n    "revised"\n  ]\n}\n')
    document = json.loads(invoke("diff", "--json").stdout)
    assert document["a"] == history.edited
    assert document["b"] is None
    (notes,) = document["files"]
    assert notes["path"] == "notes.json"
    assert (notes["additions"], notes["deletions"]) == numstat(history)["notes.json"]
    assert notes["pointers"] == [
        {"pointer": "/lines/0", "kind": "changed", "old": "revenue up", "new": "revised"},
        {"pointer": "/lines/1", "kind": "removed", "old": "4", "new": None},
    ]


def test_paths_after_double_dash_limit_the_diff(history: History) -> None:
    document = json.loads(
        invoke("diff", history.initialized, "HEAD", "--json", "--", "tasks/").stdout
    )
    assert [entry["path"] for entry in document["files"]] == ["tasks/t1.json", "tasks/t2.json"]


def test_a_range_is_the_same_as_two_revisions(history: History) -> None:
    as_range = invoke("diff", f"{history.planned}..{history.edited}", "--json").stdout
    assert as_range == invoke("diff", history.planned, history.edited, "--json").stdout


def test_human_diff_shows_the_patch_and_json_changes(history: History) -> None:
    result = invoke("diff", history.repaired, history.edited, "--", "settings.json")
    assert result.exit_code == 0
    patch = git(history.root, "diff", history.repaired, history.edited, "--", "settings.json")
    assert result.stdout == patch + "JSON changes in settings.json:\n  ~ /temperature: 0.5 -> 0.9\n"


def test_stat_agrees_with_git_diff_stat(history: History) -> None:
    result = invoke("diff", history.initialized, history.edited, "--stat")
    assert result.exit_code == 0
    assert result.stdout == git(history.root, "diff", "--stat", history.initialized, history.edited)


@pytest.mark.parametrize("option", ["--name-only", "--name-status"])
@pytest.mark.parametrize("working_tree", [False, True], ids=["two-revisions", "working-tree"])
def test_name_options_agree_with_git_diff(
    history: History, option: str, working_tree: bool
) -> None:
    if working_tree:
        (history.root / "notes.json").write_text('{"lines": []}\n')
        (history.root / "tasks" / "t2.json").unlink()
        revisions: tuple[str, ...] = ("HEAD",)
    else:
        revisions = (history.initialized, history.edited)
    result = invoke("diff", *revisions, option)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == git(history.root, "diff", option, *revisions)


def test_no_changes_print_nothing(history: History) -> None:
    assert invoke("diff").stdout == ""
    assert json.loads(invoke("diff", "--json").stdout)["files"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope",), "Error: unknown revision 'nope'"),
        (("HEAD", "--", "../x"), "Error: unsafe path '../x': it is outside the repository"),
    ],
    ids=["unknown-revision", "path-outside"],
)
def test_bad_arguments_are_refused(history: History, args: tuple[str, ...], message: str) -> None:
    result = invoke("diff", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
