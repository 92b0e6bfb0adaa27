"""``prefer=`` only ever decides conflicts: a field one side changed alone is never dropped.

Random documents, random edits on each side (changes, removals, additions), merged with
every ``prefer``: wherever only one side changed a field, the merge holds that side's
value, and ``prefer`` changes nothing outside the conflicts a plain merge reports.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitworktree.history._json.jsonmerge import ABSENT, json_equal, merge_json

KEYS = [f"k{index}" for index in range(6)]
VALUES = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.booleans(), st.none())


def _edit(base: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    edited = dict(base)
    for key in KEYS:
        action = draw(st.sampled_from(["keep", "keep", "set", "remove"]))
        if action == "set":
            edited[key] = draw(VALUES)
        elif action == "remove":
            edited.pop(key, None)
    return edited


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    base = draw(st.dictionaries(st.sampled_from(KEYS), VALUES))
    return base, _edit(base, draw), _edit(base, draw)


def _at(document: dict[str, Any], key: str) -> Any:
    return document.get(key, ABSENT)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=three_versions())
def test_a_field_changed_by_one_side_alone_survives_any_prefer(
    versions: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    base, ours, theirs = versions
    plain = merge_json({"board": base}, {"board": ours}, {"board": theirs})
    conflicted = {conflict.pointer for conflict in plain.conflicts}
    for prefer in (None, "ours", "theirs"):
        merged = merge_json({"board": base}, {"board": ours}, {"board": theirs}, prefer=prefer)
        result = merged.value["board"]
        for key in KEYS:
            old, mine, other = _at(base, key), _at(ours, key), _at(theirs, key)
            if json_equal(old, mine):
                assert json_equal(_at(result, key), other), (prefer, key)
            elif json_equal(old, other):
                assert json_equal(_at(result, key), mine), (prefer, key)
            elif f"/board/{key}" not in conflicted:
                assert json_equal(_at(result, key), mine) and json_equal(mine, other)
