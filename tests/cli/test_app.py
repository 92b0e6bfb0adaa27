"""The application as a whole: help, version, exit codes, error messages, colour, -C."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import gitworktree.cli
from gitworktree.cli.app import COMMANDS, cli
from tests.cli.conftest import SCRIPT, History, invoke


def all_commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [()]
    for name, command in sorted(cli.commands.items()):
        found.append((name,))
        if isinstance(command, click.Group):
            found += [(name, sub) for sub in sorted(command.commands)]
    return found


@pytest.mark.parametrize("words", all_commands(), ids=lambda words: " ".join(words) or "main")
def test_every_command_has_help_with_an_example(words: tuple[str, ...]) -> None:
    result = invoke(*words, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "gitworktree " in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_runs_under_its_own_name(name: str) -> None:
    # The group imports a command's module from COMMANDS when the command runs: an entry
    # pointing at another command would run that one instead.
    assert cli.commands[name].name == name


def test_the_commands_listed_in_help_are_the_ones_in_the_table() -> None:
    result = invoke("--help")
    listed = result.stdout.split("Commands:")[1].split()
    assert set(COMMANDS) <= set(listed)


def test_version_is_the_installed_one() -> None:
    result = invoke("--version")
    assert result.stdout == f"gitworktree, version {version('gitworktree')}\n"


def test_python_m_gitworktree_behaves_like_the_script() -> None:
    via_module = subprocess.run(
        [sys.executable, "-m", "gitworktree", "--help"], capture_output=True, text=True
    )
    via_script = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True)
    assert via_module.returncode == via_script.returncode == 0
    assert via_module.stdout == via_script.stdout
    assert via_module.stdout.startswith("Usage: gitworktree ")


CLI_MODULES = sorted(
    path
    for path in (Path(gitworktree.cli.__file__).parent).glob("*.py")
    if path.name != "demo_tree.py"  # the demo's tree, imported only when the demo runs
)


def module_level_imports(path: Path) -> set[str]:
    """Modules imported at import time (not inside functions or TYPE_CHECKING blocks)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda path: path.stem)
def test_cli_modules_import_the_library_only_when_a_command_runs(path: Path) -> None:
    for module in module_level_imports(path):
        top = module.split(".")[0]
        assert top not in {"dulwich", "pydantic", "lxml"}, module
        assert top != "gitworktree" or module.startswith("gitworktree.cli"), module


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("log", "--max-count", "many"), ("diff", "a", "b", "c"), ("commit",)],
    ids=["unknown-command", "bad-option-value", "too-many-revisions", "missing-option"],
)
def test_usage_errors_exit_2(history: History, args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_a_refused_operation_is_one_message_on_stderr_without_traceback(history: History) -> None:
    result = invoke("show", "no-such-rev")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: unknown revision 'no-such-rev'; ")
    assert "Traceback" not in result.stderr


def test_debug_adds_the_traceback(history: History) -> None:
    result = invoke("--debug", "show", "no-such-rev")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "UnknownRevisionError" in result.stderr
    assert "Error: unknown revision 'no-such-rev'" in result.stderr


def test_an_unreadable_file_is_reported_not_raised(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "notes.json")

    monkeypatch.setattr("gitworktree.Repository.status", fail)
    result = invoke("status")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: [Errno 13] Permission denied: 'notes.json'; ")


@pytest.mark.parametrize(
    "args",
    [("-C", "{repo}", "log", "--oneline"), ("log", "--oneline", "-C", "{repo}")],
    ids=["before-the-command", "after-the-command"],
)
def test_repo_option_is_accepted_before_and_after_the_command(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*(arg.format(repo=history.root) for arg in args))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].endswith(
        "Initialize settings.json, notes.json, journal.txt"
    )


def test_commands_find_the_repository_from_a_subdirectory(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(history.root / "tasks")
    result = invoke("log", "--json", "-n", "1")
    assert result.exit_code == 0
    assert '"sha": "' + history.edited in result.stdout


def test_output_is_coloured_on_a_terminal(history: History) -> None:
    result = CliRunner().invoke(cli, ["log", "--oneline"], color=True)
    assert "\x1b[33m" in result.stdout  # commit ids in yellow


def test_no_color_turns_colour_off_even_on_a_terminal(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(cli, ["log", "--oneline"], color=True)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout


def test_output_is_plain_when_not_a_terminal(history: History) -> None:
    assert "\x1b[" not in invoke("log").stdout


def test_a_rejected_commit_names_every_artifact_and_the_repair_option() -> None:
    from gitworktree import CommitRejectedError, ValidationIssue
    from gitworktree.cli.errors import from_exception

    issue = ValidationIssue("1 is not of type 'string'", pointer="/lines/0", artifact="notes.json")
    error = from_exception(CommitRejectedError({"notes.json": [issue]}))
    assert error.exit_code == 1
    assert error.message == (
        "commit refused, nothing was written: 1 artifact(s) invalid (notes.json); fix them, or "
        "commit with --repair MODULE:FUNC\n  - notes.json: at /lines/0: 1 is not of type "
        "'string' (schema)"
    )


def test_foreign_edits_are_reported_in_the_clis_words_not_pythons() -> None:
    from gitworktree import ForeignEditsError
    from gitworktree.cli.errors import from_exception

    message = from_exception(ForeignEditsError(["notes.json", "plan.json"])).message
    assert "notes.json, plan.json had uncommitted edits" in message
    assert "`gitworktree restore --discard --path notes.json --path plan.json`" in message
    assert "`gitworktree commit -m MSG --tree MODULE:CLASS`" in message
    assert "adopt(" not in message and "discard(" not in message
