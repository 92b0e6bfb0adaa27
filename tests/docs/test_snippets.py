"""Every Python and shell block of README.md and docs/ runs, or says why it cannot.

The blocks of a page run in order in one namespace (tests/docs/snippets.py). What the
pages leave to the reader is filled by this fixture, the same for every page:

- Python blocks run in a fresh temporary directory; shell blocks run in ``shell/``
  inside it, a clone of the host below with ``AgentState`` mounted and committed twice
  (``data/`` excluded, for the examples that clone into it); both find
  ``myagent/state.py`` (``AgentState``, the tree the CLI examples name as
  ``myagent.state:AgentState``) and ``myagent/repair.py`` (``fix``, returning the content
  unchanged) on ``sys.path``;
- the namespace holds every name ``gitworktree`` exports, ``json``, ``tomllib``,
  ``repair_prompt``, ``my_llm`` (an LLM that answers with nothing), ``run_agent_step``
  (commits whatever the step changed) and ``URL`` (a local host repository);
- the example host ``https://git.example.com/team/state.git`` (in Python and shell blocks)
  is that local host, ``state.git``: created empty by ``git init --bare`` (HEAD: main), given
  ``main`` and ``writer`` by the shell repository's push;
- a page may need more context than its blocks show (``tree`` in history.md, files a
  document loads): PAGE_SETUP below holds it, run before the page's first block; a page's
  shell blocks run in SHELL_DIRECTORY's directory for it, if named there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gitworktree.cli.app import cli
from tests.docs.snippets import ROOT, Block, blocks, pages
from tests.oracle import git

HOST = "https://git.example.com/team/state.git"

AGENT_STATE = """
from gitworktree import ArtifactMap, PydanticArtifact, Worktree, mount, push


class Plan(PydanticArtifact):
    title: str = "untitled"


class Task(PydanticArtifact):
    title: str
    done: bool = False


class AgentState(Worktree):
    plan: Plan
    tasks: ArtifactMap[Task]
"""

FIXTURE = """
import json
import tomllib

from gitworktree import *
from gitworktree.validation import repair_prompt


async def my_llm(prompt):
    return ""


def run_agent_step(tree):
    tree.commit("An agent step")
"""

TODO_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="todos">
    <xs:complexType><xs:sequence>
      <xs:element name="todo" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:simpleContent><xs:extension base="xs:string">
            <xs:attribute name="priority" type="xs:integer"/>
          </xs:extension></xs:simpleContent>
        </xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""

PAGE_SETUP: dict[str, str] = {
    "docs/documents.md": f"""
        from pathlib import Path

        Path("schemas").mkdir()
        Path("schemas/todos.xsd").write_text({TODO_XSD!r})
        Path("todos.xml").write_text('<todos><todo priority="1">milk</todo></todos>')


        class SetPriority(DocumentMutation):
            def execute(self, content, parsed):
                return content.replace('priority="1"', 'priority="2"')
        """,
    "docs/history.md": """
        class Task(PydanticArtifact):
            title: str
            done: bool = False


        class Tree(Worktree):
            tasks: ArtifactMap[Task]


        class Note(PydanticArtifact):
            text: str = ""


        class Board(Tree):
            notes: Note


        tree = mount(Tree, "data")
        for number in range(1, 4):
            tree.tasks[f"t{number}"] = Task(title=f"step {number}")
            tree.commit(f"Add t{number}")
        """,
    "docs/langgraph.md": """
        import operator
        from typing import Annotated, TypedDict

        from langgraph.graph import END, START, StateGraph


        class Research(TypedDict):
            question: str
            notes: Annotated[list[str], operator.add]
            answer: str


        builder = StateGraph(Research)
        builder.add_node("plan", lambda state: {"notes": [f"plan: {state['question']}"]})
        builder.add_node("review", lambda state: {"answer": f"{len(state['notes'])} notes"})
        builder.add_edge(START, "plan")
        builder.add_edge("plan", "review")
        builder.add_edge("review", END)
        """,
    "docs/migrating.md": """
        from pathlib import Path

        Path("schemas").mkdir()
        Path("schemas/note.schema.json").write_text('{"type": "object"}')
        Path("note.json").write_text('{"lines": []}')
        """,
    "docs/remotes.md": """
        from myagent.state import AgentState

        integrator = mount(AgentState, "integrator", clone_from=URL)
        """,
    "docs/storage.md": """
        from myagent.state import AgentState as Tree
        """,
    "docs/trees.md": """
        class Secret(PydanticArtifact):
            db_url: str


        class RequiredApp(LayoutAnchor):
            class Storage(LayoutAnchor):
                db: Secret

            storage: Storage


        class RequiredTree(Worktree):
            app: RequiredApp
        """,
}
# The shell blocks of these pages are about the repository their Python blocks built.
SHELL_DIRECTORY = {"docs/history.md": "data", "docs/langgraph.md": "state"}


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def make_host(directory: Path) -> Path:
    """An empty bare repository, as the docs start a team's Git host."""
    host = directory / "state.git"
    git(directory, "init", "-q", "--bare", "--initial-branch=main", str(host))
    return host


def run_python(block: Block, namespace: dict[str, Any], host: Path) -> None:
    code = compile(block.code.replace(HOST, str(host)), block.where, "exec")
    exec(code, namespace)


def module_namespace(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The globals of a fresh module registered as ``name``, as a script's would be.

    Trees resolve their annotations through ``sys.modules``, as for any class.
    """
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    return module.__dict__


def make_shell_repository(directory: Path, host: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of the host with AgentState mounted and two commits, pushed."""
    shell = directory / "shell"
    git(directory, "clone", "-q", str(host), str(shell))
    with (shell / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("data/\n")
    namespace = module_namespace("__snippets_fixture__", monkeypatch)
    exec(AGENT_STATE, namespace)
    tree = namespace["mount"](namespace["AgentState"], str(shell))
    tree.plan.title = "Quarterly report"
    tree.commit("Plan the report")
    tree.tasks["t1"] = namespace["Task"](title="write it")
    tree.commit("Add a task")
    namespace["push"](tree)
    git(shell, "push", "-q", "origin", "main:writer")
    return shell


def shell_commands(block: Block, host: Path) -> Iterator[list[str]]:
    """The commands of a shell block, as argument lists (``&&`` and ``cd`` as bash has them).

    Only simple commands are allowed: a pipe, redirection, substitution or ``;`` is refused,
    so each command can be run as bash would run it without a shell in between.
    """
    lines = block.code.splitlines()
    if block.language == "console" and any(line.startswith("$ ") for line in lines):
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    for line in lines:
        words = shlex.split(line.replace(HOST, str(host)), comments=True)
        unsupported = {"|", ">", ">>", "<", ";"} & set(words) or "$(" in line
        assert not unsupported, f"{block.where}: mark a block with pipes not-run, or simplify it"
        command: list[str] = []
        for word in [*words, "&&"]:
            if word != "&&":
                command.append(word)
            elif command:
                yield command
                command = []


def run_shell(block: Block, directory: Path, host: Path) -> None:
    """Run each command of ``block``: ``gitworktree`` in this process, others as processes.

    In this process as the CLI tests run it (click's runner, errors not caught), which
    costs milliseconds instead of a Python start-up per command.
    """
    cwd = directory if block.new_directory else directory / SHELL_DIRECTORY.get(block.page, "shell")
    for command in shell_commands(block, host):
        if command[0] == "cd":
            cwd = cwd / command[1]
            continue
        with working_directory(cwd):
            if command[0] == "gitworktree":
                result = CliRunner().invoke(
                    cli, command[1:], prog_name="gitworktree", catch_exceptions=False
                )
                assert result.exit_code == 0, f"{block.where}: {command}: {result.output}"
                continue
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{block.where}: {command}: {done.stdout}{done.stderr}"


def run_block(block: Block, namespace: dict[str, Any], directory: Path, host: Path) -> None:
    if block.language == "python":
        run_python(block, namespace, host)
    else:
        run_shell(block, directory, host)


def raised_name(error: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(error).__mro__]


@pytest.mark.parametrize("page", pages(), ids=pages())
def test_every_block_of_the_page_runs(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_blocks = [block for block in blocks(page) if block.not_run is None]
    if not page_blocks:
        return
    host = make_host(tmp_path)
    directory = tmp_path / "work"
    (directory / "myagent").mkdir(parents=True)
    (directory / "myagent" / "__init__.py").write_text("")
    (directory / "myagent" / "state.py").write_text(AGENT_STATE)
    (directory / "myagent" / "repair.py").write_text(
        "def fix(content, issues, kind):\n    return content\n"
    )
    namespace = module_namespace("__snippets__", monkeypatch)
    namespace["URL"] = str(host)
    # Document classes find their schema_path next to the file that defines them.
    namespace["__file__"] = str(directory / "snippets.py")
    monkeypatch.syspath_prepend(directory)
    for name in [name for name in sys.modules if name.split(".")[0] == "myagent"]:
        monkeypatch.delitem(sys.modules, name)
    make_shell_repository(directory, host, monkeypatch)
    with working_directory(directory):
        exec(FIXTURE + textwrap.dedent(PAGE_SETUP.get(page, "")), namespace)
        for block in page_blocks:
            run_checked(block, namespace, directory, host)


def run_checked(block: Block, namespace: dict[str, Any], directory: Path, host: Path) -> None:
    """Run ``block``; one marked ``raises`` must raise that exception (or a subclass)."""
    if block.new_directory:
        directory = directory / f"new-{block.line}"
        directory.mkdir()
    with working_directory(directory):
        if block.raises is None:
            run_block(block, namespace, directory, host)
            return
        with pytest.raises(Exception) as caught:
            run_block(block, namespace, directory, host)
    assert block.raises in raised_name(caught.value), f"{block.where}: {caught.value!r}"


@pytest.mark.parametrize("page", pages(), ids=pages())
def test_every_marker_stands_right_before_a_block(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    markers = re.findall(r"<!-- (?:not-run|raises|run-in):[^>]*-->", text)
    placed = re.findall(
        r"<!-- (?:not-run|raises|run-in): [^>]+ -->\n```(?:python|bash|sh|console)\n", text
    )
    assert len(placed) == len(markers), f"{page}: a marker is not right before a code fence"
