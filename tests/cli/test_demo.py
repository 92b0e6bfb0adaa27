"""gitworktree demo: the README's main job, played in a fresh repository."""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import invoke
from tests.oracle import git, git_lines


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    result = invoke("demo", root)
    assert result.exit_code == 0, result.stderr
    return root


def test_demo_plays_every_step_and_prints_how_to_audit(tmp_path: Path) -> None:
    result = invoke("demo", tmp_path / "demo")
    labels = re.findall(r"^  \d\. (\w+) ", result.stdout, flags=re.MULTILINE)
    assert labels == [
        "mount", "commit", "commit", "repaired", "refused", "checkpoint", "commit", "restore"
    ]  # fmt: skip
    assert "History (gitworktree log):" in result.stdout
    assert "  git for-each-ref refs/checkpoints" in result.stdout
    assert result.stderr == ""


def test_demo_history_is_plain_git_that_git_accepts(demo_root: Path) -> None:
    git(demo_root, "fsck", "--strict")
    assert git(demo_root, "status", "--porcelain") == ""
    subjects = git_lines(demo_root, "log", "--format=%s")
    assert subjects == [
        "Restore before-cleanup",
        "Clean up: drop the open tasks",
        "Add an urgent todo",
        "Take notes and close t1",
        "Plan the report",
        "Initialize plan.json, notes.json, todos.xml, journal.md",
    ]
    assert set(git_lines(demo_root, "log", "--format=%an <%ae>")) == {
        "Demo Agent <demo-agent@example.invalid>"  # mount(author=...): the first commit too
    }


def test_demo_records_the_repair_and_the_restore_in_trailers(demo_root: Path) -> None:
    trailers = git_lines(demo_root, "log", "--format=%(trailers:only,unfold)")
    assert "Gitworktree-Repaired: todos.xml attempts=1" in trailers
    checkpoint = git(demo_root, "rev-parse", "checkpoints/before-cleanup").strip()
    assert f"Gitworktree-Restored-From: {checkpoint}" in trailers
    assert 'priority="high"' in git(demo_root, "show", f"{checkpoint}:todos.xml")


def test_demo_says_what_the_careless_clean_up_did(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = invoke("demo", root)
    (said,) = re.findall(r"^  7\. commit +(.*?) +[0-9a-f]{7}$", result.stdout, flags=re.MULTILINE)
    cleanup = git(root, "rev-parse", "HEAD~1").strip()
    changes = git_lines(root, "diff-tree", "--no-commit-id", "--name-status", "-r", cleanup)
    assert changes == ["M\tplan.json", "D\ttasks/t2.json", "D\ttasks/t3.json"]
    assert said == "a careless clean-up deleted two tasks and emptied the plan's steps"
    assert '"steps": []' in git(root, "show", f"{cleanup}:plan.json")


def test_demo_never_commits_the_refused_note(demo_root: Path) -> None:
    for sha in git_lines(demo_root, "log", "--format=%H"):
        assert "42" not in git(demo_root, "show", f"{sha}:notes.json")


def test_demo_repository_passes_validation_with_its_tree(demo_root: Path) -> None:
    result = invoke("-C", demo_root, "validate", "--tree", "gitworktree.cli.demo_tree:AgentState")
    assert result.exit_code == 0
    assert result.stdout == "7 artifact(s) valid.\n"


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    result = invoke("demo", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path} is not empty; give a new or empty directory, or no PATH for a "
        "temporary one\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home", "keep.txt"]


def test_demo_without_a_path_uses_a_new_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = invoke("demo")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    root = Path(first.removeprefix("A scripted agent session in ").split(" (")[0])
    assert root.parent == tmp_path
    assert root.name.startswith("gitworktree-demo-")
    assert git_lines(root, "rev-parse", "--abbrev-ref", "HEAD") == ["main"]


def test_every_command_the_demo_suggests_runs(tmp_path: Path) -> None:
    result = invoke("demo", tmp_path / "demo")
    suggested = result.stdout.partition("Or with this CLI:\n")[2].splitlines()
    commands = [shlex.split(line) for line in suggested if line.startswith("  gitworktree ")]
    assert [command[3] for command in commands] == ["log", "show", "diff", "validate"]
    for command in commands:
        ran = invoke(*command[1:])
        assert ran.exit_code == 0, (command, ran.stderr)
        assert ran.stdout, command
    shown = invoke(*commands[1][1:]).stdout  # the repair, with its patch
    assert "diff --git a/todos.xml b/todos.xml" in shown


@pytest.mark.parametrize(
    ("given", "stored"),
    [("HIGH", "high"), (" low ", "low"), ("URGENT", "high"), ("someday", "medium")],
    ids=["upper-case", "spaces", "synonym", "unknown"],
)
def test_the_demo_repair_spells_every_priority_as_the_schema_does(given: str, stored: str) -> None:
    from gitworktree.cli.demo_tree import TodoList, normalize_priorities

    content = f'<todos>\n  <task priority="{given}"><title>x</title></task>\n</todos>\n'
    repaired = normalize_priorities(content, [], "TodoList")
    assert f'priority="{stored}"' in repaired
    assert TodoList.issues_of(repaired) == []
