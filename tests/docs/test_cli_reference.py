"""docs/cli.md's reference blocks say what the commands say (tests/docs/clidocs.py)."""

from __future__ import annotations

from collections import Counter

from tests.docs.clidocs import CLI_MD, REGENERATE, command_paths, documented_commands, regenerate


def test_each_generated_block_is_the_commands_own_help() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    stale = [
        command
        for command, old, new in zip(
            documented_commands(text),
            text.split("<!-- cli-help: ")[1:],
            regenerate(text).split("<!-- cli-help: ")[1:],
            strict=True,
        )
        if old != new
    ]
    assert not stale, (
        f"docs/cli.md's --help blocks differ from the commands for: {', '.join(stale)}. "
        f"Regenerate them from the repository root with `{REGENERATE}`."
    )


def test_every_command_has_exactly_one_generated_block() -> None:
    documented = Counter(documented_commands(CLI_MD.read_text(encoding="utf-8")))
    commands = set(command_paths())
    missing = sorted(commands - set(documented))
    unknown = sorted(set(documented) - commands)
    repeated = sorted(command for command, count in documented.items() if count > 1)
    assert (missing, unknown, repeated) == ([], [], []), (
        "docs/cli.md needs one `<!-- cli-help: COMMAND -->` / `<!-- /cli-help -->` pair in "
        f"each command's section (missing: {missing}, unknown: {unknown}, repeated: "
        f"{repeated}); then run `{REGENERATE}`."
    )
