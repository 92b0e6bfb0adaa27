"""Three-way merge of JSON values by JSON Pointer: disjoint edits merge, overlaps conflict."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitworktree import MergeConflict
from gitworktree.history._json.jsonmerge import ABSENT, json_equal, merge_json

BASE = {"title": "plan", "owner": "nobody", "steps": ["a", "b"], "meta": {"x": 1, "y": 2}}

CLEAN = [
    ({**BASE, "title": "A"}, {**BASE, "owner": "B"}, {**BASE, "title": "A", "owner": "B"}),
    (
        {**BASE, "meta": {"x": 10, "y": 2}},
        {**BASE, "meta": {"x": 1, "y": 20}},
        {**BASE, "meta": {"x": 10, "y": 20}},
    ),
    ({**BASE, "steps": ["A", "b"]}, {**BASE, "steps": ["a", "B"]}, {**BASE, "steps": ["A", "B"]}),
    ({**BASE, "new": 1}, {**BASE, "other": 2}, {**BASE, "new": 1, "other": 2}),
    ({k: v for k, v in BASE.items() if k != "owner"}, {**BASE, "title": "B"}, None),
    ({**BASE, "title": "same"}, {**BASE, "title": "same"}, {**BASE, "title": "same"}),
]
CLEAN_IDS = [
    "different-fields",
    "different-nested-fields",
    "different-array-elements",
    "different-new-keys",
    "removed-vs-changed-elsewhere",
    "same-change-on-both-sides",
]


@pytest.mark.parametrize(("ours", "theirs", "expected"), CLEAN, ids=CLEAN_IDS)
def test_disjoint_edits_merge_cleanly(ours: Any, theirs: Any, expected: Any) -> None:
    if expected is None:
        expected = {k: v for k, v in BASE.items() if k != "owner"} | {"title": "B"}
    result = merge_json(BASE, ours, theirs)
    assert result.conflicts == ()
    assert json_equal(result.value, expected)


CONFLICTS = [
    ({**BASE, "title": "A"}, {**BASE, "title": "B"}, "/title", "changed on both sides"),
    (
        {**BASE, "meta": {"x": 3, "y": 2}},
        {**BASE, "meta": {"x": 4, "y": 2}},
        "/meta/x",
        "changed on both sides",
    ),
    (
        {**BASE, "steps": ["a", "b", "c"]},
        {**BASE, "steps": ["a", "b", "d"]},
        "/steps",
        "both sides inserted different elements at index 2",
    ),
    (
        {**BASE, "steps": ["b"]},
        {**BASE, "steps": ["A", "b"]},
        "/steps",
        "element 0 removed on ours, changed on theirs",
    ),
    (
        {**BASE, "steps": ["A", "x", "b"]},
        {**BASE, "steps": ["B", "b"]},
        "/steps",
        "element 0 changed on both sides differently (elements added or removed)",
    ),
    (
        {k: v for k, v in BASE.items() if k != "title"},
        {**BASE, "title": "B"},
        "/title",
        "removed on ours, changed on theirs",
    ),
    ({**BASE, "n": 1}, {**BASE, "n": 2}, "/n", "added on both sides with different values"),
]
CONFLICT_IDS = [
    "same-field",
    "same-nested-field",
    "both-appended",
    "element-removed-vs-changed",
    "element-changed-and-inserted-beside-vs-changed",
    "removed-vs-changed",
    "added",
]


@pytest.mark.parametrize(("ours", "theirs", "pointer", "reason"), CONFLICTS, ids=CONFLICT_IDS)
def test_overlapping_edits_are_conflicts_at_their_pointer(
    ours: Any, theirs: Any, pointer: str, reason: str
) -> None:
    result = merge_json(BASE, ours, theirs)
    assert [(c.pointer, c.reason) for c in result.conflicts] == [(pointer, reason)]


STEPS = ["a", "b", "c"]
SEQUENCE_MERGES = [
    (["a", "b", "c", "d"], ["A", "b", "c"], ["A", "b", "c", "d"]),
    (["b", "c"], ["a", "b", "C"], ["b", "C"]),
    (["n", "a", "b", "c"], ["a", "B", "c"], ["n", "a", "B", "c"]),
    (["a", "b", "c", "d"], ["n", "a", "b", "c"], ["n", "a", "b", "c", "d"]),
    (["a", "c"], ["a", "b", "c", "d"], ["a", "c", "d"]),
    (["a", "b"], ["b", "c"], ["b"]),
]
SEQUENCE_IDS = [
    "append-vs-edit-first",
    "remove-first-vs-edit-third",
    "insert-at-0-vs-edit-second",
    "append-vs-insert-at-0",
    "remove-vs-append",
    "remove-last-vs-remove-first",
]


@pytest.mark.parametrize(("ours", "theirs", "expected"), SEQUENCE_MERGES, ids=SEQUENCE_IDS)
def test_arrays_merge_as_sequences_where_the_sides_touched_different_elements(
    ours: list[Any], theirs: list[Any], expected: list[Any]
) -> None:
    for mine, other in ((ours, theirs), (theirs, ours)):
        result = merge_json({"steps": STEPS}, {"steps": mine}, {"steps": other})
        assert result.conflicts == ()
        assert json_equal(result.value, {"steps": expected})


def test_an_object_edited_in_an_array_merges_with_a_removal_elsewhere() -> None:
    task, done = {"t": "a", "done": False}, {"t": "a", "done": True}
    result = merge_json([task, "b", "c"], [done, "b", "c"], [task, "b"])
    assert result.conflicts == ()
    assert result.value == [done, "b"]


def test_a_conflicting_stretch_of_an_array_carries_only_that_stretch() -> None:
    base = {"steps": ["a", "b", "c"]}
    result = merge_json(base, {"steps": ["A", "b", "c", "x"]}, {"steps": ["a", "b", "c", "y"]})
    (conflict,) = result.conflicts
    assert (conflict.base, conflict.ours, conflict.theirs) == ([], ["x"], ["y"])
    assert result.value == {"steps": ["A", "b", "c", "x"]}


def test_a_conflict_carries_base_ours_and_theirs() -> None:
    (conflict,) = merge_json(BASE, {**BASE, "title": "A"}, {**BASE, "title": "B"}).conflicts
    assert (conflict.base, conflict.ours, conflict.theirs) == ("plan", "A", "B")


def test_keys_with_slash_and_tilde_are_escaped_in_pointers() -> None:
    base = {"a/b": 0, "c~d": 0}
    result = merge_json(base, {"a/b": 1, "c~d": 1}, {"a/b": 2, "c~d": 2})
    assert [c.pointer for c in result.conflicts] == ["/a~1b", "/c~0d"]


@pytest.mark.parametrize(
    ("prefer", "title"), [("ours", "A"), ("theirs", "B")], ids=["ours", "theirs"]
)
def test_prefer_resolves_conflicts_with_one_side(prefer: Any, title: str) -> None:
    ours = {**BASE, "title": "A", "owner": "me"}
    theirs = {**BASE, "title": "B", "steps": ["x"]}
    result = merge_json(BASE, ours, theirs, prefer=prefer)
    assert result.conflicts == ()
    assert result.value == {**BASE, "title": title, "owner": "me", "steps": ["x"]}


def test_merged_keys_keep_our_order_then_theirs() -> None:
    result = merge_json({"b": 1}, {"z": 1, "b": 1}, {"b": 1, "a": 1})
    assert list(result.value) == ["z", "b", "a"]


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [(1, 1.0, True), (True, 1, False), ({}, [], False), (None, ABSENT, False), ([1], [1.0], True)],
    ids=["int-float", "bool-int", "object-array", "null-absent", "nested-numbers"],
)
def test_json_equality_follows_json_not_python(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("xyz", max_size=1), inner),
    max_leaves=8,
)


@given(JSON, JSON)
def test_a_side_that_did_not_change_takes_the_other_side(base: Any, changed: Any) -> None:
    assert json_equal(merge_json(base, base, changed).value, changed)
    assert json_equal(merge_json(base, changed, base).value, changed)


@given(JSON, JSON, JSON)
def test_a_clean_merge_does_not_depend_on_which_side_is_ours(
    base: Any, ours: Any, theirs: Any
) -> None:
    forward, backward = merge_json(base, ours, theirs), merge_json(base, theirs, ours)
    assert bool(forward.conflicts) == bool(backward.conflicts)
    if not forward.conflicts:
        assert json_equal(forward.value, backward.value)


@given(JSON, JSON, JSON)
def test_every_conflict_is_resolved_by_preferring_a_side(base: Any, ours: Any, theirs: Any) -> None:
    assert merge_json(base, ours, theirs, prefer="ours").conflicts == ()
    assert merge_json(base, ours, theirs, prefer="theirs").conflicts == ()


@pytest.mark.parametrize(
    ("conflict", "text"),
    [
        (
            MergeConflict("plan.json", "/title", "a", "b", "c"),
            "plan.json /title: changed on both sides (base 'a', ours 'b', theirs 'c')",
        ),
        (
            MergeConflict(
                "plan.json", "", None, {"x": 1}, None, "changed on ours, removed on theirs"
            ),
            "plan.json (the whole document): changed on ours, removed on theirs "
            "(base None, ours {'x': 1}, theirs None)",
        ),
        (
            MergeConflict("notes.txt", None, "a\n", "b\n", "c\n"),
            "notes.txt: changed on both sides (base 'a\\n', ours 'b\\n', theirs 'c\\n')",
        ),
    ],
    ids=["pointer", "whole-document", "text-file"],
)
def test_a_conflict_reads_as_one_line(conflict: MergeConflict, text: str) -> None:
    assert str(conflict) == text
