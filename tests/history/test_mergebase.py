"""Merge bases are git's: ``merge_bases`` equals ``git merge-base --all`` on random histories.

Histories are random DAGs (merges of any earlier commits, several roots, criss-crosses)
written in one ``git fast-import`` run, with commit dates that tie and go backwards as
agents' clocks do (dulwich's date-ordered walk then returned an older common ancestor
beside the best one; git, given a commit-graph, orders by generation and is exact).
``is_ancestor`` is checked against ``git merge-base --is-ancestor`` on the same pairs, and
the commits a push sends against ``git rev-list A`` less ``git rev-list B``.
"""

from __future__ import annotations

import itertools
import subprocess
import tempfile
from pathlib import Path

from dulwich.objects import ObjectID
from dulwich.repo import Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree.history._objects.mergebase import CommitGraph, is_ancestor, merge_bases
from gitworktree.history._objects.objectwalk import commits_to_send


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, ...]]:
    """Commit ``i``'s parents, as indexes of earlier commits (none: a root)."""
    size = draw(st.integers(min_value=2, max_value=24))
    parents: list[tuple[int, ...]] = [()]
    for index in range(1, size):
        count = min(index, draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3])))
        chosen = draw(
            st.lists(st.integers(0, index - 1), min_size=count, max_size=count, unique=True)
        )
        parents.append(tuple(chosen))
    return parents


def _build(
    root: Path, parents: list[tuple[int, ...]], dates: list[int] | None = None
) -> list[ObjectID]:
    """Write the history with ``git fast-import``; return the commit ids, in order.

    ``dates``: each commit's date in seconds after an epoch (default: increasing).
    """
    subprocess.run(["git", "init", "-q", "--bare", str(root)], check=True)
    script = []
    for index, chosen in enumerate(parents):
        script.append(f"commit refs/heads/c{index}\nmark :{index + 1}\n")
        date = 1_700_000_000 + (index if dates is None else dates[index])
        script.append(f"committer T <t@example.com> {date} +0000\n")
        script.append(f"data {len(str(index))}\n{index}\n")
        if chosen:
            script.append(f"from :{chosen[0] + 1}\n")
            script.extend(f"merge :{other + 1}\n" for other in chosen[1:])
        else:
            script.append("deleteall\n")
        script.append(f"M 644 inline f\ndata {len(str(index))}\n{index}\n\n")
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"],
        input="".join(script).encode(),
        check=True,
    )
    # Generation numbers for git too: its walk is then exact whatever the dates say.
    subprocess.run(["git", "-C", str(root), "commit-graph", "write", "--reachable"], check=True)
    listed = subprocess.run(
        ["git", "-C", str(root), "for-each-ref", "--format=%(refname:short) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    by_name = dict(line.split() for line in listed if line)
    return [ObjectID(by_name[f"c{index}"].encode()) for index in range(len(parents))]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(parents=histories(), data=st.data())
def test_merge_bases_are_those_of_git_merge_base_all(
    parents: list[tuple[int, ...]], data: st.DataObject
) -> None:
    dates = data.draw(st.lists(st.integers(0, 3), min_size=len(parents), max_size=len(parents)))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "h.git"
        ids = _build(root, parents, dates)
        pairs = list(itertools.combinations(range(len(ids)), 2))
        chosen = data.draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=4))
        graph = CommitGraph()  # fresh: nothing remembered from another example
        with Repo(str(root)) as repo:
            for a, b in chosen:
                expected = sorted(_git(root, "merge-base", "--all", ids[a], ids[b]).stdout.split())
                ours = merge_bases(repo.object_store, ids[a], ids[b], graph)
                assert [sha.decode() for sha in ours] == expected, (a, b, parents)
                git_says = _git(root, "merge-base", "--is-ancestor", ids[a], ids[b]).returncode
                assert is_ancestor(repo.object_store, ids[a], ids[b], graph) == (git_says == 0)
                # What a push of a to a host at b sends: a's history less b's. (Not
                # `git rev-list a --not b`: its date-ordered walk stops early when dates
                # go backwards, and then lists commits b does have.)
                history_a = set(_git(root, "rev-list", ids[a]).stdout.split())
                to_send = history_a - set(_git(root, "rev-list", ids[b]).stdout.split())
                sent = commits_to_send(repo.object_store, [ids[a]], [ids[b]], graph)
                assert sorted(sha.decode() for sha in sent) == sorted(to_send)


def test_a_criss_cross_has_both_bases(tmp_path: Path) -> None:
    # 0 <- 1, 0 <- 2; 3 = merge(1, 2), 4 = merge(2, 1): both 1 and 2 are best.
    ids = _build(tmp_path / "h.git", [(), (0,), (0,), (1, 2), (2, 1)])
    with Repo(str(tmp_path / "h.git")) as repo:
        assert merge_bases(repo.object_store, ids[3], ids[4], CommitGraph()) == sorted(
            [ids[1], ids[2]]
        )


def test_an_older_common_ancestor_is_not_a_base_whatever_the_dates(tmp_path: Path) -> None:
    # A history dulwich's find_merge_base answered with [5, 1] (1 is an ancestor of 5):
    # its commits were made within the same few seconds, as agents' commits are.
    parents = [(), (0,), (0, 1), (2, 0), (2, 3), (4, 3), (3,), (5,), (6, 5), (5,), (1, 7)]
    dates = [(index * 7919) % 5 for index in range(len(parents))]
    ids = _build(tmp_path / "h.git", parents, dates)
    with Repo(str(tmp_path / "h.git")) as repo:
        assert merge_bases(repo.object_store, ids[5], ids[10], CommitGraph()) == [ids[5]]
        assert merge_bases(repo.object_store, ids[8], ids[10], CommitGraph()) == [ids[5]]


def test_generations_are_remembered_between_calls(tmp_path: Path) -> None:
    ids = _build(tmp_path / "h.git", [(), *((i,) for i in range(40))])
    graph = CommitGraph()
    with Repo(str(tmp_path / "h.git")) as repo:
        assert graph.generation(repo.object_store, ids[-1]) == 41

        class _Counting:
            reads = 0

            def __getitem__(self, sha: ObjectID) -> object:
                _Counting.reads += 1
                return repo.object_store[sha]

        store: object = _Counting()
        assert merge_bases(store, ids[-1], ids[-3], graph) == [ids[-3]]  # type: ignore[arg-type]
        assert _Counting.reads == 0
