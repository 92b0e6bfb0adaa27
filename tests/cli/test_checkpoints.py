"""gitworktree checkpoint create / list / delete: refs under refs/checkpoints/."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import History, invoke
from tests.oracle import git_lines


def git_checkpoints(history: History) -> list[list[str]]:
    listed = git_lines(
        history.root,
        "for-each-ref",
        "refs/checkpoints",
        "--format=%(refname)%00%(objectname)%00%(subject)%00%(authordate:iso-strict)",
    )
    return [line.split("\0") for line in listed]


def test_create_makes_a_ref_at_head(history: History) -> None:
    result = invoke("checkpoint", "create", "before-refactor")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Created checkpoint before-refactor at {history.edited[:7]} Close t1, warm up "
        "(refs/checkpoints/before-refactor).\n"
    )
    refs = {ref: sha for ref, sha, *_ in git_checkpoints(history)}
    assert refs["refs/checkpoints/before-refactor"] == history.edited


def test_create_at_another_revision(history: History) -> None:
    result = invoke("checkpoint", "create", "first", "--rev", "HEAD~3", "--json")
    assert json.loads(result.stdout)["sha"] == history.initialized
    assert git_lines(history.root, "rev-parse", "checkpoints/first") == [history.initialized]


def test_create_without_a_name_generates_one(history: History) -> None:
    document = json.loads(invoke("checkpoint", "create", "--json").stdout)
    assert document["name"].startswith("cp-")
    assert document["ref"] == f"refs/checkpoints/{document['name']}"


def test_list_json_agrees_with_git_for_each_ref(history: History) -> None:
    invoke("checkpoint", "create", "alpha", "--rev", history.initialized)
    result = invoke("checkpoint", "list", "--json")
    assert result.exit_code == 0
    listed = [
        [entry["ref"], entry["sha"], entry["subject"], entry["time"]]
        for entry in json.loads(result.stdout)
    ]
    assert listed == git_checkpoints(history)
    assert [entry["name"] for entry in json.loads(result.stdout)] == ["alpha", "planned"]


def test_list_for_people(history: History) -> None:
    (line,) = invoke("checkpoint", "list").stdout.splitlines()
    assert line.startswith(f"planned  {history.planned[:7]}  ")
    assert line.endswith("  Plan the report")


def test_list_when_there_are_none(history: History) -> None:
    invoke("checkpoint", "delete", "planned")
    assert invoke("checkpoint", "list", "--json").stdout == "[]\n"
    assert invoke("checkpoint", "list").stdout.startswith("No checkpoints.")


def test_delete_removes_the_ref_and_keeps_the_commits(history: History) -> None:
    result = invoke("checkpoint", "delete", "planned")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Deleted checkpoint planned (was {history.planned[:7]}); its commits stay in history.\n"
    )
    assert git_checkpoints(history) == []
    assert history.planned in git_lines(history.root, "log", "--format=%H")


@pytest.mark.parametrize(
    ("name", "hinted"),
    [("a..b", True), ("x" * 2000, False), ("HEAD", False)],
    ids=["ref-name-rules", "too-long", "reads-as-HEAD"],
)
def test_example_name_is_suggested_only_for_ref_name_rules(
    history: History, name: str, hinted: bool
) -> None:
    result = invoke("checkpoint", "create", name)
    assert result.exit_code == 1
    assert ("use a name like 'before-refactor'" in result.stderr) is hinted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "bad name"), "Error: invalid name 'bad name': "),
        (("create", "a..b"), "Error: invalid name 'a..b': "),
        (
            ("create", "planned"),
            "Error: checkpoint 'planned' already exists; choose another name, or delete it "
            "with `gitworktree checkpoint delete planned`\n",
        ),
        (
            ("create", "x", "--rev", "nope"),
            "Error: checkpoint 'x' not created: unknown revision 'nope'; ",
        ),
        (
            ("delete", "nope"),
            "Error: no checkpoint named 'nope'; list checkpoints with `gitworktree checkpoint "
            "list` and commits with `gitworktree log`\n",
        ),
        (("delete", "bad name"), "Error: invalid name 'bad name': "),
    ],
    ids=["space", "dot-dot", "taken", "unknown-rev", "unknown-checkpoint", "invalid-delete"],
)
def test_refused_checkpoint_operations_change_nothing(
    history: History, args: tuple[str, ...], message: str
) -> None:
    before = git_checkpoints(history)
    result = invoke("checkpoint", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert git_checkpoints(history) == before
