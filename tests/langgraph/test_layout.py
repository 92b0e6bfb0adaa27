"""What plain git sees: ref names, JSON files that diff, unchanged channels sharing blobs."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langgraph.checkpoint.base import empty_checkpoint

from gitworktree.errors import InvalidNameError, RepositoryError
from gitworktree.langgraph import GitSaver, _writer
from gitworktree.langgraph._channels import FANOUT_THRESHOLD
from gitworktree.langgraph._layout import (
    decode_name,
    encode_file_name,
    encode_name,
    is_plain_json,
    namespace_ref,
    parse_ref,
)
from tests.langgraph.conftest import Calls, build_graph, fsck, thread
from tests.oracle import git, git_lines

HOSTILE_NAMES = [
    "",
    ".",
    "..",
    "a/b",
    "../../etc",
    "x.lock",
    "@{-1}",
    "a\nb",
    "é☃",
    "HEAD",
    "~^:?*[",
]


@given(st.text(max_size=16), st.booleans())  # 16 code points: at most 192 bytes encoded
def test_every_name_encodes_reversibly(name: str, file: bool) -> None:
    assert decode_name(encode_name(name, file=file)) == name


def test_langgraphs_channel_names_stay_readable_as_file_names() -> None:
    assert encode_file_name("branch:to:plan") == "branch:to:plan"
    assert encode_name("branch:to:plan") == "branch=3Ato=3Aplan"  # ':' is refused in refs


def test_a_thread_id_too_long_for_a_ref_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    saver = GitSaver(tmp_path)
    with pytest.raises(InvalidNameError, match="shorter thread id"):
        put(saver, "x" * 300, {"a": 1})
    assert git(tmp_path, "for-each-ref") == ""
    assert git(tmp_path, "count-objects").startswith("0 objects")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_a_thread_ref_passes_git_check_ref_format(name: str) -> None:
    ref = namespace_ref(name, name)
    result = subprocess.run(["git", "check-ref-format", ref], check=False)
    assert result.returncode == 0, ref
    assert parse_ref(ref) == (name, name)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"a": [1, 2.5, None, True, "x"]}, True),
        ((1, 2), False),
        ({1: "int key"}, False),
        (float("nan"), False),
        (b"bytes", False),
    ],
    ids=["json-data", "tuple", "int-key", "nan", "bytes"],
)
def test_only_values_json_reads_back_identically_are_stored_as_json(
    value: Any, plain: bool
) -> None:
    assert is_plain_json(value) is plain


def put(saver: GitSaver, thread_id: str, values: dict[str, Any], parent: Any = None) -> Any:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = values
    checkpoint["channel_versions"] = {key: 1 for key in values}
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    changed = dict(checkpoint["channel_versions"])
    if parent is not None:
        config["configurable"]["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
        previous = saver.get_tuple(parent)
        assert previous is not None
        old = previous.checkpoint["channel_values"]
        changed = {key: 2 for key in values if old.get(key) != values[key]}
        checkpoint["channel_versions"] = {key: changed.get(key, 1) for key in values}
    return saver.put(config, checkpoint, {"source": "loop", "step": 1}, changed)


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_thread_and_channel_names_round_trip_and_pass_fsck(
    tmp_path: Path, name: str
) -> None:
    saver = GitSaver(tmp_path)
    stored = put(saver, name, {name: "value"})
    saver.put_writes(stored, [(name, "written")], task_id=name, task_path=name)
    loaded = GitSaver(tmp_path).get_tuple(thread(name))
    assert loaded is not None
    assert loaded.checkpoint["channel_values"] == {name: "value"}
    assert loaded.pending_writes == [(name, name, "written")]
    fsck(tmp_path)


def blobs(root: Path, tree: str) -> dict[str, str]:
    """path -> blob id of the files in ``tree``, as ``git ls-tree`` lists them."""
    entries = (line.split("\t", 1) for line in git_lines(root, "ls-tree", tree))
    return {path: info.split()[2] for info, path in entries}


def test_a_step_that_changes_one_channel_reuses_the_blobs_of_the_others(tmp_path: Path) -> None:
    saver = GitSaver(tmp_path)
    values = {f"key{i}": {"n": i} for i in range(50)}
    first = put(saver, "t", values)
    put(saver, "t", {**values, "key7": {"n": -7}}, parent=first)
    ref = namespace_ref("t", "")
    old, new = blobs(tmp_path, f"{ref}~1:channels"), blobs(tmp_path, f"{ref}:channels")
    assert old.keys() == new.keys()
    assert [path for path in old if old[path] != new[path]] == ["key7.json"]


def test_git_diff_between_two_steps_shows_the_changed_json_value(tmp_path: Path) -> None:
    saver = GitSaver(tmp_path)
    first = put(saver, "t", {"todo": ["write"], "done": []})
    put(saver, "t", {"todo": [], "done": ["write"]}, parent=first)
    ref = namespace_ref("t", "")
    diff = git(tmp_path, "diff", f"{ref}~1", ref, "--", "channels")
    assert '-  "write"' in diff and '+  "write"' in diff
    assert git_lines(tmp_path, "diff", "--name-only", f"{ref}~1", ref, "--", "channels") == [
        "channels/done.json",
        "channels/todo.json",
    ]


def test_a_value_that_is_not_json_is_stored_as_the_serializers_bytes(tmp_path: Path) -> None:
    saver = GitSaver(tmp_path)
    put(saver, "t", {"when": datetime(2026, 1, 2, tzinfo=UTC)})
    names = git_lines(tmp_path, "ls-tree", "--name-only", f"{namespace_ref('t', '')}:channels")
    assert names == ["when.msgpack.bin"]
    loaded = saver.get_tuple(thread("t"))
    assert loaded is not None
    assert loaded.checkpoint["channel_values"] == {"when": datetime(2026, 1, 2, tzinfo=UTC)}


def test_a_checkpoint_commit_edited_by_hand_into_nonsense_is_a_repository_error(
    tmp_path: Path,
) -> None:
    build_graph(GitSaver(tmp_path), Calls()).invoke({"question": "q", "notes": []}, thread("t"))
    ref = namespace_ref("t", "")
    (tmp_path / "bad.json").write_text("{not json")
    blob = git(tmp_path, "hash-object", "-w", "bad.json").strip()
    tree = subprocess.run(
        ["git", "-C", str(tmp_path), "mktree"],
        input=f"100644 blob {blob}\tcheckpoint.json\n100644 blob {blob}\tmetadata.json\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    parent = git(tmp_path, "rev-parse", ref).strip()
    message = "edited\n\nLanggraph-Kind: checkpoint\nLanggraph-Checkpoint: zzz\nLanggraph-Seq: 99\n"
    forged = git(tmp_path, "commit-tree", tree, "-p", parent, "-m", message).strip()
    git(tmp_path, "update-ref", ref, forged, parent)
    with pytest.raises(RepositoryError, match=r"checkpoint zzz \(commit"):
        GitSaver(tmp_path).get_tuple(thread("t"))


#: The fan-out line, lowered for these tests (1,024 in use): the layouts are the same,
#: and a test writes a hundred files instead of thousands.
SMALL_FANOUT = 16


@pytest.fixture
def small_fanout(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_writer, "FANOUT_THRESHOLD", SMALL_FANOUT)
    return SMALL_FANOUT


def test_the_fanout_line_in_use_is_1024_channels() -> None:
    assert _writer.FANOUT_THRESHOLD == FANOUT_THRESHOLD == 1024


@pytest.mark.parametrize(
    "sizes",
    [(10, 100), (100, 10)],
    ids=["flat-to-fanned-out", "fanned-out-to-flat"],
)
def test_a_state_crossing_the_fanout_line_changes_layout_and_reads_back(
    tmp_path: Path, sizes: tuple[int, int], small_fanout: int
) -> None:
    saver = GitSaver(tmp_path)
    before = {f"key{i}": i for i in range(sizes[0])}
    after = {f"key{i}": -i for i in range(sizes[1])}
    first = put(saver, "t", before)
    put(saver, "t", after, parent=first)
    ref = namespace_ref("t", "")
    loaded = GitSaver(tmp_path).get_tuple(thread("t"))
    assert loaded is not None and loaded.checkpoint["channel_values"] == after
    files = git_lines(tmp_path, "ls-tree", "-r", "--name-only", f"{ref}:channels")
    assert len(files) == sizes[1]
    fanned = all(path.count("/") == 1 for path in files)
    assert fanned is (sizes[1] > small_fanout)
    fsck(tmp_path)


def test_a_step_in_a_fanned_out_state_rewrites_one_folder_and_the_top(
    tmp_path: Path, small_fanout: int
) -> None:
    saver = GitSaver(tmp_path)
    values = {f"key{i}": i for i in range(100)}
    first = put(saver, "t", values)
    put(saver, "t", {**values, "key7": -7}, parent=first)
    ref = namespace_ref("t", "")
    old, new = blobs(tmp_path, f"{ref}~1:channels"), blobs(tmp_path, f"{ref}:channels")
    changed = [folder for folder in old if old[folder] != new[folder]]
    assert old.keys() == new.keys() and len(old) > 1 and len(changed) == 1
    assert (
        git_lines(tmp_path, "ls-tree", "--name-only", f"{ref}:channels/{changed[0]}").count(
            "key7.json"
        )
        == 1
    )


def checkpoint_ids_on_first_parents(root: Path, ref: str) -> list[str]:
    lines = git_lines(
        root,
        "log",
        "--first-parent",
        "--format=%(trailers:key=Langgraph-Checkpoint,valueonly)",
        ref,
    )
    return [decode_name(line) for line in lines]


def test_writes_stored_after_a_newer_checkpoint_keep_it_on_the_first_parent_line(
    tmp_path: Path,
) -> None:
    saver = GitSaver(tmp_path)
    first = put(saver, "t", {"a": 1})
    second = put(saver, "t", {"a": 2}, parent=first)
    saver.put_writes(first, [("a", 3)], task_id="late")  # LangGraph's async durability
    ref = namespace_ref("t", "")
    newest = second["configurable"]["checkpoint_id"]
    assert newest in checkpoint_ids_on_first_parents(tmp_path, ref)
    assert git_lines(tmp_path, "log", "--format=%s", ref, "--", "channels/a.json") == [
        "step 1 (loop): a",
        "step 1 (loop): a",
    ]
    loaded = saver.get_tuple(first)
    assert loaded is not None and loaded.pending_writes == [("late", "a", 3)]
    latest = saver.get_tuple(thread("t"))
    assert latest is not None and latest.checkpoint["channel_values"] == {"a": 2}


def test_delete_for_runs_leaves_no_value_of_the_deleted_run_reachable(tmp_path: Path) -> None:
    saver = GitSaver(tmp_path)
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": "", "run_id": "secret-run"}}
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"token": "s3cr3t-value"}
    checkpoint["channel_versions"] = {"token": 1}
    secret = saver.put(config, checkpoint, {"source": "input", "step": -1}, {"token": 1})
    saver.put_writes(secret, [("token", "s3cr3t-write")], task_id="t1")
    follow = empty_checkpoint()
    follow["channel_values"] = {"token": "public"}
    follow["channel_versions"] = {"token": 2}
    early = {"configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": follow["id"]}}
    # Its writes land first (async durability), on a tip that holds the secret run's files.
    saver.put_writes(early, [("token", "public-write")], task_id="t2")
    kept = {"configurable": {**secret["configurable"], "run_id": "kept-run"}}
    saver.put(kept, follow, {"source": "loop", "step": 0}, {"token": 2})
    saver.delete_for_runs(["secret-run"])
    ref = namespace_ref("t", "")
    reachable = [line.split()[0] for line in git_lines(tmp_path, "rev-list", "--objects", ref)]
    contents = {git(tmp_path, "cat-file", "-p", sha) for sha in reachable}
    assert not any("s3cr3t" in text for text in contents)
    (only,) = saver.list(thread("t"))
    assert only.metadata["run_id"] == "kept-run"
    assert only.pending_writes == [("t2", "token", "public-write")]
    fsck(tmp_path)


def test_after_delete_for_runs_first_parent_log_lists_the_kept_checkpoints_when_writes_came_late(
    tmp_path: Path,
) -> None:
    # With async durability the writes of a step can land after the next checkpoint, so
    # the ref's tip is a writes commit when the next run starts. Dropping that next run
    # must leave a checkpoint, not a writes commit, at the tip: `git log --first-parent`
    # follows the kept checkpoints' lineage and nothing else.
    saver = GitSaver(tmp_path)

    def put(parent: Any, step: int, run_id: str) -> Any:
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"n": step}
        checkpoint["channel_versions"] = {"n": step + 2}
        config = {"configurable": {**parent["configurable"], "run_id": run_id}}
        return saver.put(config, checkpoint, {"source": "loop", "step": step}, {"n": step + 2})

    root = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    first = put(root, -1, "kept")
    second = put(first, 0, "kept")
    saver.put_writes(first, [("n", "late")], task_id="late-task")  # after `second`
    put(second, 1, "dropped")
    saver.delete_for_runs(["dropped"])
    subjects = git_lines(tmp_path, "log", "--first-parent", "--format=%s", namespace_ref("t", ""))
    assert [subject.split(" (")[0] for subject in subjects] == ["step 0", "step -1"]
    assert [item.metadata["step"] for item in saver.list(thread("t"))] == [0, -1]
    assert saver.get_tuple(first).pending_writes == [("late-task", "n", "late")]
    fsck(tmp_path)
