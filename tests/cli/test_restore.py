"""gitworktree restore: soft (a new commit) by default, a branch move with --hard."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import History, invoke
from tests.oracle import git, git_lines


def head(history: History) -> str:
    return git(history.root, "rev-parse", "HEAD").strip()


def test_restore_a_checkpoint_adds_a_commit_with_its_tree(history: History) -> None:
    result = invoke("restore", "planned")
    assert result.exit_code == 0
    new = head(history)
    assert git_lines(history.root, "rev-parse", "HEAD~1") == [history.edited]
    assert git(history.root, "diff", "checkpoints/planned", "HEAD") == ""
    assert git_lines(history.root, "log", "-1", "--format=%(trailers:only,unfold)") == [
        f"Gitworktree-Restored-From: {history.planned}"
    ]
    assert git(history.root, "status", "--porcelain") == ""
    assert result.stdout == (
        f"Restored planned ({history.planned[:7]}) as a new commit {new[:7]}: "
        "notes.json, settings.json, tasks/t1.json.\n"
    )


def test_restore_only_some_paths(history: History) -> None:
    assert invoke("restore", "planned", "--path", "settings.json").exit_code == 0
    assert git_lines(history.root, "diff", "--name-only", "HEAD~1", "HEAD") == ["settings.json"]
    assert git(history.root, "diff", "checkpoints/planned", "HEAD", "--", "settings.json") == ""


def test_restore_a_revision(history: History) -> None:
    assert invoke("restore", "HEAD~1").exit_code == 0
    assert git(history.root, "diff", history.repaired, "HEAD") == ""


def test_hard_restore_moves_the_branch_and_keeps_a_reflog_entry(history: History) -> None:
    result = invoke("restore", "planned", "--hard", "--json")
    assert result.exit_code == 0
    assert head(history) == history.planned
    assert git_lines(history.root, "reflog", "-1", "--format=%gs") == ["reset: moving to planned"]
    assert git(history.root, "status", "--porcelain") == ""
    document = json.loads(result.stdout)
    assert document["mode"] == "hard"
    assert document["target_sha"] == history.planned
    assert document["changed"] is True
    assert document["commit"]["sha"] == history.planned


def test_restore_json_of_a_soft_restore(history: History) -> None:
    document = json.loads(invoke("restore", "planned", "--json").stdout)
    assert document["mode"] == "soft"
    assert document["target"] == "planned"
    assert document["target_sha"] == history.planned
    assert document["changed"] is True
    assert document["commit"]["sha"] == head(history)
    assert document["commit"]["trailers"] == {"Gitworktree-Restored-From": history.planned}


def test_restore_to_the_current_state_changes_nothing(history: History) -> None:
    result = invoke("restore", "HEAD")
    assert result.exit_code == 0
    assert result.stdout == "Nothing to restore: the files already match HEAD.\n"
    assert head(history) == history.edited


def test_restore_refuses_to_overwrite_uncommitted_edits(history: History) -> None:
    (history.root / "settings.json").write_text('{"model": "mine"}\n')
    result = invoke("restore", "planned")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: uncommitted changes would be overwritten: settings.json; nothing was changed. "
        "Commit them, or throw them away with `gitworktree restore --discard --path "
        "settings.json`, then restore again\n"
    )
    assert head(history) == history.edited
    assert (history.root / "settings.json").read_text() == '{"model": "mine"}\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("nope",),
            "Error: no checkpoint or revision named 'nope'; list checkpoints with "
            "`gitworktree checkpoint list` and commits with `gitworktree log`\n",
        ),
        (("planned", "--path", "../outside"), "Error: unsafe path '../outside': it is outside"),
        (("planned", "--path", "/etc"), "Error: unsafe path '/etc': it is outside"),
    ],
    ids=["unknown-target", "relative-path-outside", "absolute-path-outside"],
)
def test_refused_restores_change_nothing(
    history: History, args: tuple[str, ...], message: str
) -> None:
    result = invoke("restore", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert head(history) == history.edited


def test_hard_with_paths_is_a_usage_error(history: History) -> None:
    result = invoke("restore", "planned", "--hard", "--path", "notes.json")
    assert result.exit_code == 2
    assert "--hard moves the whole branch" in result.stderr


def test_restore_records_the_author_given(history: History) -> None:
    result = invoke("restore", "planned", "--author", "Guardian <guardian@agents.local>")
    assert result.exit_code == 0
    assert git_lines(history.root, "log", "-1", "--format=%an <%ae>") == [
        "Guardian <guardian@agents.local>"
    ]


def hand_edits(history: History) -> dict[str, str]:
    """A person edits one file, deletes another and adds a new one; returns HEAD's texts."""
    committed = {
        name: (history.root / name).read_text() for name in ("settings.json", "notes.json")
    }
    (history.root / "settings.json").write_text('{"model": "mine"}\n')
    (history.root / "notes.json").unlink()
    (history.root / "scratch.txt").write_text("a person's new file\n")
    return committed


def test_restore_head_with_hand_edits_reports_them_and_how_to_discard(history: History) -> None:
    hand_edits(history)
    result = invoke("restore", "HEAD")
    assert result.exit_code == 0
    assert "Nothing to restore" not in result.stdout
    assert "notes.json, scratch.txt, settings.json" in result.stdout
    assert "`gitworktree restore --discard`" in result.stdout
    document = json.loads(invoke("restore", "HEAD", "--json").stdout)
    assert document["changed"] is False
    assert document["uncommitted"] == ["notes.json", "scratch.txt", "settings.json"]
    assert head(history) == history.edited


def test_discard_puts_back_heads_files_and_leaves_new_ones_as_git_restore_does(
    history: History,
) -> None:
    committed = hand_edits(history)
    result = invoke("restore", "--discard", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == {"discarded": ["notes.json", "settings.json"], "untouched": ["scratch.txt"]}
    for name, text in committed.items():
        assert (history.root / name).read_text() == text
    assert git(history.root, "status", "--porcelain") == "?? scratch.txt\n"
    assert head(history) == history.edited


def test_discard_with_a_path_touches_only_that_path(history: History) -> None:
    committed = hand_edits(history)
    result = invoke("restore", "--discard", "--path", "notes.json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Discarded uncommitted edits, the files are HEAD's again: notes.json.\n"
    assert (history.root / "notes.json").read_text() == committed["notes.json"]
    assert (history.root / "settings.json").read_text() == '{"model": "mine"}\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("planned", "--discard"), "--discard puts back HEAD's files; give no TARGET"),
        (("--discard", "--hard"), "--discard puts back HEAD's files; give no TARGET"),
        ((), "give TARGET (a checkpoint or revision), or --discard"),
    ],
    ids=["discard-with-target", "discard-with-hard", "no-target"],
)
def test_discard_usage_errors(history: History, args: tuple[str, ...], message: str) -> None:
    (history.root / "settings.json").write_text('{"model": "mine"}\n')
    result = invoke("restore", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert (history.root / "settings.json").read_text() == '{"model": "mine"}\n'
