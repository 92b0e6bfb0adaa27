"""A newcomer's first commands, and the mistakes they make on the way.

Each refusal is one line on stderr that says what happened, where, and what to do next,
in the words of the command line; nothing is written.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from gitworktree import mount
from tests.cli.conftest import SCRIPT, invoke
from tests.git.shapes import fingerprint
from tests.oracle import git
from tests.tree.models import CounterTree


def _unchanged(root: Path) -> dict[str, tuple[int, str]]:
    """Everything under ``root`` but the writer lock's file, which stays once made."""
    found = fingerprint(root)
    found.pop(".git/gitworktree.lock", None)
    return found


def _counted(root: Path, commits: int) -> None:
    tree = mount(CounterTree, root)
    for number in range(1, commits + 1):
        tree.counter.number = number
        tree.commit(f"Count {number}")
    tree.repo.close()


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A bare repository with history, as a Git host keeps it."""
    _counted(tmp_path / "source", 2)
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "source"), str(tmp_path / "b.git"))
    return tmp_path / "b.git"


@pytest.fixture
def unborn(tmp_path: Path) -> Path:
    """A repository made by `git init`, with no commit yet."""
    git(tmp_path, "init", "-q", "--initial-branch=main", "fresh")
    return tmp_path / "fresh"


@pytest.fixture
def shallow(tmp_path: Path) -> Path:
    """A clone of depth 1 of a repository with three commits."""
    _counted(tmp_path / "source", 2)
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'source'}", "shallow")
    return tmp_path / "shallow"


# --- a bare repository ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("log",), ("status",), ("checkpoint", "list"), ("restore", "--discard")],
    ids=["log", "status", "checkpoint-list", "restore-discard"],
)
@pytest.mark.parametrize("where", ["b.git", "b.git/refs"], ids=["the-repository", "inside-it"])
def test_a_bare_repository_is_refused_with_a_clone_command_naming_it(
    bare: Path, where: str, args: tuple[str, ...]
) -> None:
    before = fingerprint(bare)

    result = invoke("-C", bare.parent / where, *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {bare} is a bare repository (no work tree): ")
    assert f"`gitworktree clone {bare} DIR`" in result.stderr
    assert "mount(" not in result.stderr  # the library's advice, for Python callers
    assert result.stderr.count("bare repository") == 1
    assert fingerprint(bare) == before


# --- a repository with no commit yet ----------------------------------------------------

UNBORN_HINT = (
    "your current branch 'main' does not have any commits yet; the first commit "
    "(a mount, or `gitworktree commit`) makes one\n"
)


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (("show",), "Error: unknown revision 'HEAD'; "),
        (("show", "HEAD~1"), "Error: unknown revision 'HEAD~1'; "),
        (("diff", "HEAD", "HEAD"), "Error: unknown revision 'HEAD'; "),
        (("restore", "HEAD"), "Error: no checkpoint or revision named 'HEAD'; "),
        (
            ("checkpoint", "create", "first"),
            "Error: checkpoint 'first' not created: unknown revision 'HEAD'; ",
        ),
    ],
    ids=["show", "show-parent", "diff", "restore", "checkpoint-create"],
)
def test_a_revision_on_a_branch_without_commits_says_there_are_none_yet(
    unborn: Path, args: tuple[str, ...], start: str
) -> None:
    before = _unchanged(unborn)

    result = invoke("-C", unborn, *args)

    assert result.exit_code == 1
    assert result.stderr.startswith(start)
    assert result.stderr.endswith(UNBORN_HINT)
    assert _unchanged(unborn) == before


# --- a shallow clone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (("show", "HEAD~1"), "Error: unknown revision 'HEAD~1'; "),
        (("restore", "HEAD~1"), "Error: no checkpoint or revision named 'HEAD~1'; "),
    ],
    ids=["show", "restore"],
)
def test_a_revision_past_a_shallow_clones_end_says_how_to_fetch_more(
    shallow: Path, args: tuple[str, ...], start: str
) -> None:
    head = git(shallow, "rev-parse", "HEAD").strip()

    result = invoke("-C", shallow, *args)

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{start}this is a shallow clone and its history ends at {head[:12]}; "
    )
    assert "git fetch --unshallow" in result.stderr
    assert git(shallow, "rev-parse", "HEAD").strip() == head


# --- a clone from a wrong address -------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]  # closed again before use: nothing listens there
    return port


@pytest.mark.parametrize("scheme", ["http", "git"], ids=["http", "git"])
def test_a_clone_from_an_unreachable_host_says_why_in_a_few_words(
    tmp_path: Path, scheme: str
) -> None:
    url = f"{scheme}://127.0.0.1:{_closed_port()}/state.git"

    result = invoke("clone", url, tmp_path / "data")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot reach {url}: Connection refused; check the URL and the network, "
        "then retry\n"
    )
    assert not (tmp_path / "data").exists()


def test_a_clone_from_a_directory_that_is_no_repository_says_to_check_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "plain").mkdir()

    result = invoke("clone", tmp_path / "plain", tmp_path / "data")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'plain'} is not a Git repository (")
    assert result.stderr.endswith("); check the URL or path\n")
    assert not (tmp_path / "data").exists()


# --- a path that does not exist -----------------------------------------------------------


def test_restoring_a_path_neither_side_has_names_a_command_that_lists_the_files(
    tmp_path: Path,
) -> None:
    _counted(tmp_path / "repo", 2)
    root = tmp_path / "repo"
    target = git(root, "rev-parse", "HEAD~1").strip()
    before = _unchanged(root)

    result = invoke("-C", root, "restore", "HEAD~1", "--path", "counter.jsn")

    assert result.exit_code == 1
    command = f"git ls-tree -r --name-only {target[:12]}"
    assert result.stderr == (
        "Error: 'counter.jsn' exists neither in 'HEAD~1' nor at HEAD; give a path that one "
        f"of them has (`{command}` lists the files of 'HEAD~1')\n"
    )
    assert git(root, *command.split()[1:]).split() == ["counter.json"]  # as printed
    assert _unchanged(root) == before


# --- init inside a project's repository ---------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository made with git, tracking ``notes/a.txt``."""
    git(tmp_path, "init", "-q", "--initial-branch=main", "project")
    root = tmp_path / "project"
    (root / "notes").mkdir()
    (root / "notes" / "a.txt").write_text("a\n")
    git(root, "add", "notes/a.txt")
    git(root, "commit", "-q", "-m", "Notes")
    return root


def test_init_in_a_directory_the_enclosing_repository_tracks_warns_and_says_the_way_back(
    project: Path,
) -> None:
    result = invoke("-C", project / "notes", "init")

    assert result.exit_code == 0  # as git init: a warning, not a refusal
    new = project / "notes" / ".git"
    assert result.stderr == (
        f"WARNING: {project / 'notes'} is inside the repository at {project}, which tracks "
        "files in it (notes/a.txt): they are now in two repositories, and commits here do "
        f"not reach that one. To use that repository instead, remove the new one (`rm -rf "
        f"{new}`) and run gitworktree there (`gitworktree -C {project} status`)\n"
    )
    shutil.rmtree(new)  # the advice, followed
    assert invoke("-C", project, "status").exit_code == 0
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.parametrize("where", ["fresh", "notes/fresh"], ids=["untracked-dir", "new-dir"])
def test_init_where_the_enclosing_repository_tracks_nothing_says_nothing_more(
    project: Path, where: str
) -> None:
    result = invoke("-C", project, "init", where)

    assert result.exit_code == 0
    assert result.stderr == ""
    assert (project / where / ".git").is_dir()


# --- commands typed out of habit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        (("reset", "--hard", "HEAD~1"), "`gitworktree restore TARGET --hard`"),
        (("checkout", "HEAD~1"), "`gitworktree restore TARGET`"),
        (("undo",), "`gitworktree restore TARGET`"),
        (("add", "counter.json"), "`gitworktree commit -m MSG --tree MODULE:CLASS`"),
        (("stash",), "`gitworktree restore --discard`"),
        (("checkpoint", "restore", "x"), "`gitworktree restore NAME`"),
        (("checkpoint", "rm", "x"), "`gitworktree checkpoint delete NAME`"),
        (("remote", "rm", "origin"), "`gitworktree remote remove NAME`"),
    ],
    ids=[
        "reset",
        "checkout",
        "undo",
        "add",
        "stash",
        "checkpoint-restore",
        "checkpoint-rm",
        "remote-rm",
    ],
)
def test_a_command_typed_out_of_habit_names_the_one_that_does_it(
    tmp_path: Path, args: tuple[str, ...], answer: str
) -> None:
    _counted(tmp_path / "repo", 1)
    before = _unchanged(tmp_path / "repo")

    result = invoke("-C", tmp_path / "repo", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    word = args[1] if args[0] in ("checkpoint", "remote") else args[0]  # under a group
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: No such command {word!r}. ")
    assert answer in last
    assert "Did you mean" not in last  # click's nearest spelling: 'checkpoint' for checkout
    assert _unchanged(tmp_path / "repo") == before


# --- a path where a revision goes (git's `diff FILE`, `restore FILE`) ----------------------


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        (("diff", "counter.json"), "put paths after --, as in `gitworktree diff -- counter.json`"),
        (
            ("diff", "HEAD", "counter.json"),
            "put paths after --, as in `gitworktree diff HEAD -- counter.json`",
        ),
        (
            ("diff", "counter.json", "HEAD"),
            "put paths after --, as in `gitworktree diff HEAD -- counter.json`",
        ),
        (
            ("show", "counter.json"),
            "to show it as HEAD has it: `gitworktree show HEAD counter.json`; the commits that "
            "changed it: `gitworktree log counter.json`",
        ),
        (
            ("restore", "counter.json"),
            "to throw away its uncommitted edits: `gitworktree restore --discard --path "
            "counter.json`; to bring back its version at a revision: `gitworktree restore REV "
            "--path counter.json`",
        ),
    ],
    ids=["diff", "diff-rev-file", "diff-file-rev", "show", "restore"],
)
def test_a_file_given_where_a_revision_goes_names_the_command_meant(
    tmp_path: Path, args: tuple[str, ...], advice: str
) -> None:
    root = tmp_path / "repo"
    _counted(root, 1)
    (root / "counter.json").write_text('{\n  "number": 5\n}\n')  # an edit to look at
    before = _unchanged(root)

    result = invoke("-C", root, *args)

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: unknown revision 'counter.json', but counter.json is a file here; {advice}\n"
    )
    assert _unchanged(root) == before
    first = advice.split("`")[1].split()[1:]  # the first command advised, as printed
    assert invoke("-C", root, *first).exit_code == 0


def test_a_file_named_like_a_checkpoint_is_the_checkpoint(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _counted(root, 2)
    git(root, "update-ref", "refs/checkpoints/counter.json", "HEAD~1")

    result = invoke("-C", root, "diff", "counter.json", "--name-only")

    assert result.exit_code == 0
    assert result.stdout == "counter.json\n"  # a revision keeps its meaning beside a file


def test_restore_of_a_revision_and_files_names_the_path_form(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _counted(root, 2)
    before = _unchanged(root)

    result = invoke("-C", root, "restore", "HEAD~1", "counter.json")

    assert result.exit_code == 2
    advised = "gitworktree restore 'HEAD~1' --path counter.json"
    assert result.stderr.splitlines()[-1] == (
        f"Error: restore takes one TARGET; give the files to restore with --path: `{advised}`"
    )
    assert _unchanged(root) == before
    assert invoke("-C", root, "restore", "HEAD~1", "--path", "counter.json").exit_code == 0
    assert git(root, "diff", "HEAD~2", "HEAD") == ""  # the files of HEAD~1, as advised


@pytest.mark.parametrize(
    ("args", "option", "advice"),
    [
        (("commit", "-am", "Edit", "--tree", "x:Y"), "-a", "leave out -a"),
        (("status", "-s"), "-s", "use --json"),
        (("status", "--porcelain"), "--porcelain", "use --json"),
        (("diff", "--staged"), "--staged", "There is no staging area here"),
        (("diff", "--cached"), "--cached", "There is no staging area here"),
    ],
    ids=["commit-am", "status-s", "status-porcelain", "diff-staged", "diff-cached"],
)
def test_an_option_typed_out_of_habit_says_what_to_do_instead(
    tmp_path: Path, args: tuple[str, ...], option: str, advice: str
) -> None:
    _counted(tmp_path / "repo", 1)

    result = invoke("-C", tmp_path / "repo", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: No such option {option!r}. ")
    assert advice in last
    assert "Did you mean" not in last  # '--stat' for --staged would send them elsewhere


# --- output into a pipe that closes (`gitworktree log -p | head`) -------------------------


def test_a_reader_that_leaves_early_gets_no_error_message(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--initial-branch=main", "repo")
    # A patch far larger than a pipe's buffer, so the writer is still writing when the
    # reader leaves, whatever the machine's speed.
    (root / "big.txt").write_text("".join(f"line {n:06d} of the big file\n" for n in range(40_000)))
    git(root, "add", "big.txt")
    git(root, "commit", "-q", "-m", "Big")
    process = subprocess.Popen(
        [str(SCRIPT), "log", "-p"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # `| head -1`
    process.stdout.close()
    errors = process.stderr.read()
    process.stderr.close()

    assert process.wait(timeout=60) == 1  # as click exits for its own output
    head = git(root, "rev-parse", "--short=7", "HEAD").strip()
    assert first.split()[0].decode() == head  # the first line was written
    assert errors == b""  # not "Error: [Errno 32] Broken pipe; check the path ..."


# --- --tree naming something else than the tree's class -----------------------------------

TREE_MODULE = """
from gitworktree import PydanticArtifact, Worktree


class Counter(PydanticArtifact):
    number: int = 0


class AgentState(Worktree):
    counter: Counter


state = AgentState()  # what a script that mounts would hold
"""


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("Counter", "class Counter is not a Worktree subclass"),
        ("state", "a mounted tree (an instance), not its class"),
    ],
    ids=["an-artifact-class", "an-instance"],
)
def test_a_tree_option_naming_an_artifact_or_an_instance_says_which_class_to_name(
    tmp_path: Path, name: str, what: str
) -> None:
    _counted(tmp_path / "repo", 1)
    (tmp_path / "state.py").write_text(TREE_MODULE)
    spec = f"{tmp_path / 'state.py'}:{name}"

    result = invoke("-C", tmp_path / "repo", "validate", "--tree", spec)

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: --tree {spec}: {what}; name the class that declares the files, as AgentState "
        "in `class AgentState(Worktree): ...`\n"
    )
    advised = f"{tmp_path / 'state.py'}:AgentState"
    assert invoke("-C", tmp_path / "repo", "validate", "--tree", advised).exit_code == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("diff", ""), "Error: invalid name '': it is empty"),
        (("show", ""), "Error: invalid name '': it is empty"),
        (("diff", "HEAD...HEAD~1"), "Error: A...B (the changes on B since it left A) is not"),
    ],
    ids=["diff-empty", "show-empty", "diff-three-dots"],
)
def test_odd_revisions_are_refused_for_what_they_are(
    tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    _counted(tmp_path / "repo", 1)

    result = invoke("-C", tmp_path / "repo", *args)

    assert result.exit_code in (1, 2)
    assert result.stderr.splitlines()[-1].startswith(error)
    assert "is a directory here" not in result.stderr  # '' is the current directory


@pytest.mark.parametrize("count", ["-n", "-"], ids=["dash-n", "dash-number"])
def test_a_huge_log_count_means_every_commit(tmp_path: Path, count: str) -> None:
    _counted(tmp_path / "repo", 2)
    huge = "99999999999999999999"
    args = [count, huge] if count == "-n" else [f"-{huge}"]

    result = invoke("-C", tmp_path / "repo", "log", "--oneline", *args)

    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(
        git(tmp_path / "repo", "log", "--oneline").splitlines()
    )


def test_reflog_syntax_after_a_hard_restore_says_to_give_the_id_git_reflog_prints(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    _counted(root, 2)
    tip = git(root, "rev-parse", "HEAD").strip()
    assert invoke("-C", root, "restore", "HEAD~1", "--hard").exit_code == 0  # "see git reflog"

    result = invoke("-C", root, "restore", "HEAD@{1}")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'HEAD@{1}' is git's reflog syntax, which gitworktree does not read; give the "
        "commit id `git reflog` prints beside it\n"
    )
    listed = git(root, "reflog", "--format=%H %gd").splitlines()
    given = next(line.split()[0] for line in listed if line.endswith("HEAD@{1}"))  # as advised
    assert given == tip
    assert invoke("-C", root, "restore", given, "--hard").exit_code == 0
    assert git(root, "rev-parse", "HEAD").strip() == tip


def test_a_checkpoint_at_an_unknown_revision_says_where_to_find_one(tmp_path: Path) -> None:
    _counted(tmp_path / "repo", 1)
    before = _unchanged(tmp_path / "repo")

    result = invoke("-C", tmp_path / "repo", "checkpoint", "create", "x", "--rev", "nope")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: checkpoint 'x' not created: unknown revision 'nope'; list commits with "
        "`gitworktree log` and checkpoints with `gitworktree checkpoint list`\n"
    )
    assert _unchanged(tmp_path / "repo") == before
