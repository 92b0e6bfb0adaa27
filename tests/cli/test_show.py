"""gitworktree show: a commit's message, trailers and files, or a file's bytes at a revision."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from gitworktree import Repository
from tests.cli.conftest import PLANNER, History, invoke
from tests.oracle import git_lines


def git_bytes(history: History, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(history.root), *args], capture_output=True, check=True
    ).stdout


def test_show_commit_json_lists_changed_files_as_git_does(history: History) -> None:
    result = invoke("show", "HEAD", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["sha"] == history.edited
    assert document["subject"] == "Close t1, warm up"
    status = {"A": "added", "M": "modified", "D": "deleted"}
    listed = git_lines(history.root, "diff-tree", "--no-commit-id", "--name-status", "-r", "HEAD")
    expected = [{"path": line.split("\t")[1], "status": status[line[0]]} for line in listed]
    assert document["changes"] == expected


def test_show_root_commit_lists_every_file_as_added(history: History) -> None:
    document = json.loads(invoke("show", history.initialized, "--json").stdout)
    assert document["parents"] == []
    assert {change["status"] for change in document["changes"]} == {"added"}
    assert [change["path"] for change in document["changes"]] == document["paths"]


def test_show_commit_for_people(history: History) -> None:
    result = invoke("show", "planned")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"commit {history.planned}"
    assert lines[1] == f"Author: {PLANNER}"
    assert "    Plan the report" in lines
    assert "    Agent-Run: 7" in lines
    assert "  added     tasks/t1.json" in lines


def test_show_file_writes_the_stored_bytes(history: History) -> None:
    result = invoke("show", "planned", "settings.json")
    assert result.exit_code == 0
    assert result.stdout_bytes == git_bytes(history, "show", f"{history.planned}:settings.json")


def test_show_file_path_is_relative_to_the_current_directory(history: History) -> None:
    result = invoke("-C", history.root / "tasks", "show", "HEAD", "t1.json")
    assert result.stdout_bytes == git_bytes(history, "show", "HEAD:tasks/t1.json")


def test_show_file_json_gives_text_or_base64(history: History) -> None:
    with Repository.open(history.root) as repository:
        repository.commit_changes({"blob.bin": b"\xff\x00\xfe"}, message="Add a binary file")
    text = json.loads(invoke("show", "HEAD~1", "notes.json", "--json").stdout)
    assert text == {
        "rev": "HEAD~1",
        "sha": history.edited,
        "path": "notes.json",
        "encoding": "utf-8",
        "content": git_bytes(history, "show", "HEAD~1:notes.json").decode(),
    }
    binary = json.loads(invoke("show", "HEAD", "blob.bin", "--json").stdout)
    assert binary["encoding"] == "base64"
    assert base64.b64decode(binary["content"]) == b"\xff\x00\xfe"


def test_show_unknown_revision_is_refused(history: History) -> None:
    result = invoke("show", "nope")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown revision 'nope'; list commits with `gitworktree log` and checkpoints "
        "with `gitworktree checkpoint list`\n"
    )


@pytest.mark.parametrize(
    "args", [("{rev}", "tasks/t1.json"), ("{rev}:tasks/t1.json",)], ids=["rev-path", "rev:path"]
)
def test_show_a_file_missing_at_the_revision_blames_the_path(
    history: History, args: tuple[str, ...]
) -> None:
    result = invoke("show", *(arg.format(rev=history.initialized) for arg in args))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: no file tasks/t1.json at {history.initialized} ({history.initialized[:7]});"
    )
    assert "unknown revision" not in result.stderr


def test_show_an_unknown_revision_with_a_path_blames_the_revision(history: History) -> None:
    result = invoke("show", "nope:settings.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown revision 'nope';")


@pytest.mark.parametrize(
    ("args", "cwd"),
    [
        (("planned:settings.json",), "."),
        (("planned:tasks/t1.json",), "tasks"),  # from the root, as git reads REV:path
        ((":settings.json",), "."),
    ],
    ids=["rev:path", "rev:path-from-a-subdirectory", "colon-path-is-head"],
)
def test_show_rev_colon_path_writes_the_file_as_git_show_does(
    history: History, args: tuple[str, ...], cwd: str
) -> None:
    result = invoke("-C", history.root / cwd, "show", *args)
    assert result.exit_code == 0, result.stderr
    rev, _, path = args[0].partition(":")
    git_rev = {"planned": history.planned, "": "HEAD"}[rev]  # git does not know checkpoints
    expected = git_bytes(history, "show", f"{git_rev}:{path}")
    assert result.stdout_bytes == expected


def test_show_without_a_revision_shows_head(history: History) -> None:
    assert invoke("show").stdout == invoke("show", "HEAD").stdout
    assert invoke("show").stdout.startswith(f"commit {history.edited}\n")


def test_show_stat_summarizes_the_commit_as_git_does(history: History) -> None:
    result = invoke("show", "--stat", "planned")
    assert result.exit_code == 0, result.stderr
    summary = git_lines(history.root, "show", "--stat", "--format=", history.planned)[-1]
    assert result.stdout.splitlines()[-1] == summary
    assert "  added     tasks/t1.json" not in result.stdout.splitlines()


def test_show_a_path_outside_the_repository_is_refused(history: History) -> None:
    result = invoke("show", "HEAD", "/etc/passwd")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: unsafe path '/etc/passwd': it is outside the repository"
    )


def test_show_a_directory_is_refused(history: History) -> None:
    result = invoke("show", "HEAD", "tasks")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: tasks is a directory at HEAD; give a file in it")


def test_show_patch_json_gives_the_patches_git_gives(history: History) -> None:
    for rev in (history.initialized, history.edited):  # the root commit, and one with a parent
        document = json.loads(invoke("show", rev, "--patch", "--json").stdout)
        assert document["changes"], rev
        for change in document["changes"]:
            expected = git_bytes(history, "diff-tree", "-p", "--root", "--no-commit-id", "-r",
                                 rev, "--", change["path"])  # fmt: skip
            assert change["patch"] == expected.decode(), (rev, change["path"])


def test_show_patch_for_people_follows_the_file_list(history: History) -> None:
    result = invoke("show", history.edited, "-p")
    assert result.exit_code == 0
    listing = result.stdout.partition("\ndiff --git ")[0]
    assert "  modified  tasks/t1.json" in listing.splitlines()
    changes = json.loads(invoke("show", history.edited, "-p", "--json").stdout)["changes"]
    position = 0
    for change in changes:  # each patch, in order, then its JSON changes
        position = result.stdout.index(change["patch"].rstrip("\n"), position)
        if change["pointers"]:
            position = result.stdout.index(f"JSON changes in {change['path']}:", position)
    assert any(change["pointers"] for change in changes)


def test_show_patch_of_a_file_is_a_usage_error(history: History) -> None:
    result = invoke("show", "HEAD", "settings.json", "--patch")
    assert result.exit_code == 2
    assert "--patch and --stat show a commit; leave out PATH" in result.stderr
