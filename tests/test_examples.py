"""The README's examples, run as their own processes, twice, as a user would."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.oracle import git, git_lines

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
README = EXAMPLES.parent / "README.md"
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install -q ."


def run_example(name: str, directory: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(directory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


def test_counter_prints_consecutive_numbers_across_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_example("counter.py", data) == ["0"]
    assert run_example("counter.py", data) == ["1"]
    assert json.loads((data / "counter.json").read_text()) == {"number": 2}


def test_layout_example_reads_back_the_committed_host(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_example("layout.py", data) == ["localhost", "False"]
    assert run_example("layout.py", data) == ["postgres.prod", "False"]
    assert (data / "app" / "logs").is_dir()


def test_toml_format_example_commits_only_what_changed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run_example("toml_format.py", data)
    assert first[0] == "('notes.md', 'settings.toml')"
    assert run_example("toml_format.py", data)[0] == "('notes.md',)"
    assert (data / "settings.toml").read_text() == 'model = "small"\ntemperature = 0.7\n'


@pytest.mark.parametrize(
    ("example", "path", "invalid", "reported"),
    [
        ("counter.py", "counter.json", '{"number": 1', "counter.json:1:13: "),
        ("layout.py", "app/storage/db.json", '{"host": ', "app/storage/db.json:1:10: "),
        ("toml_format.py", "settings.toml", "model = \n", "settings.toml:1:9: "),
    ],
    ids=["counter", "layout", "toml"],
)
def test_example_reports_a_hand_broken_file_by_name_and_line(
    tmp_path: Path, example: str, path: str, invalid: str, reported: str
) -> None:
    data = tmp_path / "data"
    run_example(example, data)
    (data / path).write_text(invalid)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / example), str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    last = result.stderr.splitlines()[-2:]
    assert last[0].startswith(f"gitworktree.errors.DocumentParseError: {path}: ")
    assert last[1].startswith(f"  - {reported}")
    assert (data / path).read_text() == invalid


@pytest.mark.parametrize(
    ("example", "damaged", "content", "error"),
    [
        ("counter.py", "counter.json", '{"number": "x"}\n', "SchemaValidationError"),
        ("layout.py", "app/storage/db.json", '{"host": 5432}\n', "SchemaValidationError"),
        ("toml_format.py", "settings.toml", "model = \n", "DocumentParseError"),
    ],
    ids=["counter-wrong-type", "layout-wrong-type", "toml-not-parsable"],
)
def test_example_refuses_a_damaged_file_naming_it_and_leaves_it_as_it_was(
    tmp_path: Path, example: str, damaged: str, content: str, error: str
) -> None:
    data = tmp_path / "data"
    run_example(example, data)
    (data / damaged).write_text(content)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / example), str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    raised = next(line for line in result.stderr.splitlines() if line.startswith("gitworktree."))
    assert raised.startswith(f"gitworktree.errors.{error}: {damaged}: ")
    assert (data / damaged).read_text() == content
    assert git(data, "status", "--porcelain") == f" M {damaged}\n"


def readme_main_job() -> str:
    """The command under "# 1." in the README's set-up block."""
    setup = README.read_text().split("## Set-up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = setup.splitlines()
    return next(lines[i + 1] for i, line in enumerate(lines) if line.startswith("# 1."))


def test_readme_main_job_plays_the_demo_in_a_fresh_directory(tmp_path: Path) -> None:
    install, _, job = readme_main_job().rpartition(" && ")
    assert install == INSTALL
    # The package is installed already: run the job with this environment's console script.
    command = shlex.split(job)
    assert command == ["gitworktree", "demo"]
    command[0] = str(Path(sys.executable).parent / "gitworktree")
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    first = result.stdout.splitlines()[0]
    root = Path(first.removeprefix("A scripted agent session in ").split(" (")[0])
    assert root.parent.resolve() == tmp_path.resolve()
    assert git(root, "status", "--porcelain") == ""
    trailers = git_lines(root, "log", "--format=%(trailers:only,unfold)")
    assert "Gitworktree-Repaired: todos.xml attempts=1" in trailers
    assert any(line.startswith("Gitworktree-Restored-From: ") for line in trailers)
    assert "Audit it with plain git:" in result.stdout
