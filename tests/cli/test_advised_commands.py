"""A file named where a revision goes is refused with the commands meant instead, on one
printable line, and each advised command, pasted into a shell as printed, names the file
whole and runs: the name is quoted for the shell however it is spelled (the advice is
built only when the refusal is made)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import SCRIPT, invoke
from tests.oracle import git

#: A quote, a space, a dollar and a semicolon: each means something else to a shell.
NAMES = {
    "shell characters": "it's $HOME; two.txt",
    # printed raw, these would ring, move the cursor or recolour the person's terminal
    "control characters": "bell\a, return\r and escape\x1b[7m.txt",
}
COMMANDS = ["show", "restore", "diff"]
#: Given after ``--`` (else it is an option); the advice must keep it from being one too.
DASHED = "-dash.txt"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(root))
    (root / "notes").mkdir()
    for name in [*NAMES.values(), DASHED, "notes/a.txt"]:
        (root / name).write_text("one\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", "one")
    for name in [*NAMES.values(), DASHED]:
        (root / name).write_text("two\n")  # an edit the advice can show or throw away
    return root


CASES = [
    *((command, name) for name in NAMES.values() for command in COMMANDS),
    ("show", DASHED),
    ("restore", DASHED),
]


@pytest.mark.parametrize(("command", "name"), CASES, ids=[f"{c} {n}" for c, n in CASES])
def test_every_advised_command_runs_in_a_shell_as_printed(
    root: Path, command: str, name: str
) -> None:
    result = invoke("-C", root, command, *(["--"] if name.startswith("-") else []), name)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: unknown revision {name!r}, but ")
    assert result.stderr[:-1].isprintable()  # one line, no control character in it
    advised = re.findall(r"`gitworktree ([^`]*)`", result.stderr)
    assert advised
    env = {**os.environ, "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"}
    for words in advised:
        # bash reads the words back as printed ($'...' for control characters: bash, zsh,
        # POSIX 2024 sh): the name among them, whole
        split = subprocess.run(  # bytes: text mode would read a carriage return as a newline
            ["bash", "-c", f"printf '%s\\0' {words}"], capture_output=True, check=True
        )
        assert name in split.stdout.decode().split("\0"), words
        if "REV" in words or not name.isprintable():
            continue  # a placeholder to fill in; a path gitworktree refuses (unsafe)
        ran = subprocess.run(
            f"gitworktree {words}", shell=True, cwd=root, env=env, capture_output=True, text=True
        )
        assert ran.returncode == 0, (words, ran.stderr)


def test_a_folder_where_a_revision_goes_is_advised_only_the_log(root: Path) -> None:
    result = invoke("-C", root, "show", "notes")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown revision 'notes', but notes is a directory here; the commits that "
        "changed it: `gitworktree log notes`\n"
    )
