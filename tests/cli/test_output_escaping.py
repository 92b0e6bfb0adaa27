"""Text output never lets a name forge a line or restyle the terminal.

The repository is built by real git, with file names, a subject, a message body, an
author and a checkpoint holding newlines, carriage returns and escape sequences. Every
line the CLI prints is then checked to hold no control character, paths to be quoted as
git quotes them, and ``--json`` to carry the values as they are.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.conftest import invoke

NAMES = ["a\nb.txt", "carriage\rreturn.txt", "\x1b[31mred.txt", "line\u2028separator.txt"]
QUOTED = ['"a\\nb.txt"', '"carriage\\rreturn.txt"', '"\\033[31mred.txt"',
          '"line\\342\\200\\250separator.txt"']  # fmt: skip
SUBJECT = "Add files\x1b[2J\rcommit 0000000 (HEAD -> main)  Forged"
AUTHOR = "Eve\x1b[31m"
CHECKPOINT = "cp\u202egnp.exe"  # a right-to-left override: reads "cpexe.png"


@dataclass(frozen=True)
class Hostile:
    root: Path
    first: str
    second: str


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout.decode("utf-8", "surrogateescape")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hostile:
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "plain.txt").write_text("plain\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "First")
    for name in NAMES:
        (root / name).write_text("line one\nsecond\x1b[0m line\rrewritten\n")
    git(root, "add", ".")
    message = f"{SUBJECT}\n\nBody\n\x1b[1mcommit deadbeef\n"
    git(root, "commit", "-q", "-m", message, env={"GIT_AUTHOR_NAME": AUTHOR})
    first, second = git(root, "rev-parse", "HEAD~1", "HEAD").split()
    # git refuses control characters in ref names, but not other non-printables.
    git(root, "update-ref", f"refs/checkpoints/{CHECKPOINT}", second)
    for name in NAMES:
        (root / name).write_text("edited\n")
    (root / "new\nfile.txt").write_text("untracked\n")
    monkeypatch.chdir(root)
    return Hostile(root, first, second)


def printable(output: str) -> bool:
    """Only printable characters, and newlines between lines."""
    return all(char == "\n" or char.isprintable() for char in output)


COMMANDS = [
    ("log",), ("log", "--oneline"), ("show", "HEAD"), ("show", "HEAD", "-p"),
    ("diff", "HEAD~1", "HEAD"), ("diff", "HEAD~1", "HEAD", "--stat"), ("diff",),
    ("status",), ("checkpoint", "list"),
]  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(args) for args in COMMANDS])
def test_text_output_holds_no_control_character(hostile: Hostile, args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert printable(result.stdout), [
        line for line in result.stdout.split("\n") if not printable(line)
    ]


def test_log_prints_one_line_per_commit_with_oneline(hostile: Hostile) -> None:
    lines = invoke("log", "--oneline").stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(hostile.second[:7])
    assert "\\033[2J\\rcommit 0000000" in lines[0]


def test_log_escapes_author_and_body_and_quotes_paths(hostile: Hostile) -> None:
    output = invoke("log").stdout
    assert "Eve\\033[31m" in output
    assert "\\033[1mcommit deadbeef" in output
    files = next(line for line in output.splitlines() if line.strip().startswith("files:"))
    for quoted in QUOTED:
        assert quoted in files


@pytest.mark.parametrize("name", NAMES, ids=["newline", "carriage-return", "escape", "u2028"])
def test_status_prints_each_path_on_its_own_line_quoted(hostile: Hostile, name: str) -> None:
    lines = invoke("status").stdout.splitlines()
    quoted = QUOTED[NAMES.index(name)]
    assert sum(line.endswith(quoted) for line in lines) == 1
    changes = [line for line in lines if line.startswith("  ")]
    assert len(changes) == len(NAMES) + 1  # and the untracked new\nfile.txt


def test_diff_headers_are_quoted_as_git_quotes_them(hostile: Hostile) -> None:
    ours = [line for line in invoke("diff", "HEAD~1", "HEAD").stdout.splitlines()
            if line.startswith(("diff --git", "--- ", "+++ "))]  # fmt: skip
    theirs = git(hostile.root, "-c", "core.quotePath=false", "diff", "HEAD~1", "HEAD")
    expected = [line for line in theirs.split("\n")
                if line.startswith(("diff --git", "--- ", "+++ "))]  # fmt: skip
    # git leaves U+2028 as it is with core.quotePath=false; we escape it too.
    assert [line for line in ours if "\\342" not in line] == [
        line for line in expected if "\u2028" not in line
    ]
    assert len(ours) == len(expected)


def test_patch_lines_are_split_at_newlines_only(hostile: Hostile) -> None:
    lines = invoke("diff", "HEAD~1", "HEAD").stdout.splitlines()
    assert lines.count("+second\\033[0m line\\rrewritten") == len(NAMES)


def test_checkpoint_names_are_escaped(hostile: Hostile) -> None:
    assert invoke("checkpoint", "list").stdout.startswith("cp\\342\\200\\256gnp.exe ")
    assert "Checkpoints: cp\\342\\200\\256gnp.exe (" in invoke("status").stdout


def test_json_output_carries_the_values_as_they_are(hostile: Hostile) -> None:
    entry = json.loads(invoke("log", "--json").stdout)[0]
    assert entry["subject"] == SUBJECT
    assert entry["author"].startswith(AUTHOR + " <")
    assert sorted(entry["paths"]) == sorted(NAMES)
    listed = json.loads(invoke("checkpoint", "list", "--json").stdout)
    assert [checkpoint["name"] for checkpoint in listed] == [CHECKPOINT]


def test_pull_names_the_pulled_files_quoted(hostile: Hostile, tmp_path: Path) -> None:
    hub = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(hostile.root), str(hub))
    local = tmp_path / "local"
    assert invoke("init", local).exit_code == 0
    assert invoke("-C", local, "remote", "add", "origin", hub).exit_code == 0
    result = invoke("-C", local, "pull")
    assert result.exit_code == 0, result.output
    assert printable(result.stdout)
    files = next(line for line in result.stdout.splitlines() if line.startswith("  files:"))
    for quoted in QUOTED:
        assert quoted in files


@pytest.mark.parametrize("args", [("diff", "HEAD~1", "HEAD"), ("show", "HEAD", "-p")])
def test_changed_json_values_hold_no_control_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """A C1 control (CSI) or a bidi override in a JSON value drives a terminal too."""
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "values.json").write_text('{"note": "plain"}\n')
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "First")
    (root / "values.json").write_text('{"note": "\u009b2J\u202egnp.exe"}\n', encoding="utf-8")
    git(root, "commit", "-q", "-am", "Second")
    monkeypatch.chdir(root)

    result = invoke(*args)

    assert result.exit_code == 0, result.output
    changes = result.stdout.split("JSON changes", 1)[1]
    assert "/note" in changes and printable(changes), changes
