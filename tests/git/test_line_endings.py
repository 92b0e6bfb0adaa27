"""Line endings and attributes git applies to the work tree: blobs LF, files as git checks out.

Each repository is set up with real git (``core.autocrlf``, ``eol=crlf``, a clean filter)
and checked out by git; after our commit of one artifact, git is the oracle: `git status`
is clean, the blobs hold LF, only that artifact changed, and the file on disk is what
``git checkout`` writes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitworktree import Repository, UnsupportedAttributeError, mount
from tests.git.foreign_trees import AGENT, Board, Task, disk_state
from tests.oracle import git, git_lines


def staged_blob(root: Path, path: str, rev: str = "") -> bytes:
    """The blob git holds for ``path`` in the index (or at ``rev``), byte for byte."""
    return subprocess.run(
        ["git", "-C", str(root), "cat-file", "blob", f"{rev}:{path}"],
        capture_output=True,
        check=True,
    ).stdout


def committed_board(root: Path) -> None:
    tree = mount(Board, root, author=AGENT)
    tree.notes.lines = ["one", "two"]
    tree.journal.text = "first line\nsecond line\n"
    tree.tasks["t1"] = Task(title="Write the report")
    tree.tasks["t2"] = Task(title="Review it")
    tree.logs.handle().touch("run.log").write_text("started\nstopped\n")
    tree.commit("Plan")


def set_autocrlf(root: Path) -> None:
    git(root, "config", "core.autocrlf", "true")


def set_eol_attribute(root: Path) -> None:
    (root / ".gitattributes").write_text("* text eol=crlf\n")
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "CRLF in the work tree")


def checkout_again(root: Path) -> None:
    """Have git write every file again, as a fresh clone or checkout would."""
    for path in git_lines(root, "ls-files"):
        if path != ".gitattributes":
            (root / path).unlink()
    git(root, "checkout", "--", ".")


SETUPS = [set_autocrlf, set_eol_attribute]
SETUP_IDS = ["core.autocrlf", "eol=crlf"]


@pytest.fixture(params=SETUPS, ids=SETUP_IDS)
def crlf_root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "board"
    committed_board(root)
    request.param(root)
    checkout_again(root)
    assert b"\r\n" in (root / "tasks" / "t2.json").read_bytes()  # git wrote CRLF
    assert git(root, "status", "--porcelain") == ""
    return root


def test_a_crlf_checkout_loads_with_no_foreign_edits(crlf_root: Path) -> None:
    tree = mount(Board, crlf_root, author=AGENT)
    assert tree.foreign_edits() == []
    assert tree.repo.status() == []


def test_a_commit_of_one_artifact_changes_only_it_and_leaves_git_status_clean(
    crlf_root: Path,
) -> None:
    tree = mount(Board, crlf_root, author=AGENT)
    tree.tasks["t1"].done = True
    tree.commit("Close t1")
    assert git_lines(crlf_root, "show", "--name-only", "--format=", "HEAD") == ["tasks/t1.json"]
    assert b"\r" not in staged_blob(crlf_root, "tasks/t1.json", "HEAD")
    assert git(crlf_root, "status", "--porcelain") == ""


def test_the_committed_file_on_disk_is_what_git_checks_out(crlf_root: Path) -> None:
    tree = mount(Board, crlf_root, author=AGENT)
    tree.tasks["t1"].done = True
    tree.commit("Close t1")
    ours = (crlf_root / "tasks" / "t1.json").read_bytes()
    (crlf_root / "tasks" / "t1.json").unlink()
    git(crlf_root, "checkout", "--", "tasks/t1.json")
    assert ours == (crlf_root / "tasks" / "t1.json").read_bytes()
    assert b"\r\n" in ours


def test_a_crlf_anchor_file_is_not_recommitted(crlf_root: Path) -> None:
    tree = mount(Board, crlf_root, author=AGENT)
    tree.logs.handle().touch("next.log").write_text("more\n")
    tree.commit("Log")
    assert git_lines(crlf_root, "show", "--name-only", "--format=", "HEAD") == ["logs/next.log"]


def test_a_restore_writes_files_as_git_checks_them_out(crlf_root: Path) -> None:
    tree = mount(Board, crlf_root, author=AGENT)
    tree.tasks["t1"].done = True
    tree.commit("Close t1")
    tree.restore("HEAD~1", paths=["tasks"])
    assert git(crlf_root, "status", "--porcelain") == ""
    assert b"\r\n" in (crlf_root / "tasks" / "t1.json").read_bytes()


def redacting_filter(root: Path) -> None:
    git(root, "config", "filter.redact.clean", "sed s/hunter2/REDACTED/")
    git(root, "config", "filter.redact.smudge", "cat")
    (root / ".gitattributes").write_text("notes.json filter=redact\n")
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "Redact notes")


@pytest.mark.parametrize(
    ("line", "attribute"),
    [
        ("notes.json filter=redact\n", "filter"),
        ("notes.json ident\n", "ident"),
        ("notes.json working-tree-encoding=ISO-8859-1\n", "working-tree-encoding"),
    ],
    ids=["filter", "ident", "working-tree-encoding"],
)
def test_a_commit_of_an_artifact_with_a_program_attribute_is_refused(
    tmp_path: Path, line: str, attribute: str
) -> None:
    root = tmp_path / "board"
    committed_board(root)
    redacting_filter(root)
    (root / ".gitattributes").write_text(line)
    git(root, "commit", "-q", "--allow-empty", "-am", "Attributes")
    tree = mount(Board, root, author=AGENT)
    tree.notes.lines.append("password: hunter2")
    before = disk_state(root)
    with pytest.raises(UnsupportedAttributeError) as raised:
        tree.commit("Notes")
    assert (raised.value.path, raised.value.attribute) == ("notes.json", attribute)
    assert disk_state(root) == before
    assert "hunter2" not in git(root, "log", "-p", "--all")


def test_a_filtered_path_the_commit_does_not_change_is_no_obstacle(tmp_path: Path) -> None:
    root = tmp_path / "board"
    committed_board(root)
    redacting_filter(root)
    tree = mount(Board, root, author=AGENT)
    tree.tasks["t1"].done = True
    tree.commit("Close t1")
    assert git_lines(root, "show", "--name-only", "--format=", "HEAD") == ["tasks/t1.json"]


def test_a_clone_checks_files_out_as_its_own_attributes_say(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    committed_board(origin)
    set_eol_attribute(origin)
    with Repository.clone(str(origin), tmp_path / "clone") as clone:
        root = clone.path
    assert b"\r\n" in (root / "tasks" / "t1.json").read_bytes()
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("attributes", "autocrlf"),
    [
        ("* text\n", None),
        ("* text=auto eol=crlf\n", None),
        ("* -text\n", "true"),
        ("* binary\n", "true"),
        ("*.json eol=lf\n", "true"),
        ("", "input"),
        ("user-wide:*.json text eol=crlf\n", None),
    ],
    ids=[
        "text", "auto-crlf", "unset-text", "binary-macro", "eol-lf", "autocrlf-input",
        "core.attributesFile",
    ],
)  # fmt: skip
def test_conversion_agrees_with_git_both_ways(
    tmp_path: Path, attributes: str, autocrlf: str | None
) -> None:
    with Repository.init(tmp_path / "repo") as repository:
        root = repository.path
        if autocrlf is not None:
            git(root, "config", "core.autocrlf", autocrlf)
        if attributes.startswith("user-wide:"):
            (tmp_path / "attributes").write_text(attributes.removeprefix("user-wide:"))
            git(root, "config", "core.attributesFile", str(tmp_path / "attributes"))
        else:
            (root / ".gitattributes").write_text(attributes)
        on_disk = b"first\r\nsecond\nthird\r\n"
        (root / "a.json").write_bytes(on_disk)
        git(root, "add", "a.json")
        filters = repository.worktree_filters()
        blob = filters.clean("a.json", on_disk)
        assert staged_blob(root, "a.json") == blob
        (root / "a.json").unlink()
        git(root, "checkout", "--", "a.json")
        assert (root / "a.json").read_bytes() == filters.smudge("a.json", blob)
