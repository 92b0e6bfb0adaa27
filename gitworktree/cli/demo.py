"""``gitworktree demo``: a short scripted agent session in a fresh repository.

No network and no LLM: the "agent" is this script, and its repair hook is deterministic
(`demo_tree.normalize_priorities`). It shows every part of the main job: typed artifacts
of each kind, commits with an author and trailers, an invalid edit repaired by the gate,
an unrepairable one refused, a checkpoint, and a restore; then the history, and the
plain ``git`` commands that audit it.
"""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gitworktree.cli.errors import RefusedError
from gitworktree.cli.output import short

if TYPE_CHECKING:
    from gitworktree.cli.demo_tree import AgentState

__all__ = ["AGENT", "CHECKPOINT", "demo"]

AGENT = "Demo Agent <demo-agent@example.invalid>"
CHECKPOINT = "before-cleanup"


@dataclass
class _Step:
    label: str
    text: str
    sha: str | None = None
    details: tuple[str, ...] = ()


def _demo_directory(path: Path | None) -> Path:
    if path is None:
        return Path(tempfile.mkdtemp(prefix="gitworktree-demo-"))
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RefusedError(
            f"{path} is not empty; give a new or empty directory, or no PATH for a temporary one"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _add_todo(state: AgentState, title: str, priority: str) -> None:
    from lxml import etree

    root = state.todos.tree
    task = etree.SubElement(root, "task", priority=priority)
    etree.SubElement(task, "title").text = title
    etree.indent(root, space="  ")  # one element per line: readable git diffs


def _commit(state: AgentState, message: str, step: int) -> Any:
    return state.commit(message, trailers={"Agent-Step": str(step)})  # by AGENT: see mount


def _plan_and_note(state: AgentState) -> list[_Step]:
    from gitworktree.cli.demo_tree import Task

    state.plan.steps = ["collect the figures", "draft the summary", "ask for a review"]
    state.plan.status = "working"
    state.tasks["t1"] = Task(title="Collect the figures")
    state.tasks["t2"] = Task(title="Draft the summary")
    state.tasks["t3"] = Task(title="Ask for a review")
    state.journal.text += "\n- Planned the report: three tasks.\n"
    planned = _commit(state, "Plan the report", 1)
    state.notes.data["lines"].append("Revenue is up 4% on last quarter.")
    _add_todo(state, "Book the meeting room", "medium")
    state.tasks["t1"].done = True
    noted = _commit(state, "Take notes and close t1", 2)
    return [
        _Step("commit", "planned three tasks (Pydantic models in an ArtifactMap)", planned.sha),
        _Step("commit", "took a note (JSON Schema), added a todo (XSD), closed t1", noted.sha),
    ]


def _repair_and_refuse(state: AgentState) -> list[_Step]:
    from gitworktree import CommitRejectedError

    _add_todo(state, "Call the printer", "URGENT")
    repaired = _commit(state, "Add an urgent todo", 3)
    trailer = repaired.trailers.get("Gitworktree-Repaired", "")
    state.notes.data["lines"].append(42)
    try:
        _commit(state, "Record the figure", 4)
    except CommitRejectedError as error:
        refused = tuple(str(issue) for issue in error.issues)
    else:  # pragma: no cover - the schema refuses a number
        raise AssertionError("the gate let an invalid note through")
    state.sync()  # drop the refused edit from memory
    return [
        _Step(
            "repaired",
            'priority "URGENT" is not in the XSD; the repair hook made it "high"',
            repaired.sha,
            (f"trailer: Gitworktree-Repaired: {trailer}",),
        ),
        _Step("refused", "a note that is a number, not text: nothing was written", None, refused),
    ]


def _checkpoint_and_restore(state: AgentState) -> list[_Step]:
    checkpoint = state.checkpoint(CHECKPOINT)
    del state.tasks["t2"]
    del state.tasks["t3"]
    state.plan.steps = []
    state.plan.status = "done"
    careless = _commit(state, "Clean up: drop the open tasks", 5)
    restored = state.restore(CHECKPOINT)
    return [
        _Step("checkpoint", f"{CHECKPOINT} (refs/checkpoints/{CHECKPOINT})", checkpoint.sha),
        _Step(
            "commit",
            "a careless clean-up deleted two tasks and emptied the plan's steps",
            careless.sha,
        ),
        _Step("restore", f"back to {CHECKPOINT}, as a new commit", restored.sha),
    ]


def _run_session(root: Path) -> list[_Step]:
    from gitworktree import mount
    from gitworktree.cli.demo_tree import AgentState

    state = mount(AgentState, root, author=AGENT)  # every commit of the session is the agent's
    created = ", ".join(state.repo.commit_info().paths)
    steps = [_Step("mount", f"created {created}", state.repo.head)]
    steps += _plan_and_note(state)
    steps += _repair_and_refuse(state)
    steps += _checkpoint_and_restore(state)
    state.repo.close()
    return steps


def _echo_steps(steps: list[_Step]) -> None:
    colours = {"repaired": "magenta", "refused": "red", "restore": "cyan", "checkpoint": "green"}
    for number, step in enumerate(steps, 1):
        label = click.style(f"{step.label:<10}", fg=colours.get(step.label), bold=True)
        sha = f"  {click.style(short(step.sha), fg='yellow')}" if step.sha else ""
        click.echo(f"  {number}. {label} {step.text}{sha}")
        for detail in step.details:
            click.echo(f"     {'':<10} {detail}")


def _echo_commands(root: Path, steps: list[_Step]) -> None:
    where = shlex.quote(str(root))
    repaired = next(step.sha for step in steps if step.label == "repaired")
    careless = [step.sha for step in steps if step.label == "commit"][-1]
    click.echo("")
    click.echo("Audit it with plain git:")
    for command, comment in (
        (f"cd {where}", ""),
        ("git log --format='%h %an: %s%n%(trailers)'", "who changed what; repaired? restored?"),
        (f"git show {short(repaired)} -- todos.xml", "what the repair hook wrote"),
        (f"git diff checkpoints/{CHECKPOINT} {short(careless)}", "what the careless clean-up did"),
        ("git for-each-ref refs/checkpoints", "the checkpoints"),
        ("git status", "clean: the working tree matches HEAD"),
    ):
        click.echo(f"  {command:<48}{'  # ' + comment if comment else ''}".rstrip())
    click.echo("Or with this CLI:")
    for command in (
        f"gitworktree -C {where} log --oneline",
        f"gitworktree -C {where} show {short(repaired)} -p",
        f"gitworktree -C {where} diff {CHECKPOINT} {short(careless)} --json",
        f"gitworktree -C {where} validate --tree gitworktree.cli.demo_tree:AgentState",
    ):
        click.echo(f"  {command}")


@click.command(short_help="Play a scripted agent session, then audit it.")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(path: Path | None) -> None:
    """Play a short scripted agent session in a fresh repository, then show its history.

    PATH must be new or empty (default: a new temporary directory, printed). The agent
    keeps a Pydantic plan, a JSON note with a schema, an XML todo list with an XSD, a text
    journal and a map of tasks; it commits, has an invalid edit repaired and another
    refused, checkpoints, and restores. No network, no LLM.

    \b
    Examples:
      gitworktree demo
      gitworktree demo ./demo-state && cd demo-state && git log
    """
    from gitworktree import Repository
    from gitworktree.cli.history import log_lines

    root = _demo_directory(path)
    click.echo(f"A scripted agent session in {root} (no network, no LLM):")
    click.echo("")
    steps = _run_session(root)
    _echo_steps(steps)
    click.echo("")
    click.echo("History (gitworktree log):")
    click.echo("")
    with Repository.open(root) as repository:
        lines = log_lines(repository, repository.log(), oneline=False)
    click.echo("\n".join("  " + line if line else "" for line in lines))
    _echo_commands(root, steps)
