"""From the command line too, an id printed by ``log`` means that commit, and a name with
two meanings is refused with the full names to choose from."""

from __future__ import annotations

import json
import subprocess

from tests.cli.conftest import History, invoke


def git(history: History, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(history.root), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_restore_of_an_id_printed_by_log_when_a_checkpoint_has_that_name(
    history: History,
) -> None:
    printed = invoke("log", "--oneline").stdout.splitlines()[1].split()[0]  # newest first
    assert history.repaired.startswith(printed)
    git(history, "update-ref", f"refs/checkpoints/{printed}", history.initialized)
    result = invoke("restore", printed, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["target_sha"] == history.repaired
    assert document["commit"]["trailers"]["Gitworktree-Restored-From"] == history.repaired


def test_a_name_two_refs_answer_to_is_refused_with_both_full_names(history: History) -> None:
    git(history, "branch", "planned", history.initialized)  # the checkpoint is elsewhere
    result = invoke("restore", "planned")
    assert result.exit_code == 1
    assert "'planned' is ambiguous" in result.stderr
    assert "refs/checkpoints/planned" in result.stderr and "refs/heads/planned" in result.stderr
    assert git(history, "rev-parse", "HEAD").strip() == history.edited
    assert invoke("restore", "checkpoints/planned").exit_code == 0


def test_a_checkpoint_named_like_a_commit_id_is_refused(history: History) -> None:
    result = invoke("checkpoint", "create", history.initialized[:8])
    assert result.exit_code == 1
    assert "reads as a commit id" in result.stderr
    assert git(history, "for-each-ref", "--format=%(refname)", "refs/checkpoints") == (
        "refs/checkpoints/planned\n"
    )
