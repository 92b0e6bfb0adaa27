"""init and status, and how every command reports a directory that is not a repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import History, invoke
from tests.oracle import git


def test_init_creates_an_empty_repository_on_main(tmp_path: Path) -> None:
    result = invoke("init", tmp_path / "state")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Initialized an empty gitworktree repository in {tmp_path / 'state'} (branch main).\n"
    )
    assert git(tmp_path / "state", "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(tmp_path / "state", "rev-list", "--all").strip() == ""


def test_init_on_an_existing_repository_changes_nothing(history: History) -> None:
    result = invoke("init")
    assert result.exit_code == 0
    assert "already exists" in result.stdout
    assert git(history.root, "rev-parse", "HEAD").strip() == history.edited


def test_init_in_an_empty_git_directory_says_it_initialized_one(tmp_path: Path) -> None:
    """An empty ``.git`` (as ``git init`` treats it) is filled, and the CLI says so."""
    (tmp_path / "state" / ".git").mkdir(parents=True)

    result = invoke("init", tmp_path / "state")

    assert result.exit_code == 0
    assert result.stdout.startswith("Initialized an empty gitworktree repository")
    assert git(tmp_path / "state", "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_init_takes_another_branch_name(tmp_path: Path) -> None:
    assert invoke("init", tmp_path / "s", "--branch", "agent").exit_code == 0
    assert git(tmp_path / "s", "symbolic-ref", "HEAD").strip() == "refs/heads/agent"


def test_status_of_a_clean_repository(history: History) -> None:
    result = invoke("status")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "On branch main"
    assert lines[1].startswith(f"HEAD {history.edited[:7]} Close t1, warm up (")
    assert lines[2] == f"Checkpoints: planned ({history.planned[:7]})"
    assert lines[3] == "Working tree clean."


def test_status_lists_working_tree_changes_as_git_does(history: History) -> None:
    (history.root / "notes.json").write_text('{"lines": ["edited"]}\n')
    (history.root / "tasks" / "t2.json").unlink()
    (history.root / "scratch.txt").write_text("new\n")
    result = invoke("status", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == {
        "root": str(history.root.resolve()),
        "branch": "main",
        "head": history.edited,
        "checkpoints": [
            {
                "name": "planned",
                "ref": "refs/checkpoints/planned",
                "sha": history.planned,
                "subject": "Plan the report",
                "time": document["checkpoints"][0]["time"],
                "remote": None,
            }
        ],
        "operation": None,
        "changes": [
            {"path": "notes.json", "status": "modified"},
            {"path": "scratch.txt", "status": "added"},
            {"path": "tasks/t2.json", "status": "deleted"},
        ],
        "clean": False,
    }
    porcelain = sorted(line[3:] for line in git(history.root, "status", "--porcelain").splitlines())
    assert porcelain == [change["path"] for change in document["changes"]]
    human = invoke("status").stdout
    assert "  modified: notes.json" in human
    assert "  deleted:  tasks/t2.json" in human


def test_status_of_a_repository_without_commits(tmp_path: Path) -> None:
    invoke("init", tmp_path / "empty")
    result = invoke("-C", tmp_path / "empty", "status", "--json")
    assert json.loads(result.stdout)["head"] is None
    assert "No commits yet." in invoke("-C", tmp_path / "empty", "status").stdout


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("log",),
        ("show", "HEAD"),
        ("diff",),
        ("checkpoint", "list"),
        ("checkpoint", "create", "x"),
        ("restore", "x"),
        ("validate", "--tree", "tests.cli.trees:AgentTree"),
        ("commit", "-m", "x", "--tree", "tests.cli.trees:AgentTree"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_outside_a_repository_every_command_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: not a gitworktree repository: {tmp_path.resolve()} (nor any parent "
        "directory); create one with `gitworktree init`, or point at one with -C PATH\n"
    )
