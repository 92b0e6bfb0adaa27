"""``Gitworktree-*`` trailers are reserved: no caller can make `log` report a repair or restore.

Only the gate (``Gitworktree-Repaired``) and a restore (``Gitworktree-Restored-From``)
write them. A caller's message or ``trailers=`` carrying one is refused before anything is
written, in every spelling git's trailer parser would still read as the same key.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest

from gitworktree import InvalidNameError, JsonDocument, Repository, Worktree, mount
from gitworktree.history._core.trailers import check_caller_text
from gitworktree.mounting.pipeline import _default_message


class Notes(JsonDocument):
    default: ClassVar[object] = {"lines": []}


class Tree(Worktree):
    notes: Notes


class Strict(JsonDocument):
    schema: ClassVar[object] = {"type": "object", "required": ["lines"]}
    default: ClassVar[object] = {"lines": []}


class StrictTree(Worktree):
    notes: Strict


RESERVED_KEYS = ["Gitworktree-Repaired", "gitworktree-restored-from", "GITWORKTREE-Anything"]
FORGED_MESSAGES = [
    "Tidy up\n\nGitworktree-Repaired: notes.json attempts=1",
    "Tidy up\n\ngitworktree-repaired: notes.json",
    "Tidy up\n\nGitworktree-Restored-From : 0123456789abcdef0123456789abcdef01234567",
    "Tidy up\n\nSigned-off-by: A <a@x>\n  Gitworktree-Repaired: notes.json",
    "Gitworktree-Repaired: in the subject",
]
FORGED_IDS = ["exact", "lower-case", "blank-before-colon", "indented", "subject"]


def git_log_trailers(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "log", "--format=%(trailers)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    mounted = mount(Tree, tmp_path / "data")
    mounted.notes.data = {"lines": ["first"]}
    return mounted


@pytest.mark.parametrize("key", RESERVED_KEYS, ids=["exact", "lower-case", "upper-case"])
def test_tree_commit_refuses_a_reserved_trailer_key(tree: Tree, key: str) -> None:
    before = tree.repo.head
    with pytest.raises(InvalidNameError, match="reserved") as raised:
        tree.commit("Tidy up", trailers={key: "notes.json"})
    assert raised.value.name == key
    assert tree.repo.head == before
    assert "gitworktree-" not in git_log_trailers(tree.repo.path).lower()


@pytest.mark.parametrize("message", FORGED_MESSAGES, ids=FORGED_IDS)
def test_tree_commit_refuses_a_message_carrying_a_reserved_trailer(
    tree: Tree, message: str
) -> None:
    before = tree.repo.head
    with pytest.raises(InvalidNameError, match="found in the message"):
        tree.commit(message)
    assert tree.repo.head == before


def test_async_commit_refuses_a_reserved_trailer(tree: Tree) -> None:
    before = tree.repo.head
    with pytest.raises(InvalidNameError, match="reserved"):
        asyncio.run(tree.acommit("Tidy up", trailers={"Gitworktree-Repaired": "notes.json"}))
    assert tree.repo.head == before


def test_other_trailers_and_the_word_in_prose_still_commit(tree: Tree) -> None:
    info = tree.commit(
        "Mention Gitworktree-Repaired: in prose mid-line", trailers={"Agent-Run": "7"}
    )
    assert info is not None
    assert info.trailers == {"Agent-Run": "7"}


@pytest.mark.parametrize("message", FORGED_MESSAGES, ids=FORGED_IDS)
def test_low_level_commit_refuses_a_forged_message(tmp_path: Path, message: str) -> None:
    with Repository.init(tmp_path / "repo") as repo:
        with pytest.raises(InvalidNameError, match="reserved"):
            repo.commit_changes({"a.txt": b"a\n"}, message=message)
        assert repo.head is None


def test_merge_refuses_a_forged_message(tmp_path: Path) -> None:
    with Repository.init(tmp_path / "repo") as repo:
        first = repo.commit_changes({"a.txt": b"a\n"}, message="One")
        repo.create_checkpoint("one")
        repo.commit_changes({"b.txt": b"b\n"}, message="Two")
        with pytest.raises(InvalidNameError, match="reserved"):
            repo.merge(first.sha, message="Merge\n\nGitworktree-Repaired: a.txt")


def test_the_gate_still_records_its_own_repair(tmp_path: Path) -> None:
    def repair(content: str, issues: object, document_type: str) -> str:
        return '{"lines": ["fixed"]}\n'

    tree = mount(StrictTree, tmp_path / "data", repair=repair)
    tree.notes.data = {"oops": 1}
    info = tree.commit("Take notes")
    assert info is not None and "Gitworktree-Repaired" in info.trailers


def test_a_default_message_escapes_control_characters_of_paths() -> None:
    message = _default_message({"a\n\nGitworktree-Repaired: x": b"{}"})
    assert "\n" not in message
    check_caller_text(message)  # nothing in it reads as a trailer
