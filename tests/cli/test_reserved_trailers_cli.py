"""``commit -m`` / ``--trailer`` cannot write gitworktree's own ``Gitworktree-*`` trailers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import TREE, History, invoke

FORGERIES = [
    ("-m", "Tidy", "--trailer", "Gitworktree-Repaired=notes.json"),
    ("-m", "Tidy", "--trailer", "gitworktree-restored-from=0123456"),
    ("-m", "Tidy\n\nGitworktree-Repaired: notes.json attempts=1"),
]
IDS = ["trailer", "trailer-lower-case", "message"]


def head(root: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("args", FORGERIES, ids=IDS)
def test_commit_refuses_a_reserved_trailer(history: History, args: tuple[str, ...]) -> None:
    (history.root / "notes.json").write_text('{"lines": ["by hand"]}\n')
    result = invoke("commit", *args, "--tree", TREE)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: invalid name ") and "reserved" in result.stderr
    assert head(history.root) == history.edited


@pytest.mark.parametrize("args", FORGERIES, ids=IDS)
def test_a_refused_commit_writes_not_even_the_first_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    root = tmp_path / "fresh"
    invoke("init", root)
    monkeypatch.chdir(root)
    result = invoke("commit", *args, "--tree", TREE)
    assert result.exit_code == 1
    assert head(root) == ""
    assert sorted(path.name for path in root.iterdir()) == [".git"]
