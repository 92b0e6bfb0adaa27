"""validate and commit: the gate, run from the shell on edits made in the working tree."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import TREE, History, invoke
from tests.oracle import git, git_lines

INVALID_SETTINGS = '{\n  "model": "small",\n  "temperature": "hot"\n}\n'
INVALID_NOTES = '{\n  "lines": [\n    1\n  ]\n}\n'


def head(history: History) -> str:
    return git(history.root, "rev-parse", "HEAD").strip()


def break_two_artifacts(history: History) -> None:
    (history.root / "settings.json").write_text(INVALID_SETTINGS)
    (history.root / "notes.json").write_text(INVALID_NOTES)


# --- validate ---------------------------------------------------------------------------


def test_validate_a_valid_working_tree(history: History) -> None:
    result = invoke("validate", "--tree", TREE)
    assert result.exit_code == 0
    assert result.stdout == "5 artifact(s) valid.\n"


def test_validate_reports_every_invalid_artifact_with_its_location(history: History) -> None:
    break_two_artifacts(history)
    status_before = git(history.root, "status", "--porcelain")
    result = invoke("validate", "--tree", TREE)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "settings.json:3:18: at /temperature: Input should be a valid number, unable to parse "
        'string as a number (got "hot") (model)',
        "notes.json:3:5: at /lines/0: 1 is not of type 'string' (schema)",
    ]
    assert result.stderr == (
        "Error: 2 issue(s) in 2 artifact(s): notes.json, settings.json. Fix them and validate "
        "again, or commit with --repair MODULE:FUNC\n"
    )
    assert git(history.root, "status", "--porcelain") == status_before
    assert head(history) == history.edited


def test_validate_json_gives_each_issue_field_by_field(history: History) -> None:
    break_two_artifacts(history)
    result = invoke("validate", "--tree", TREE, "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["checked"] == [
        "settings.json", "notes.json", "journal.txt", "tasks/t1.json", "tasks/t2.json"
    ]  # fmt: skip
    assert document["missing"] == []
    assert document["issues"][1] == {
        "artifact": "notes.json",
        "line": 3,
        "column": 5,
        "pointer": "/lines/0",
        "message": "1 is not of type 'string'",
        "source": "schema",
    }


def test_validate_reports_a_missing_artifact_without_a_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke("init", tmp_path / "fresh")
    monkeypatch.chdir(tmp_path / "fresh")
    result = invoke("validate", "--tree", "tests.cli.trees:NeedsInitialState", "--json")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)["issues"]
    assert issue["artifact"] == "task.json"
    assert issue["message"] == "missing, and task has no default to create it from"


def test_validate_counts_missing_artifacts_that_have_defaults(
    history: History,
) -> None:
    (history.root / "journal.txt").unlink()
    result = invoke("validate", "--tree", TREE)
    assert result.exit_code == 0
    assert result.stdout == "4 artifact(s) valid; 1 missing, to be created from defaults.\n"


def write_tree_module(directory: Path) -> str:
    name = f"agent_tree_{uuid.uuid4().hex[:8]}"
    (directory / f"{name}.py").write_text(
        "from gitworktree import PydanticArtifact, Worktree\n\n\n"
        "class Settings(PydanticArtifact):\n"
        "    model: str = 'small'\n"
        "    temperature: float = 0.5\n\n\n"
        "class Tree(Worktree):\n    settings: Settings\n"
    )
    return name


def test_tree_module_is_found_in_the_current_directory(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = write_tree_module(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("-C", history.root, "validate", "--tree", f"{module}:Tree")
    assert result.exit_code == 0
    assert result.stdout == "1 artifact(s) valid.\n"


def test_tree_can_be_a_file_path(history: History, tmp_path: Path) -> None:
    module = write_tree_module(tmp_path)
    result = invoke("validate", "--tree", f"{tmp_path / module}.py:Tree")
    assert result.stdout == "1 artifact(s) valid.\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "no_such_module:Tree",
            "Error: cannot import 'no_such_module' for --tree: ModuleNotFoundError: No module "
            "named 'no_such_module'; run from the directory that holds it, or add its directory "
            "to PYTHONPATH\n",
        ),
        (
            "tests.cli.trees:Missing",
            "Error: 'tests.cli.trees' has no 'Missing' (for --tree); check the name after the "
            "colon\n",
        ),
        (
            "tests.cli.trees:NOT_A_TREE",
            "Error: --tree tests.cli.trees:NOT_A_TREE: 42 is not a Worktree subclass; name "
            "the class that declares the files, as AgentState in `class AgentState(Worktree): "
            "...`\n",
        ),
        ("missing.py:Tree", "Error: no such file: missing.py; give MODULE:NAME or "),
    ],
    ids=["module-not-found", "class-missing", "not-a-worktree", "file-missing"],
)
@pytest.mark.parametrize("command", ["validate", "commit"])
def test_a_tree_that_cannot_be_loaded_is_refused(
    history: History, command: str, spec: str, message: str
) -> None:
    extra = ["-m", "x"] if command == "commit" else []
    result = invoke(command, *extra, "--tree", spec)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert head(history) == history.edited


def test_a_tree_spec_without_a_colon_is_a_usage_error(history: History) -> None:
    result = invoke("validate", "--tree", "tests.cli.trees")
    assert result.exit_code == 2
    assert "expected MODULE:NAME, e.g. myagent.state:AgentState" in result.stderr


# --- commit -----------------------------------------------------------------------------


def test_commit_lands_working_tree_edits_in_one_commit(history: History) -> None:
    (history.root / "notes.json").write_text('{"lines": ["edited by hand"]}\n')
    (history.root / "settings.json").write_text('{"model": "large", "temperature": 0.5}\n')
    result = invoke("commit", "-m", "Edit by hand", "--tree", TREE)
    assert result.exit_code == 0
    new = head(history)
    assert result.stdout == (
        f"Committed {new[:7]} Edit by hand\n  files: notes.json, settings.json\n"
    )
    assert result.stderr == ""
    assert git_lines(history.root, "log", "-1", "--format=%s") == ["Edit by hand"]
    assert git_lines(history.root, "rev-parse", "HEAD~1") == [history.edited]
    assert git(history.root, "status", "--porcelain") == ""
    assert git(history.root, "show", "HEAD:settings.json") == (
        '{\n  "model": "large",\n  "temperature": 0.5\n}\n'
    )


def test_new_artifact_files_land_in_the_users_commit(history: History) -> None:
    (history.root / "tasks" / "t3.json").write_text('{"title": "New task"}\n')
    (history.root / "notes.json").write_text('{"lines": ["edited by hand"]}\n')
    result = invoke("commit", "-m", "Edit by hand", "--tree", TREE, "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["initialized"] is None
    assert document["commit"]["paths"] == ["notes.json", "tasks/t3.json"]
    assert document["commit"]["parents"] == [history.edited]
    assert document["not_declared"] == []
    assert git(history.root, "status", "--porcelain") == ""


def test_commit_records_author_and_trailers(history: History) -> None:
    (history.root / "journal.txt").write_text("# Journal\n- day one\n")
    result = invoke(
        "commit", "-m", "Journal", "--tree", TREE, "--author", "Scribe <scribe@agents.local>",
        "--trailer", "Agent-Run=12", "--json",
    )  # fmt: skip
    assert result.exit_code == 0
    committed = json.loads(result.stdout)["commit"]
    assert committed["author"] == "Scribe <scribe@agents.local>"
    assert committed["trailers"] == {"Agent-Run": "12"}
    assert git_lines(history.root, "log", "-1", "--format=%an <%ae>") == [committed["author"]]


def test_commit_removes_deleted_map_items(history: History) -> None:
    (history.root / "tasks" / "t2.json").unlink()
    result = invoke("commit", "-m", "Drop t2", "--tree", TREE)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert git_lines(history.root, "ls-tree", "--name-only", "HEAD", "tasks/") == ["tasks/t1.json"]
    assert not (history.root / "tasks" / "t2.json").exists()
    assert git(history.root, "status", "--porcelain") == ""


def test_commit_refuses_invalid_edits_and_writes_nothing(history: History) -> None:
    break_two_artifacts(history)
    result = invoke("commit", "-m", "Break things", "--tree", TREE)
    assert result.exit_code == 1
    assert result.stdout == ""
    first, *issues = result.stderr.splitlines()
    assert first.startswith(
        "Error: commit refused, nothing was written: 2 artifact(s) invalid (notes.json, "
        "settings.json); fix them"
    )
    assert issues == [  # in the order the tree declares them
        "  - settings.json:3:18: at /temperature: Input should be a valid number, unable to "
        'parse string as a number (got "hot") (model)',
        "  - notes.json:3:5: at /lines/0: 1 is not of type 'string' (schema)",
    ]
    assert head(history) == history.edited
    assert (history.root / "settings.json").read_text() == INVALID_SETTINGS


def test_commit_with_a_repair_hook_records_the_repair(history: History) -> None:
    (history.root / "notes.json").write_text(INVALID_NOTES)
    result = invoke(
        "commit",
        "-m",
        "Import notes",
        "--tree",
        TREE,
        "--repair",
        "tests.cli.trees:stringify_lines",
    )
    assert result.exit_code == 0
    assert "  repaired: notes.json attempts=1\n" in result.stdout
    assert git_lines(history.root, "log", "-1", "--format=%(trailers:only,unfold)") == [
        "Gitworktree-Repaired: notes.json attempts=1"
    ]
    assert json.loads(git(history.root, "show", "HEAD:notes.json")) == {"lines": ["1"]}


def test_commit_json_prints_an_error_object_when_refused(history: History) -> None:
    break_two_artifacts(history)
    result = invoke("commit", "-m", "Break things", "--tree", TREE, "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["invalid"] == ["notes.json", "settings.json"]
    assert error["repaired"] == []
    assert error["message"].startswith("commit refused, nothing was written: 2 artifact(s)")
    assert [(issue["artifact"], issue["line"]) for issue in error["issues"]] == [
        ("settings.json", 3),
        ("notes.json", 3),
    ]
    assert head(history) == history.edited


def test_a_declared_file_left_invalid_on_disk_is_reported_invalid(history: History) -> None:
    # The repair gives back exactly what HEAD holds: nothing to commit, yet the file on
    # disk stays invalid. It is declared, and the command must not end at exit 0.
    (history.root / "notes.json").write_text(INVALID_NOTES)
    result = invoke(
        "commit", "-m", "Undo", "--tree", TREE, "--repair", "tests.cli.trees:back_to_head"
    )
    assert result.exit_code == 1
    assert "not declared" not in result.stderr
    first, *issues = result.stderr.splitlines()
    assert first.startswith("Error: commit refused, nothing was written: 1 artifact(s) invalid")
    assert issues == ["  - notes.json:3:5: at /lines/0: 1 is not of type 'string' (schema)"]
    assert head(history) == history.edited


def test_commit_with_a_repair_that_fails_says_it_ran(history: History) -> None:
    (history.root / "notes.json").write_text(INVALID_NOTES)
    result = invoke(
        "commit", "-m", "Import", "--tree", TREE, "--repair", "tests.cli.trees:unchanged"
    )
    assert result.exit_code == 1
    first, *issues = result.stderr.splitlines()
    assert "a repair hook ran on notes.json and left it invalid" in first
    assert "commit with --repair" not in first
    assert issues == ["  - notes.json:3:5: at /lines/0: 1 is not of type 'string' (schema)"]
    assert head(history) == history.edited


def test_commit_with_nothing_changed(history: History) -> None:
    result = invoke("commit", "-m", "Nothing", "--tree", TREE)
    assert result.exit_code == 0
    assert result.stdout == "Nothing to commit: every artifact of AgentTree matches HEAD.\n"
    document = json.loads(invoke("commit", "-m", "Nothing", "--tree", TREE, "--json").stdout)
    assert document == {"commit": None, "initialized": None, "not_declared": []}
    assert head(history) == history.edited


def test_commit_leaves_undeclared_files_alone_and_says_so(history: History) -> None:
    (history.root / "scratch.md").write_text("mine\n")
    (history.root / "notes.json").write_text('{"lines": []}\n')
    result = invoke("commit", "-m", "Clear notes", "--tree", TREE)
    assert result.exit_code == 0
    assert result.stderr == "note: not committed, not declared by AgentTree: scratch.md\n"
    assert git_lines(history.root, "status", "--porcelain") == ["?? scratch.md"]


def test_commit_repair_that_cannot_be_imported_is_refused(history: History) -> None:
    result = invoke("commit", "-m", "x", "--tree", TREE, "--repair", "tests.cli.trees:nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 'tests.cli.trees' has no 'nope' (for --repair)")


def test_commit_trailer_must_be_key_value(history: History) -> None:
    result = invoke("commit", "-m", "x", "--tree", TREE, "--trailer", "oops")
    assert result.exit_code == 2
    assert "expected KEY=VALUE" in result.stderr


def test_an_invalid_new_file_is_refused_before_anything_is_committed(history: History) -> None:
    (history.root / "tasks" / "t3.json").write_text('{"done": "maybe"}\n')
    result = invoke("commit", "-m", "Add t3", "--tree", TREE)
    assert result.exit_code == 1
    first, *issues = result.stderr.splitlines()
    assert first == (
        "Error: commit refused, nothing was written: 1 artifact(s) invalid (tasks/t3.json); "
        "fix them (see `gitworktree validate --tree MODULE:CLASS`), or commit with --repair "
        "MODULE:FUNC"
    )
    assert issues == [
        "  - tasks/t3.json: at /title: Field required (model)",
        "  - tasks/t3.json:1:10: at /done: Input should be a valid boolean, unable to interpret "
        'input (got "maybe") (model)',
    ]
    assert head(history) == history.edited


def test_a_deleted_declared_artifact_comes_back_with_a_warning(history: History) -> None:
    (history.root / "notes.json").unlink()
    result = invoke("commit", "-m", "Drop notes", "--tree", TREE)
    assert result.exit_code == 0
    assert (
        result.stderr == "WARNING: notes.json: missing from the working tree; restored from HEAD\n"
    )
    assert result.stdout == "Nothing to commit: every artifact of AgentTree matches HEAD.\n"
    assert git(history.root, "status", "--porcelain") == ""


def test_commit_author_signs_the_commit_mounting_makes_too(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert invoke("init", root).exit_code == 0
    author = "Scribe <scribe@agents.local>"
    result = invoke("-C", root, "commit", "-m", "First", "--tree", TREE, "--author", author,
                    "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["initialized"]["author"] == author
    assert set(git_lines(root, "log", "--format=%an <%ae>")) == {author}


def test_a_malformed_author_is_refused_before_anything_is_committed(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert invoke("init", root).exit_code == 0
    result = invoke("-C", root, "commit", "-m", "First", "--tree", TREE, "--author", "scribe")
    assert result.exit_code == 1
    assert "Name <email>" in result.stderr
    assert git_lines(root, "for-each-ref", "refs/heads") == []
