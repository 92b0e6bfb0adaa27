"""A real StateGraph run end to end on GitSaver: restart, time travel, concurrent threads."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypedDict
from uuid import uuid4

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from gitworktree.langgraph import GitSaver
from tests.langgraph.conftest import Calls, build_graph, fsck, thread
from tests.oracle import git, git_lines

QUESTION = {"question": "tides", "notes": []}


def checkpoints_of_two_runs() -> int:
    """How many checkpoints two runs of the graph on one thread make (LangGraph's own saver)."""
    reference = InMemorySaver()
    graph = build_graph(reference, Calls())
    graph.invoke(QUESTION, thread("t"))
    graph.invoke(QUESTION, thread("t"))
    return len(list(reference.list(None)))


def test_a_run_interrupted_before_review_resumes_in_a_new_process(tmp_path: Path) -> None:
    calls = Calls()
    build_graph(GitSaver(tmp_path), calls, interrupt_before=["review"]).invoke(
        QUESTION, thread("t1")
    )
    assert "review" not in calls.counts
    resumed = build_graph(GitSaver(tmp_path), calls)  # a new saver: nothing held in memory
    state = resumed.invoke(None, thread("t1"))
    assert state["answer"] == "3 notes reviewed"
    assert calls.counts == {"plan": 1, "search": 1, "draft": 1, "review": 1}


def test_the_writes_of_a_step_that_failed_halfway_are_not_redone_on_resume(
    tmp_path: Path,
) -> None:
    calls = Calls(review_fails=True)
    graph = build_graph(GitSaver(tmp_path), calls)
    with pytest.raises(RuntimeError, match="reviewer crashed"):
        graph.invoke(QUESTION, thread("t1"))
    calls.review_fails = False
    state = build_graph(GitSaver(tmp_path), calls).invoke(None, thread("t1"))
    assert state["answer"] == "3 notes reviewed"
    assert calls.counts == {"plan": 1, "search": 1, "draft": 1, "review": 2}


def test_a_fork_from_an_earlier_checkpoint_runs_on_and_keeps_the_original_branch(
    tmp_path: Path,
) -> None:
    graph = build_graph(GitSaver(tmp_path), Calls())
    graph.invoke(QUESTION, thread("t1"))
    history = list(graph.get_state_history(thread("t1")))
    after_plan = next(snap for snap in history if set(snap.next) == {"draft", "search"})
    fork = graph.update_state(after_plan.config, {"notes": ["human: check the moon"]})
    state = graph.invoke(None, fork)
    assert "human: check the moon" in state["notes"]
    assert state["answer"] == "4 notes reviewed"
    reread = build_graph(GitSaver(tmp_path), Calls())
    ids = {
        snap.config["configurable"]["checkpoint_id"]
        for snap in reread.get_state_history(thread("t1"))
    }
    assert {snap.config["configurable"]["checkpoint_id"] for snap in history} < ids
    fsck(tmp_path)


def test_get_state_history_lists_the_checkpoints_newest_first_with_parents(
    tmp_path: Path,
) -> None:
    graph = build_graph(GitSaver(tmp_path), Calls())
    graph.invoke(QUESTION, thread("t1"))
    history = list(graph.get_state_history(thread("t1")))
    steps = [snap.metadata["step"] for snap in history]
    assert steps == sorted(steps, reverse=True) and steps[-1] == -1
    for newer, older in itertools.pairwise(history):
        assert newer.parent_config is not None
        assert (
            newer.parent_config["configurable"]["checkpoint_id"]
            == (older.config["configurable"]["checkpoint_id"])
        )


@pytest.mark.parametrize("savers", [1, 2], ids=["one-saver", "two-savers-same-repository"])
def test_concurrent_threads_each_keep_their_whole_history(tmp_path: Path, savers: int) -> None:
    instances = [GitSaver(tmp_path) for _ in range(savers)]

    def run(number: int) -> list[str]:
        graph = build_graph(instances[number % savers], Calls())
        graph.invoke({"question": f"q{number}", "notes": []}, thread(f"t{number}"))
        return graph.invoke({"question": f"q{number}", "notes": []}, thread(f"t{number}"))["notes"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))
    for number, notes in enumerate(results):
        assert notes[0] == f"plan: look up q{number}" and len(notes) == 6
    expected = checkpoints_of_two_runs()
    reader = GitSaver(tmp_path)
    for number in range(4):
        assert len(list(reader.list(thread(f"t{number}")))) == expected
    fsck(tmp_path)


def test_two_savers_writing_one_thread_both_land(tmp_path: Path) -> None:
    first, second = GitSaver(tmp_path), GitSaver(tmp_path)
    build_graph(first, Calls()).invoke(QUESTION, thread("t1"))
    build_graph(second, Calls()).invoke(QUESTION, thread("t1"))  # second's index is stale
    build_graph(first, Calls()).invoke(QUESTION, thread("t1"))
    reference = InMemorySaver()
    for _ in range(3):
        build_graph(reference, Calls()).invoke(QUESTION, thread("t1"))
    assert len(list(GitSaver(tmp_path).list(thread("t1")))) == len(list(reference.list(None)))
    fsck(tmp_path)


def test_the_work_tree_index_and_branch_are_left_alone(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD")
    status = git(project, "status", "--porcelain")
    build_graph(GitSaver(project), Calls()).invoke(QUESTION, thread("t1"))
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == status == " M README.md\n"
    assert git_lines(project, "for-each-ref", "--format=%(refname)") == [
        "refs/heads/main",
        "refs/langgraph/t1/root",
    ]
    fsck(project)


def test_moving_the_ref_back_with_git_update_ref_makes_that_checkpoint_the_latest(
    tmp_path: Path,
) -> None:
    graph = build_graph(GitSaver(tmp_path), Calls())
    graph.invoke(QUESTION, thread("t1"))
    ref = "refs/langgraph/t1/root"
    tip = git(tmp_path, "rev-parse", ref).strip()
    steps = git_lines(tmp_path, "log", "--first-parent", "--format=%H %s", ref)
    target = next(line.split()[0] for line in steps if " step 1 (loop)" in line)
    git(tmp_path, "update-ref", ref, target, tip)
    state = build_graph(GitSaver(tmp_path), Calls()).get_state(thread("t1"))
    assert state.metadata is not None and state.metadata["step"] == 1
    assert "answer" not in state.values
    git(tmp_path, "update-ref", ref, tip, target)  # undone with the old tip's id
    state = build_graph(GitSaver(tmp_path), Calls()).get_state(thread("t1"))
    assert state.values["answer"] == "3 notes reviewed"


class Number(TypedDict):
    x: int


def nested_graph(saver: GitSaver) -> Any:
    """A graph whose one node is a subgraph (double, then inc) that stops before inc."""
    inner = StateGraph(Number)
    inner.add_node("double", lambda state: {"x": state["x"] * 2})
    inner.add_node("inc", lambda state: {"x": state["x"] + 1})
    inner.add_edge(START, "double")
    inner.add_edge("double", "inc")
    inner.add_edge("inc", END)
    outer = StateGraph(Number)
    outer.add_node("sub", inner.compile(interrupt_before=["inc"]))
    outer.add_edge(START, "sub")
    outer.add_edge("sub", END)
    return outer.compile(checkpointer=saver)


def test_a_subgraph_interrupted_inside_resumes_from_its_own_namespace_ref(
    tmp_path: Path,
) -> None:
    nested_graph(GitSaver(tmp_path)).invoke({"x": 3}, thread("t1"))
    refs = git_lines(tmp_path, "for-each-ref", "--format=%(refname)")
    assert "refs/langgraph/t1/root" in refs
    assert any(ref.startswith("refs/langgraph/t1/ns/sub=3A") for ref in refs)
    assert nested_graph(GitSaver(tmp_path)).invoke(None, thread("t1")) == {"x": 7}
    fsck(tmp_path)


def test_after_git_gc_packs_everything_every_checkpoint_reads_back(tmp_path: Path) -> None:
    with GitSaver(tmp_path) as saver:
        graph = build_graph(saver, Calls())
        graph.invoke(QUESTION, thread("t1"))
        before = [snap.values for snap in graph.get_state_history(thread("t1"))]
    git(tmp_path, "gc", "-q", "--prune=now")
    assert not list((tmp_path / ".git" / "objects").glob("??/*"))  # nothing left loose
    with GitSaver(tmp_path) as saver:
        after = build_graph(saver, Calls())
        assert [snap.values for snap in after.get_state_history(thread("t1"))] == before
        assert after.invoke(QUESTION, thread("t1"))["answer"] == "6 notes reviewed"
    fsck(tmp_path)


def run_twice(root: Path) -> tuple[str, str]:
    """Two runs of the graph on thread t1, with known run ids."""
    graph = build_graph(GitSaver(root), Calls())
    first, second = str(uuid4()), str(uuid4())
    for run_id in (first, second):  # a configurable key LangGraph copies into the metadata
        graph.invoke(QUESTION, {"configurable": {"thread_id": "t1", "run_id": run_id}})
    return first, second


def snapshots(root: Path, run_id: str | None = None) -> dict[str, Any]:
    """checkpoint id -> (values, metadata) of thread t1, read by a new saver."""
    return {
        item.config["configurable"]["checkpoint_id"]: (
            item.checkpoint["channel_values"],
            item.metadata,
        )
        for item in GitSaver(root).list(thread("t1"))
        if run_id is None or item.metadata.get("run_id") == run_id
    }


@pytest.mark.parametrize("dropped", [0, 1], ids=["first-run", "second-run"])
def test_delete_for_runs_drops_one_runs_checkpoints_and_keeps_the_others_intact(
    tmp_path: Path, dropped: int
) -> None:
    runs = run_twice(tmp_path)
    kept = runs[1 - dropped]
    expected = snapshots(tmp_path, kept)
    GitSaver(tmp_path).delete_for_runs([runs[dropped]])
    assert snapshots(tmp_path) == expected
    subjects = git_lines(tmp_path, "log", "--first-parent", "--format=%s", "refs/langgraph/t1/root")
    assert len(subjects) == len(expected)
    fsck(tmp_path)


def test_delete_for_runs_of_the_last_run_keeps_the_earlier_commits_ids(tmp_path: Path) -> None:
    first, second = run_twice(tmp_path)
    saver = GitSaver(tmp_path)
    before = set(git_lines(tmp_path, "rev-list", "refs/langgraph/t1/root"))
    saver.delete_for_runs([second])
    after = set(git_lines(tmp_path, "rev-list", "refs/langgraph/t1/root"))
    assert after < before  # no commit rewritten: the first run's commits keep their ids
    assert {item.metadata["run_id"] for item in saver.list(thread("t1"))} == {first}
