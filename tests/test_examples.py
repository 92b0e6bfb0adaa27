"""The README's examples, run as their own processes, twice, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
