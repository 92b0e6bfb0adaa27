"""Ref and checkpoint names follow git's check-ref-format rules (git is the oracle)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitworktree.errors import InvalidNameError
from gitworktree.history._core.refnames import check_ref_name

BAD_NAMES = {
    "empty": "",
    "traversal": "../../x",
    "double-dot": "a..b",
    "leading-dash": "-rf",
    "reflog-syntax": "a@{1}",
    "at-alone": "@",
    "control-char": "a\x01b",
    "delete-char": "a\x7fb",
    "newline": "a\nb",
    "space": "two words",
    "tilde": "a~1",
    "caret": "a^",
    "colon": "a:b",
    "question": "a?",
    "star": "a*",
    "bracket": "a[0]",
    "backslash": "a\\b",
    "lock-suffix": "x.lock",
    "lock-component": "x.lock/y",
    "trailing-slash": "a/",
    "leading-slash": "/a",
    "double-slash": "a//b",
    "dot-component": "a/.hidden",
    "leading-dot": ".hidden",
    "trailing-dot": "a.",
    "too-long": "x" * 300,
}

GOOD_NAMES = ["main", "before-import", "cp-20261121-235959-a1b2c3", "team/alice", "v1.0", "a@b"]


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_names_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_ref_name(name)
    assert caught.value.name == name
    assert "git ref name rules" in str(caught.value)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_names_are_accepted(name: str) -> None:
    assert check_ref_name(name) == name


def git_accepts(name: str) -> bool:
    result = subprocess.run(
        ["git", "check-ref-format", f"refs/checkpoints/{name}"], capture_output=True, check=False
    )
    return result.returncode == 0


@pytest.mark.parametrize("name", [*BAD_NAMES.values(), *GOOD_NAMES], ids=repr)
def test_agrees_with_git_check_ref_format(name: str) -> None:
    ours = _accepts(name)
    if name.startswith("-") or len(name) > 200 or name == "@":
        assert not ours  # stricter than git on purpose: options, file name limits, HEAD alias
    else:
        assert ours == git_accepts(name)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab./-@{}~^:?*[\\ .lock", min_size=1, max_size=12))
def test_agrees_with_git_on_random_names(name: str) -> None:
    if not name.startswith("-") and name != "@":
        assert _accepts(name) == git_accepts(name)


def _accepts(name: str) -> bool:
    try:
        check_ref_name(name)
    except InvalidNameError:
        return False
    return True
