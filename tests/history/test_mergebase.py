"""Merge bases are git's: ``merge_bases`` equals ``git merge-base --all`` on random histories.

Histories are random DAGs (merges of any earlier commits, several roots, criss-crosses)
written in one ``git fast-import`` run; ``is_ancestor`` is checked against
``git merge-base --is-ancestor`` on the same pairs.
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

from gitworktree.history.mergebase import CommitGraph, is_ancestor, merge_bases


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, ...]]:
    """Commit ``i``'s parents, as indexes of earlier commits (none: a root)."""
    size = draw(st.integers(min_value=2, max_value=24))
    parents: list[tuple[int, ...]] = [()]
    for index in range(1, size):
        count = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3]) if index > 1 else st.just(1))
        chosen = draw(
            st.lists(st.integers(0, index - 1), min_size=count, max_size=count, unique=True)
        )
        parents.append(tuple(chosen))
    return parents


def _build(root: Path, parents: list[tuple[int, ...]]) -> list[ObjectID]:
    """Write the history with ``git fast-import``; return the commit ids, in order."""
    subprocess.run(["git", "init", "-q", "--bare", str(root)], check=True)
    script = []
    for index, chosen in enumerate(parents):
        script.append(f"commit refs/heads/c{index}\nmark :{index + 1}\n")
        # Dates increase: git's date-ordered walk is then exact, a trustworthy oracle.
        script.append(f"committer T <t@example.com> {1_700_000_000 + index} +0000\n")
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
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(parents=histories(), data=st.data())
def test_merge_bases_are_those_of_git_merge_base_all(
    parents: list[tuple[int, ...]], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "h.git"
        ids = _build(root, parents)
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


def test_a_criss_cross_has_both_bases(tmp_path: Path) -> None:
    # 0 <- 1, 0 <- 2; 3 = merge(1, 2), 4 = merge(2, 1): both 1 and 2 are best.
    ids = _build(tmp_path / "h.git", [(), (0,), (0,), (1, 2), (2, 1)])
    with Repo(str(tmp_path / "h.git")) as repo:
        assert merge_bases(repo.object_store, ids[3], ids[4], CommitGraph()) == sorted(
            [ids[1], ids[2]]
        )


def test_an_older_common_ancestor_is_not_a_base(tmp_path: Path) -> None:
    # The shape a shared branch makes: 2 merges 1 in; the newer common ancestor (1)
    # hides the older one (0) that both also reach.
    ids = _build(tmp_path / "h.git", [(), (0,), (0, 1), (1,), (2, 3)])
    with Repo(str(tmp_path / "h.git")) as repo:
        assert merge_bases(repo.object_store, ids[2], ids[3], CommitGraph()) == [ids[1]]


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
