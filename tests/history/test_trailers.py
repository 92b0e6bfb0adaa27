"""Commit messages and their trailer block, checked against git interpret-trailers."""

from __future__ import annotations

import subprocess

import pytest

from gitworktree.history._core.trailers import compose_message, split_message


def git_parse_trailers(message: bytes) -> list[str]:
    result = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, check=True
    )
    return result.stdout.decode().splitlines()


@pytest.mark.parametrize(
    ("message", "trailers"),
    [
        ("Subject", {"Key": "value"}),
        ("Subject\n\nBody paragraph.\n\nAnother one.", {"A": "1", "B-Two": "x y"}),
        ("Subject\n\nBody: looks like a trailer but is followed", {"Real": "yes"}),
        ("Only a subject", {}),
    ],
    ids=["simple", "body", "body-with-colon", "none"],
)
def test_composed_trailers_are_what_git_parses(message: str, trailers: dict[str, str]) -> None:
    raw = compose_message(message, trailers)
    assert git_parse_trailers(raw) == [f"{key}: {value}" for key, value in trailers.items()]
    assert split_message(raw.decode()) == (message, trailers)


def test_repeated_keys_are_joined() -> None:
    text = "Subject\n\nSigned-off-by: A <a@x>\nSigned-off-by: B <b@x>\nFixes: 1\n"
    assert split_message(text) == ("Subject", {"Signed-off-by": "A <a@x>, B <b@x>", "Fixes": "1"})


def test_continuation_lines_are_unfolded() -> None:
    assert split_message("S\n\nNote: first\n  second\n") == ("S", {"Note": "first second"})


@pytest.mark.parametrize(
    "text",
    ["Key: value", "Subject\n\nNot a trailer line\nKey: v", "Subject\nKey: no blank line"],
    ids=["subject-only", "mixed-paragraph", "no-blank-line"],
)
def test_no_trailer_block(text: str) -> None:
    assert split_message(text) == (text, {})
