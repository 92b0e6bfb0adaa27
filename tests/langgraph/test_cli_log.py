"""gitworktree log --thread: a LangGraph thread's checkpoints, as the auditor reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from gitworktree.cli.app import cli
from gitworktree.cli.errors import RefusedError
from gitworktree.langgraph import GitSaver
from gitworktree.langgraph._layout import namespace_ref
from tests.langgraph.conftest import Calls, build_graph, thread
from tests.oracle import git_lines


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def run_graph(root: Path, thread_id: str) -> None:
    build_graph(GitSaver(root), Calls()).invoke({"question": "q", "notes": []}, thread(thread_id))


def test_log_thread_lists_the_commits_of_the_threads_ref_as_git_log_does(
    project: Path,
) -> None:
    run_graph(project, "support/42")
    result = invoke("log", "-C", project, "--thread", "support/42", "--json")
    assert result.exit_code == 0, result.output
    shas = [entry["sha"] for entry in json.loads(result.stdout)]
    assert shas == git_lines(project, "log", "--format=%H", namespace_ref("support/42", ""))


def test_log_thread_names_each_step_and_the_node_that_wrote(project: Path) -> None:
    run_graph(project, "t1")
    result = invoke("log", "-C", project, "--thread", "t1", "--oneline")
    assert result.exit_code == 0, result.output
    assert "step -1 (input): __start__" in result.stdout
    assert "writes of review: answer" in result.stdout


def test_log_ref_starts_from_any_revision(project: Path) -> None:
    run_graph(project, "t1")
    ref = namespace_ref("t1", "")
    result = invoke("log", "-C", project, "--ref", ref, "-n", "1", "--json")
    assert [entry["sha"] for entry in json.loads(result.stdout)] == git_lines(
        project, "rev-parse", ref
    )


def test_log_of_a_thread_that_has_no_checkpoints_is_refused_with_the_way_to_list_threads(
    project: Path,
) -> None:
    result = invoke("log", "-C", project, "--thread", "nobody")
    assert result.exit_code == RefusedError.exit_code
    assert "no checkpoints of thread nobody" in result.output
    assert "git for-each-ref refs/langgraph/" in result.output


def test_the_installed_command_shows_a_thread_without_the_langgraph_extra(project: Path) -> None:
    run_graph(project, "t1")
    script = (
        # Everything the langgraph extra installs is missing, as in a plain install.
        "import sys; sys.modules['langgraph'] = None; sys.modules['langchain_core'] = None; "
        "sys.modules['orjson'] = None; "
        "from gitworktree.cli import main; sys.argv = ['gitworktree', 'log', '--thread', 't1', "
        "'--oneline', '-n', '1']; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "step 3 (loop)" in result.stdout


def test_log_thread_with_a_channel_path_lists_the_steps_that_changed_it(project: Path) -> None:
    run_graph(project, "t1")
    result = invoke("log", "-C", project, "--thread", "t1", "channels/answer.json", "--json")
    subjects = [entry["subject"] for entry in json.loads(result.stdout)]
    assert subjects == git_lines(
        project, "log", "--format=%s", namespace_ref("t1", ""), "--", "channels/answer.json"
    )
    assert subjects and all("answer" in subject for subject in subjects)


def test_the_example_pauses_in_one_process_and_finishes_in_the_next(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "langgraph_research.py"
    state = tmp_path / "state"

    def run() -> str:
        return subprocess.run(
            [sys.executable, str(example), str(state)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    assert run() == "paused before review\n"
    assert run() == "answer: 3 notes reviewed\n"
    subjects = git_lines(state, "log", "--first-parent", "--format=%s", "refs/langgraph/demo/root")
    assert subjects[0].startswith("step 3 (loop)") and subjects[-1].startswith("step -1 (input)")
