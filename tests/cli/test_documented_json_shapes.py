"""Every ``--json`` shape docs/cli.md documents is what the command prints.

The field tables of docs/cli.md (``| field | type | meaning |``) are read as the
specification: a command's document has exactly the fields its table lists, in the
table's order (the page promises "keys in the order documented"), and so do its nested
objects (``files[].path``: the keys of each entry of ``files``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gitworktree.mounting.remote_sync import push as push_tree
from tests.cli.conftest import TREE, History, invoke
from tests.remotes.conftest import (  # `offline`: an autouse fixture, no proxy from the env
    Agents,
    make_hub,
    offline,  # noqa: F401
    start_agents,
)

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
REMOTE_TREE = "tests.remotes.models:AgentState"


def section(heading: str) -> str:
    """The text of docs/cli.md under ``### heading``, up to the next heading."""
    text = CLI_MD.read_text(encoding="utf-8")
    start = text.index(f"\n### {heading}\n")
    end = re.compile(r"\n##+ ").search(text, start + 1)
    return text[start : end.start() if end else len(text)]


def tables(heading: str) -> list[list[str]]:
    """The field names of each field table of a section, in table order."""
    found: list[list[str]] = []
    for table in re.findall(
        r"\| field \| type \| meaning \|\n\|---\|---\|---\|\n((?:\|.*\n)+)", section(heading)
    ):
        names: list[str] = []
        for row in table.splitlines():
            cell = row.split("|")[1]
            first, *more = re.findall(r"`([^`]+)`", cell)
            names.append(first)
            prefix = first[: first.rfind(".") + 1] if "." in first else ""
            names.extend(prefix + name for name in more)
        found.append(names)
    return found


def fields(table: list[str], prefix: str = "") -> list[str]:
    """The names at one level of a table: top level, or under ``prefix`` (``files[].``)."""
    level = [name.removeprefix(prefix) for name in table if name.startswith(prefix)]
    return [name for name in level if "." not in name and "[]" not in name]


def run_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


COMMIT = fields(tables("Commit")[0])
CHECKPOINT = fields(tables("Checkpoint")[0])


def test_the_field_tables_of_the_page_are_found() -> None:
    assert COMMIT[:3] == ["sha", "short_sha", "subject"]
    assert fields(tables("`gitworktree diff`")[0], "files[].")[:2] == ["path", "status"]


def test_status_json_is_the_documented_shape(history: History) -> None:
    document = run_json("status")
    assert list(document) == fields(tables("`gitworktree status`")[0])
    assert [list(checkpoint) for checkpoint in document["checkpoints"]] == [CHECKPOINT]


def test_log_json_lists_documented_commits(history: History) -> None:
    assert {tuple(commit) for commit in run_json("log")} == {tuple(COMMIT)}


def test_show_a_commit_is_a_commit_and_its_changes(history: History) -> None:
    extra = fields(tables("`gitworktree show`")[0])
    assert list(run_json("show", "HEAD")) == COMMIT + extra


def test_show_a_file_json_is_the_documented_shape(history: History) -> None:
    document = run_json("show", "HEAD", "settings.json")
    assert list(document) == fields(tables("`gitworktree show`")[1])


def test_diff_json_is_the_documented_shape(history: History) -> None:
    table = tables("`gitworktree diff`")[0]
    document = run_json("diff", "HEAD~1", "HEAD")
    assert list(document) == fields(table)
    changed = next(entry for entry in document["files"] if entry["pointers"])
    assert list(changed) == fields(table, "files[].")
    assert list(changed["pointers"][0]) == fields(table, "pointers[].")


def test_checkpoint_create_and_list_print_documented_checkpoints(history: History) -> None:
    assert list(run_json("checkpoint", "create", "shapes")) == CHECKPOINT
    assert {tuple(checkpoint) for checkpoint in run_json("checkpoint", "list")} == {
        tuple(CHECKPOINT)
    }


def test_restore_json_is_the_documented_shape(history: History) -> None:
    document = run_json("restore", "planned")
    assert list(document) == fields(tables("`gitworktree restore`")[0])
    assert list(document["commit"]) == COMMIT


def test_validate_json_with_an_issue_is_the_documented_shape(history: History) -> None:
    (history.root / "notes.json").write_text('{"lines": [1]}\n')
    table = tables("`gitworktree validate`")[0]
    document = run_json("validate", "--tree", TREE)
    assert list(document) == fields(table)
    assert list(document["issues"][0]) == fields(table, "issues[].")


def test_commit_json_is_the_documented_shape(history: History) -> None:
    (history.root / "settings.json").write_text('{"model": "large", "temperature": 0.5}\n')
    document = run_json("commit", "-m", "Hand edit", "--tree", TREE)
    assert list(document) == fields(tables("`gitworktree commit`")[0])
    assert list(document["commit"]) == COMMIT


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agents:
    """Clones ``planner`` and ``writer`` of a hub; the commands run in the writer's."""
    planner, writer = start_agents(str(make_hub(tmp_path / "hub.git")), tmp_path)
    monkeypatch.chdir(tmp_path / "writer")
    return planner, writer


def test_clone_json_is_the_documented_shape(agents: Agents, tmp_path: Path) -> None:
    document = run_json("clone", str(tmp_path / "hub.git"), str(tmp_path / "third"))
    assert list(document) == fields(tables("`gitworktree clone`")[0])


def test_remote_list_matches_its_example(agents: Agents) -> None:
    example = re.search(
        r"```json\n(.*?)\n```",
        section("`gitworktree remote add`, `remote list`, `remote remove`"),
        re.DOTALL,
    )
    assert example is not None
    expected = [list(remote) for remote in json.loads(example[1])]
    assert [list(remote) for remote in run_json("remote", "list")] == expected


def test_fetch_json_is_the_documented_shape(agents: Agents) -> None:
    planner, _ = agents
    planner.plan.title = "Quarterly report"
    planner.commit()
    push_tree(planner)
    assert list(run_json("fetch")) == fields(tables("`gitworktree fetch`")[0])


def test_pull_json_merged_and_in_conflict_are_the_documented_shapes(agents: Agents) -> None:
    planner, writer = agents
    conflict_table, success_table = tables("`gitworktree pull`")
    planner.plan.title = "Planner's title"
    planner.commit()
    push_tree(planner)
    writer.plan.title = "Writer's title"
    writer.commit()
    conflicts = run_json("pull")["conflicts"]
    assert list(conflicts[0]) == fields(conflict_table)
    document = run_json("pull", "--prefer", "theirs")
    assert list(document) == fields(success_table)


def test_push_json_is_the_documented_shape(agents: Agents) -> None:
    _, writer = agents
    writer.plan.owner = "writer"
    writer.commit()
    assert list(run_json("push")) == fields(tables("`gitworktree push`")[0])


def test_sync_json_is_the_documented_shape(agents: Agents) -> None:
    planner, writer = agents
    planner.plan.title = "Quarterly report"
    planner.commit()
    push_tree(planner)
    writer.plan.owner = "writer"
    writer.commit()
    document = run_json("sync", "--tree", REMOTE_TREE)
    assert list(document) == fields(tables("`gitworktree sync`")[0])
    assert [list(commit) for commit in document["merged"]] == [COMMIT]


def json_examples() -> list[tuple[str, int, Any]]:
    """Each ```json example of the page: its section, line, and value.

    Placeholders for the shared objects (``Commit``, ``[Checkpoint, …]``) read as ``null``
    and ``[]``.
    """
    text = CLI_MD.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"```json\n(.*?)\n```", text, re.DOTALL):
        source = re.sub(r"\[(Commit|Checkpoint|Conflict), …\]", "[]", match[1])
        source = re.sub(r"(?<![\"\w])(Commit|Checkpoint)(?![\"\w])", "null", source)
        heading = re.findall(r"\n### (.+)\n", text[: match.start()])[-1]
        found.append((heading, text[: match.start()].count("\n") + 1, json.loads(source)))
    return found


# Every example but `remote list`'s (a list, no table: checked against the command above).
EXAMPLES = [example for example in json_examples() if isinstance(example[2], dict)]


@pytest.mark.parametrize(
    ("heading", "line", "example"), EXAMPLES, ids=[f"line-{line}" for _, line, _ in EXAMPLES]
)
def test_each_json_example_has_the_fields_of_its_table(
    heading: str, line: int, example: Any
) -> None:
    section_tables = tables(heading)
    if list(example) == ["conflicts"]:  # pull's refusal wraps Conflict objects
        example = example["conflicts"][0]
    table = next((t for t in section_tables if fields(t) == list(example)), None)
    assert table is not None, f"docs/cli.md:{line}: {list(example)} is in no table of {heading}"
    for key, value in example.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            nested = fields(table, f"{key}[].")
            assert nested in ([], list(value[0])), f"docs/cli.md:{line}: {key}[] differs"
