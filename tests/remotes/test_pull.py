"""Pull and merge on a Repository: fast-forward, or a three-way merge by artifact and field."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from gitworktree import CommitRejectedError, ConflictError, Repository, ValidationIssue
from tests.oracle import git, git_lines

PLAN = {"title": "plan", "owner": "nobody", "steps": ["a"]}


def doc(value: object) -> bytes:
    return (json.dumps(value, indent=2) + "\n").encode()


@pytest.fixture
def pair(tmp_path: Path, hub: Path) -> Iterator[tuple[Repository, Repository]]:
    """Two clones of a hub holding ``plan.json`` and ``notes.txt``: ours, and theirs."""
    with Repository.clone(str(hub), tmp_path / "ours") as ours:
        ours.commit_changes({"plan.json": doc(PLAN), "notes.txt": b"base\n"}, message="Seed")
        ours.push()
        with Repository.clone(str(hub), tmp_path / "theirs") as theirs:
            yield ours, theirs


def publish(repo: Repository, files: Mapping[str, bytes | None], message: str = "x") -> str:
    info = repo.commit_changes(files, message=message)
    repo.push()
    return info.sha


def snapshot(repo: Repository) -> tuple[str | None, str, str]:
    """Branch tip, work tree status and index, as git sees them."""
    return repo.head, git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s")


def test_pull_fast_forwards_when_only_they_moved(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    sha = publish(theirs, {"plan.json": doc({**PLAN, "title": "new"})})
    info = ours.pull()
    assert info is not None and info.sha == sha
    assert json.loads((ours.path / "plan.json").read_bytes())["title"] == "new"
    assert git(ours, "status", "--porcelain") == ""
    assert "merge origin/main: Fast-forward" in git(ours, "reflog", "-1", "--format=%gs")


def test_pull_with_nothing_new_returns_none(pair: tuple[Repository, Repository]) -> None:
    ours, _theirs = pair
    assert ours.pull() is None


def test_pull_from_an_empty_hub_returns_none(hub: Path, tmp_path: Path) -> None:
    with Repository.clone(str(hub), tmp_path / "clone") as repo:
        assert repo.pull() is None


def test_different_fields_of_one_document_merge(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "owner": "ours"})}, message="Own it")
    info = ours.pull()
    assert info is not None and len(info.parents) == 2
    assert info.message == "Merge origin/main into main"
    merged = json.loads((ours.path / "plan.json").read_bytes())
    assert merged == {**PLAN, "title": "theirs", "owner": "ours"}
    assert git(ours, "status", "--porcelain") == ""
    assert git(ours, "fsck") == ""
    assert git_lines(ours, "log", "--merges", "--format=%s") == ["Merge origin/main into main"]


def test_different_artifacts_merge(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    publish(theirs, {"tasks/t2.json": doc({"title": "two"}), "notes.txt": None})
    ours.commit_changes({"tasks/t1.json": doc({"title": "one"})}, message="t1")
    ours.pull()
    assert sorted(p.name for p in (ours.path / "tasks").iterdir()) == ["t1.json", "t2.json"]
    assert not (ours.path / "notes.txt").exists()
    assert git(ours, "status", "--porcelain") == ""


def test_the_same_field_changed_differently_is_a_conflict_and_nothing_changes(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs", "owner": "them"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "title": "ours"})}, message="Mine")
    before = snapshot(ours)
    with pytest.raises(ConflictError, match="1 conflict") as caught:
        ours.pull()
    (conflict,) = caught.value.conflicts
    assert (conflict.path, conflict.pointer) == ("plan.json", "/title")
    assert (conflict.base, conflict.ours, conflict.theirs) == ("plan", "ours", "theirs")
    assert caught.value.paths == ("plan.json",)
    assert snapshot(ours) == before
    assert json.loads((ours.path / "plan.json").read_bytes())["title"] == "ours"


def test_text_changed_on_both_sides_is_one_whole_file_conflict(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"notes.txt": b"base\ntheirs\n"})
    ours.commit_changes({"notes.txt": b"ours\nbase\n"}, message="Mine")
    with pytest.raises(ConflictError) as caught:
        ours.pull()
    (conflict,) = caught.value.conflicts
    assert conflict.pointer is None
    assert (conflict.base, conflict.ours, conflict.theirs) == (
        "base\n",
        "ours\nbase\n",
        "base\ntheirs\n",
    )


def test_deleted_on_one_side_and_changed_on_the_other_is_a_conflict(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": None})
    ours.commit_changes({"plan.json": doc({**PLAN, "title": "ours"})}, message="Mine")
    with pytest.raises(ConflictError) as caught:
        ours.pull()
    assert [c.reason for c in caught.value.conflicts] == ["changed on ours, removed on theirs"]


@pytest.mark.parametrize(("prefer", "title"), [("ours", "ours"), ("theirs", "theirs")])
def test_prefer_keeps_one_side_at_every_conflict(
    pair: tuple[Repository, Repository], prefer: str, title: str
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs", "owner": "them"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "title": "ours"})}, message="Mine")
    ours.pull(prefer=prefer)  # type: ignore[arg-type]
    merged = json.loads((ours.path / "plan.json").read_bytes())
    assert merged == {**PLAN, "title": title, "owner": "them"}


def test_a_gate_that_refuses_leaves_everything_as_it_was(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "owner": "ours"})}, message="Mine")
    before = snapshot(ours)
    seen: list[dict[str, bytes]] = []

    def refuse(files: Mapping[str, bytes]) -> Mapping[str, bytes]:
        seen.append(dict(files))
        raise CommitRejectedError({"plan.json": [ValidationIssue("no", source="model")]})

    with pytest.raises(CommitRejectedError):
        ours.pull(gate=refuse)
    assert list(seen[0]) == ["plan.json"]
    assert snapshot(ours) == before
    assert git_lines(ours, "cat-file", "--batch-all-objects", "--batch-check")  # readable store


def test_what_the_gate_repairs_lands_in_the_merge_commit(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "owner": "ours"})}, message="Mine")

    def shout(files: Mapping[str, bytes]) -> Mapping[str, bytes]:
        return {path: data.upper() for path, data in files.items()}

    info = ours.pull(gate=shout)
    assert info is not None and info.trailers == {"Gitworktree-Repaired": "plan.json"}
    assert b'"THEIRS"' in (ours.path / "plan.json").read_bytes()
    assert git(ours, "status", "--porcelain") == ""


def test_a_repaired_fast_forward_adds_a_commit_on_top_of_theirs(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    sha = publish(theirs, {"notes.txt": b"theirs\n"})

    def shout(files: Mapping[str, bytes]) -> Mapping[str, bytes]:
        return {path: data.upper() for path, data in files.items()}

    info = ours.pull(gate=shout)
    assert info is not None and info.parents == (sha,)
    assert info.trailers == {"Gitworktree-Repaired": "notes.txt"}
    assert (ours.path / "notes.txt").read_bytes() == b"THEIRS\n"


def test_uncommitted_edits_in_the_way_are_never_overwritten(
    pair: tuple[Repository, Repository],
) -> None:
    ours, theirs = pair
    publish(theirs, {"notes.txt": b"theirs\n"})
    (ours.path / "notes.txt").write_bytes(b"my unsaved work\n")
    head = ours.head
    with pytest.raises(ConflictError, match="uncommitted changes would be overwritten"):
        ours.pull()
    assert ours.head == head
    assert (ours.path / "notes.txt").read_bytes() == b"my unsaved work\n"


def test_histories_without_a_common_commit_merge_artifact_by_artifact(
    hub: Path, tmp_path: Path
) -> None:
    with (
        Repository.clone(str(hub), tmp_path / "a") as first,
        Repository.clone(str(hub), tmp_path / "b") as second,
    ):
        publish(first, {"plan.json": doc(PLAN), "a.json": doc({})})
        second.commit_changes({"plan.json": doc(PLAN), "b.json": doc({})}, message="Own start")
        info = second.pull()
        assert info is not None and len(info.parents) == 2
        assert sorted(p.name for p in second.path.glob("*.json")) == [
            "a.json",
            "b.json",
            "plan.json",
        ]


def test_merge_takes_any_revision(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": doc({**PLAN, "title": "theirs"})})
    ours.commit_changes({"plan.json": doc({**PLAN, "owner": "ours"})}, message="Mine")
    ours.fetch()
    info = ours.merge("origin/main", message="Take the planner's title", author="Bot <b@x>")
    assert info is not None and info.message == "Take the planner's title"
    assert info.author == "Bot <b@x>"
    assert json.loads((ours.path / "plan.json").read_bytes())["title"] == "theirs"


def test_a_merged_result_then_pushes_as_a_fast_forward(
    pair: tuple[Repository, Repository], hub: Path
) -> None:
    ours, theirs = pair
    publish(theirs, {"tasks/t2.json": doc({"title": "two"})})
    ours.commit_changes({"tasks/t1.json": doc({"title": "one"})}, message="t1")
    ours.pull()
    ours.push()
    assert git(hub, "rev-parse", "main").strip() == ours.head
    assert theirs.pull() is not None and theirs.head == ours.head


@pytest.mark.parametrize(
    ("mine", "other", "expected"),
    [
        (b"{not json", b"{also not", ("{not json", "{also not")),
        (b"\xff\xfe ours", b"\xff\xfe theirs", (b"\xff\xfe ours", b"\xff\xfe theirs")),
    ],
    ids=["unparsable-json", "binary"],
)
def test_content_that_cannot_be_merged_by_field_conflicts_whole(
    pair: tuple[Repository, Repository], mine: bytes, other: bytes, expected: tuple[object, object]
) -> None:
    ours, theirs = pair
    publish(theirs, {"plan.json": other})
    ours.commit_changes({"plan.json": mine}, message="Mine")
    with pytest.raises(ConflictError) as caught:
        ours.pull()
    (conflict,) = caught.value.conflicts
    assert conflict.pointer is None
    assert (conflict.ours, conflict.theirs) == expected


def test_prefer_theirs_takes_their_whole_text_file(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    publish(theirs, {"notes.txt": b"theirs\n"})
    ours.commit_changes({"notes.txt": b"ours\n"}, message="Mine")
    ours.pull(prefer="theirs")
    assert (ours.path / "notes.txt").read_bytes() == b"theirs\n"


def test_prefer_must_name_a_side(pair: tuple[Repository, Repository]) -> None:
    ours, _theirs = pair
    with pytest.raises(ValueError, match="prefer"):
        ours.merge("HEAD", prefer="mine")  # type: ignore[arg-type]


def test_progress_receives_the_remote_messages(pair: tuple[Repository, Repository]) -> None:
    ours, theirs = pair
    publish(theirs, {"notes.txt": b"theirs\n"})
    pushed: list[str] = []
    fetched: list[str] = []
    ours.commit_changes({"a.json": b"{}\n"}, message="a")
    ours.pull(progress=fetched.append)
    ours.push(progress=pushed.append)
    assert any("objects" in message for message in fetched)
    assert any("counting objects" in message for message in pushed)
