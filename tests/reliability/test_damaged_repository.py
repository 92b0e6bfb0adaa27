"""Damaged repositories: every operation is a `RepositoryError` saying so, never a raw crash.

Each case builds a healthy repository through the library (two commits and a checkpoint),
then damages it as a crash, a bad disk, a half-finished copy or a careless hand would:
garbage in a ref file, a ref to an object that is not there, a symbolic-ref loop, a
configuration file that does not parse, a branch pointing at a blob, an alternates
loop, ref folders nested 1,200 deep (past Python's recursion limit), a shallow clone's
missing history. Every operation through the library (mount, sync, commit, log, show,
diff, status, checkpoints, restore) and through the CLI either works or fails with
`RepositoryError` (reason ``"damaged"``), the CLI with exit status 1 and a message
naming the damage — never "this is a bug".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitworktree import (
    GitWorktreeError,
    InvalidNameError,
    RepositoryError,
    UnsafePathError,
    UnsupportedRepositoryError,
    Worktree,
    mount,
    push,
)
from gitworktree.cli.app import cli
from gitworktree.history import Repository
from tests.oracle import git
from tests.reliability.models import Task, WorkTree

PROJECT = Path(__file__).resolve().parents[2]
TREE = "tests.reliability.models:WorkTree"


def _blob(repo: Path, text: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
        input=text, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def _loose(repo: Path, sha: str) -> Path:
    return repo / ".git" / "objects" / sha[:2] / sha[2:]


def _nest_refs(repo: Path, levels: int, sha: str) -> None:
    """A checkpoint ``a/a/.../a`` ``levels`` folders deep (longer than PATH_MAX allows
    naming at once, so made one folder at a time)."""
    directory = os.open(repo / ".git" / "refs" / "checkpoints", os.O_RDONLY)
    try:
        for _ in range(levels - 1):
            os.mkdir("a", dir_fd=directory)
            inner = os.open("a", os.O_RDONLY, dir_fd=directory)
            os.close(directory)
            directory = inner
        ref = os.open("a", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=directory)
        os.write(ref, sha.encode() + b"\n")
        os.close(ref)
    finally:
        os.close(directory)


def _remove_deep(root: Path) -> None:
    """Remove a folder tree too deep for `shutil.rmtree` (which recurses), with ``rm -rf``."""
    subprocess.run(["rm", "-rf", str(root)], check=True)


Damage = Callable[[Path], None]


def garbage_in_branch(repo: Path) -> None:
    (repo / ".git" / "refs" / "heads" / "main").write_text("garbage\n")


def garbage_in_head(repo: Path) -> None:
    (repo / ".git" / "HEAD").write_text("garbage\n")


def branch_to_missing_object(repo: Path) -> None:
    (repo / ".git" / "refs" / "heads" / "main").write_text("1" * 40 + "\n")


def symref_loop(repo: Path) -> None:
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/loop\n")
    (repo / ".git" / "refs" / "heads" / "loop").write_text("ref: HEAD\n")


def bad_config(repo: Path) -> None:
    config = repo / ".git" / "config"
    config.write_text(config.read_text() + "[core\n\tbroken =\n")


def branch_to_blob(repo: Path) -> None:
    (repo / ".git" / "refs" / "heads" / "main").write_text(_blob(repo, "x") + "\n")


def branch_to_tree(repo: Path) -> None:
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    (repo / ".git" / "refs" / "heads" / "main").write_text(tree + "\n")


def alternates_loop(repo: Path) -> None:
    info = repo / ".git" / "objects" / "info"
    info.mkdir(exist_ok=True)
    (info / "alternates").write_text(str(repo / ".git" / "objects") + "\n")


def deep_checkpoint(repo: Path) -> None:
    _nest_refs(repo, 1200, git(repo, "rev-parse", "HEAD").strip())


def missing_parent(repo: Path) -> None:
    _loose(repo, git(repo, "rev-parse", "HEAD~1").strip()).unlink()


def shallow_boundary(repo: Path) -> None:
    """What a shallow clone looks like: HEAD's parent is recorded as not fetched."""
    parent = git(repo, "rev-parse", "HEAD~1").strip()
    (repo / ".git" / "shallow").write_text(git(repo, "rev-parse", "HEAD"))
    _loose(repo, parent).unlink()


def missing_root_tree(repo: Path) -> None:
    _loose(repo, git(repo, "rev-parse", "HEAD^{tree}").strip()).unlink()


def checkpoint_to_blob(repo: Path) -> None:
    (repo / ".git" / "refs" / "checkpoints" / "cp").write_text(_blob(repo, "x") + "\n")


def checkpoint_to_missing_object(repo: Path) -> None:
    (repo / ".git" / "refs" / "checkpoints" / "cp").write_text("2" * 40 + "\n")


def garbage_in_checkpoint(repo: Path) -> None:
    (repo / ".git" / "refs" / "checkpoints" / "cp").write_text("zz\n")


def garbage_packed_refs(repo: Path) -> None:
    (repo / ".git" / "packed-refs").write_text("garbage line\n")


# case -> (how to damage, the library operations that must report it)
def index_is_a_fifo(repo: Path) -> None:
    """A plain open of a FIFO blocks until a writer comes: git itself hangs on it."""
    (repo / ".git" / "index").unlink()
    os.mkfifo(repo / ".git" / "index")


def index_links_to_dev_zero(repo: Path) -> None:
    """Read to its end, it would fill memory until the process dies."""
    (repo / ".git" / "index").unlink()
    (repo / ".git" / "index").symlink_to("/dev/zero")


CASES: dict[str, tuple[Damage, set[str]]] = {
    "garbage-in-branch": (garbage_in_branch, {"mount", "log", "show", "diff", "status"}),
    "garbage-in-HEAD": (garbage_in_head, {"mount", "log", "show", "diff", "status"}),
    "branch-to-missing-object": (branch_to_missing_object, {"mount", "log", "show", "status"}),
    "symref-loop": (symref_loop, {"mount", "sync", "commit", "log", "show", "status"}),
    "bad-config": (bad_config, {"mount", "log", "show", "diff", "status", "checkpoints"}),
    "branch-to-blob": (branch_to_blob, {"mount", "log", "show", "diff", "status"}),
    "branch-to-tree": (branch_to_tree, {"mount", "log", "show", "diff", "status"}),
    "alternates-loop": (alternates_loop, {"mount", "log", "status", "checkpoints"}),
    "checkpoints-1200-deep": (deep_checkpoint, {"checkpoints"}),
    "missing-parent": (missing_parent, {"log"}),
    # log stops at a shallow boundary as git's does; a checkpoint beyond it is damage
    "shallow-boundary": (shallow_boundary, {"restore"}),
    # a process that read the tree before it went missing keeps its parsed copy (trees
    # are cached by id), and the index vouches for the work tree: nothing needs the
    # object, so nothing fails; the CLI (a fresh process) reports it
    "missing-root-tree": (missing_root_tree, set()),
    "checkpoint-to-blob": (checkpoint_to_blob, {"restore"}),
    "checkpoint-to-missing-object": (checkpoint_to_missing_object, {"restore"}),
    "garbage-in-checkpoint": (garbage_in_checkpoint, {"checkpoints", "restore"}),
    "garbage-packed-refs": (garbage_packed_refs, {"checkpoints", "restore"}),
    "index-is-a-FIFO": (index_is_a_fifo, {"mount", "status", "restore", "commit"}),
    "index-links-to-dev-zero": (
        index_links_to_dev_zero,
        {"mount", "status", "restore", "commit"},
    ),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of a host (beside it) with two commits and a checkpoint ``cp`` at the
    first; built once, copied for each test."""
    where = tmp_path_factory.mktemp("template")
    git(where, "init", "-q", "--bare", "-b", "main", str(where / "host.git"))
    root = where / "repo"
    tree = mount(WorkTree, root, clone_from=str(where / "host.git"))
    tree.tasks["a"] = Task(title="a")
    tree.commit("first")
    tree.checkpoint("cp")
    tree.tasks["b"] = Task(title="b")
    tree.commit("second")
    push(tree)
    return where


@pytest.fixture
def healthy(template: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the template and its host, each test's own to damage."""
    shutil.copytree(template, tmp_path / "copy", symlinks=True)
    root = tmp_path / "copy" / "repo"
    git(root, "remote", "set-url", "origin", str(tmp_path / "copy" / "host.git"))
    yield root
    _remove_deep(root)


def _outcome(operation: Callable[[], object]) -> str:
    """``"ok"``, ``"damaged"`` for a RepositoryError saying so; raw errors propagate."""
    try:
        operation()
    except UnsupportedRepositoryError as error:  # a broken HEAD or branch, caught at mount
        assert error.reason in ("broken-head", "broken-branch"), error
        assert "Nothing was changed" in str(error), error
        return "damaged"
    except RepositoryError as error:
        assert error.reason == "damaged", error
        assert any(hint in str(error) for hint in ("git fsck", ".git/config", "not a file")), error
        return "damaged"
    except GitWorktreeError as error:  # a refusal of its own kind (say a conflict) is fine
        return type(error).__name__
    return "ok"


def _library_outcomes(root: Path, before: Worktree) -> dict[str, str]:
    def on_repository(call: Callable[[Repository], object]) -> Callable[[], object]:
        def run() -> object:
            with Repository.open(root) as repository:
                return call(repository)

        return run

    def commit() -> None:
        before.counter.number += 1
        before.commit("after the damage")

    return {
        "mount": _outcome(lambda: mount(WorkTree, root)),
        "sync": _outcome(before.sync),
        "log": _outcome(on_repository(lambda r: r.log())),
        "show": _outcome(on_repository(lambda r: r.commit_info("HEAD"))),
        "diff": _outcome(on_repository(lambda r: r.diff("HEAD", None))),
        "status": _outcome(on_repository(lambda r: r.status())),
        "checkpoints": _outcome(on_repository(lambda r: r.checkpoints())),
        "restore": _outcome(on_repository(lambda r: r.restore("cp"))),
        "commit": _outcome(commit),  # writes last: the reads above see the damage as made
    }


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_damaged_repository_is_a_repository_error_in_the_library(
    healthy: Path, case: str
) -> None:
    damage, reported = CASES[case]
    before = mount(WorkTree, healthy)  # mounted while healthy, synced after the damage
    damage(healthy)
    outcomes = _library_outcomes(healthy, before)
    assert {op for op, outcome in outcomes.items() if outcome == "damaged"} >= reported, outcomes


CLI_COMMANDS = [
    ["log"],
    ["show", "HEAD", "-p"],
    ["diff"],
    ["status"],
    ["checkpoint", "list"],
    ["restore", "cp"],
    ["pull"],
    ["push"],
    ["commit", "-m", "x", "--tree", TREE],
]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_damaged_repository_is_a_clear_cli_error(healthy: Path, case: str) -> None:
    CASES[case][0](healthy)
    runner = CliRunner()
    refused = 0
    for command in CLI_COMMANDS:
        result = runner.invoke(cli, ["-C", str(healthy), *command], catch_exceptions=False)
        assert result.exit_code in (0, 1), (command, result.output)
        assert "this is a bug" not in result.output, (command, result.output)
        if result.exit_code == 1:
            refused += 1
            assert "damaged" in result.output or ".git/config" in result.output, result.output
    assert refused, "the damage went unnoticed by every command"


def test_a_damaged_repository_is_a_clear_error_from_the_installed_command(
    healthy: Path,
) -> None:
    symref_loop(healthy)
    result = subprocess.run(
        [sys.executable, "-m", "gitworktree", "-C", str(healthy), "log"],
        capture_output=True, text=True, cwd=PROJECT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "symbolic-ref loop" in result.stderr and "git fsck" in result.stderr
    assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr


@pytest.mark.parametrize(
    ("make", "refused"),
    [
        # + ".json": 256 bytes, a path level no file system holds
        (lambda tree: tree.tasks.__setitem__("k" * 251, Task(title="x")), UnsafePathError),
        (lambda tree: tree.checkpoint("/".join(["a"] * 2000)), InvalidNameError),
    ],
    ids=["map-key-past-the-file-name-limit", "checkpoint-name-2000-folders-deep"],
)
def test_a_name_no_file_system_can_hold_is_refused_before_writing(
    healthy: Path, make: Callable[[WorkTree], object], refused: type[Exception]
) -> None:
    tree = mount(WorkTree, healthy)
    refs_before = git(healthy, "for-each-ref")
    with pytest.raises(refused):
        make(tree)
    assert git(healthy, "for-each-ref") == refs_before
    assert git(healthy, "status", "--porcelain") == ""
