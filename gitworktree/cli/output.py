"""Rendering: the JSON documents of ``--json`` and the human output, with colour on a TTY.

The JSON shapes are a stable interface, documented field by field in ``docs/cli.md``;
change them only by adding fields. Human output is styled with click, which drops the
styles when stdout is not a terminal; ``NO_COLOR`` turns them off everywhere (see
``app.py``).

Human output never prints a name as it is: paths go through `quote_name` (git's C-style
quoting) and subjects, authors, checkpoint and ref names, trailers through `quote_text`,
so that a newline, a carriage return or a terminal escape in a file name or a message
cannot forge a line or restyle the terminal. JSON escapes them by itself and gets the
values as they are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from gitworktree import (
        Checkpoint,
        CommitInfo,
        FetchResult,
        FileChange,
        MergeConflict,
        PointerChange,
        PushResult,
        ValidationIssue,
    )

__all__ = [
    "REPAIRED",
    "RESTORED_FROM",
    "change_json",
    "checkpoint_json",
    "commit_json",
    "conflict_json",
    "conflict_line",
    "count_lines",
    "echo_json",
    "echo_patches",
    "fetch_json",
    "format_time",
    "issue_json",
    "log_entry",
    "omitted_line",
    "patch_text",
    "pointer_json",
    "pointer_lines",
    "push_json",
    "quote_name",
    "quote_text",
    "ref_label",
    "shell_word",
    "short",
    "stat_lines",
    "style_sha",
    "subject",
    "terminal_width",
]

REPAIRED = "Gitworktree-Repaired"
RESTORED_FROM = "Gitworktree-Restored-From"
_PATHS_SHOWN = 6


# --- JSON -------------------------------------------------------------------------------


def echo_json(document: Any) -> None:
    """Print one JSON document (2-space indent, keys in a fixed order, UTF-8)."""
    import json  # here: a command's text output does not need it

    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def quote_text(text: str) -> str:
    """A subject, author, trailer, checkpoint or ref name, for one line of text output.

    Control and other non-printable characters are escaped (``\\n``, ``\\033``).
    """
    from gitworktree.history._core.quoting import escape_text  # the library loads with a command

    return escape_text(text)


def quote_name(path: str) -> str:
    """A file path for text output, quoted as git quotes it (``"a\\nb"``) when it must be."""
    from gitworktree.history._core.quoting import quote_path

    return quote_path(path)


def _first_line(message: str) -> str:
    return message.split("\n", 1)[0]


def subject(message: str) -> str:
    """The first line of a commit message, for text output (escaped: `quote_text`)."""
    return quote_text(_first_line(message))


def commit_json(info: CommitInfo) -> dict[str, Any]:
    """A commit as ``log --json`` and the other commands print it."""
    return {
        "sha": info.sha,
        "short_sha": info.short_sha,
        "subject": _first_line(info.message),
        "message": info.message,
        "author": info.author,
        "committer": info.committer,
        "time": info.time.isoformat(),
        "parents": list(info.parents),
        "paths": list(info.paths),
        "trailers": dict(info.trailers),
    }


def checkpoint_json(checkpoint: Checkpoint, info: CommitInfo) -> dict[str, Any]:
    """A checkpoint and the commit it points at."""
    return {
        "name": checkpoint.name,
        "ref": checkpoint.ref,
        "sha": checkpoint.sha,
        "subject": _first_line(info.message),
        "time": info.time.isoformat(),
        "remote": checkpoint.remote,
    }


def pointer_json(change: PointerChange) -> dict[str, Any]:
    """One changed value inside a JSON document."""
    return {"pointer": change.pointer, "kind": change.kind, "old": change.old, "new": change.new}


def echo_patches(changes: Sequence[FileChange]) -> None:
    """Each file's patch, coloured, then its changed JSON values by pointer."""
    for change in changes:
        click.echo(patch_text(change.patch))
        if change.pointers:
            click.echo(click.style(f"JSON changes in {quote_name(change.path)}:", bold=True))
            click.echo("\n".join(pointer_lines(change.pointers)))
        summary = omitted_line(change)
        if summary:
            click.echo(summary)


def omitted_line(change: FileChange) -> str | None:
    """What a bounded pointer diff left out, as one line (``None``: nothing)."""
    if change.pointers_complete and not change.pointers_omitted:
        return None
    listed = f"{len(change.pointers):,}"
    if change.pointers_complete:
        return (
            f"  ... and {change.pointers_omitted:,} more changed values, not listed (a diff "
            f"lists the first {listed})"
        )
    return (
        f"  ... {change.pointers_omitted:,} more changed values found beyond the first "
        f"{listed}, and the documents are too large to compare to the end: more may differ"
    )


def change_json(change: FileChange) -> dict[str, Any]:
    """One file of a diff, with its patch and, for JSON files, its changed pointers."""
    additions, deletions, binary = count_lines(change.patch)
    return {
        "path": change.path,
        "status": change.status,
        "old_sha": change.old_sha,
        "new_sha": change.new_sha,
        "binary": binary,
        "additions": additions,
        "deletions": deletions,
        "patch": change.patch,
        "pointers": [pointer_json(pointer) for pointer in change.pointers],
        "pointers_omitted": change.pointers_omitted,
        "pointers_complete": change.pointers_complete,
    }


def issue_json(issue: ValidationIssue) -> dict[str, Any]:
    """One validation issue with its location."""
    return {
        "artifact": issue.artifact,
        "line": issue.line,
        "column": issue.column,
        "pointer": issue.pointer,
        "message": issue.message,
        "source": issue.source,
    }


# --- human output -----------------------------------------------------------------------


def short(sha: str | None) -> str:
    """A commit id abbreviated as git does (7 digits)."""
    return "-" if sha is None else sha[:7]


def style_sha(sha: str) -> str:
    """An abbreviated commit id, in yellow as git shows it."""
    return click.style(short(sha), fg="yellow")


def format_time(moment: datetime) -> str:
    """``2026-05-01 12:00:03 +0200``: the commit's own time zone, as ``git log`` shows it."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def _paths_summary(paths: Sequence[str]) -> str:
    shown = ", ".join(quote_name(path) for path in paths[:_PATHS_SHOWN])
    more = len(paths) - _PATHS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _trailer_lines(trailers: Mapping[str, str], checkpoints: Mapping[str, list[str]]) -> list[str]:
    lines = []
    for key, value in trailers.items():
        if key == REPAIRED:
            lines.append(click.style(f"repaired by the gate: {quote_text(value)}", fg="magenta"))
        elif key == RESTORED_FROM:
            names = [quote_text(name) for name in checkpoints.get(value.strip(), [])]
            label = f" (checkpoint {', '.join(names)})" if names else ""
            target = quote_text(short(value.strip()))
            lines.append(click.style(f"restored from {target}{label}", fg="cyan"))
        else:
            lines.append(f"{quote_text(key)}: {quote_text(value)}")
    return lines


def log_entry(
    info: CommitInfo,
    *,
    decorations: Sequence[str] = (),
    checkpoints: Mapping[str, list[str]] | None = None,
    oneline: bool = False,
) -> list[str]:
    """The lines ``gitworktree log`` prints for one commit.

    Args:
        info: the commit.
        decorations: refs pointing at it (``HEAD -> main``, ``checkpoint: name``).
        checkpoints: commit id -> checkpoint names, to name the target of a restore.
        oneline: one line per commit, with ``[repaired]`` / ``[restored]`` marks.
    """
    shown = ", ".join(quote_text(decoration) for decoration in decorations)
    decorated = click.style(f" ({shown})", fg="green") if decorations else ""
    if oneline:
        marks = []
        if REPAIRED in info.trailers:
            marks.append(click.style("[repaired]", fg="magenta"))
        if RESTORED_FROM in info.trailers:
            marks.append(click.style("[restored]", fg="cyan"))
        tail = "".join(" " + mark for mark in marks)
        return [f"{style_sha(info.sha)}{decorated} {subject(info.message)}{tail}"]
    indent = " " * 9
    lines = [f"{style_sha(info.sha)}{decorated}  {click.style(subject(info.message), bold=True)}"]
    lines.append(f"{indent}{quote_text(info.author)}  {format_time(info.time)}")
    body = info.message.split("\n", 1)[1].strip("\n") if "\n" in info.message else ""
    lines += [f"{indent}{quote_text(line)}".rstrip() for line in body.split("\n")]
    if info.paths:
        lines.append(f"{indent}files: {_paths_summary(info.paths)}")
    lines += [indent + line for line in _trailer_lines(info.trailers, checkpoints or {})]
    return lines


def count_lines(patch: str) -> tuple[int, int, bool]:
    """Added and deleted lines of a unified patch, and whether it is a binary one."""
    additions = deletions = 0
    in_hunks = False
    for line in patch.split("\n"):  # as git counts: a lone "\r" does not end a line
        if line.startswith("@@"):
            in_hunks = True
        elif not in_hunks:
            if line.startswith(("Binary files ", "Large files ")):
                return 0, 0, True
        elif line.startswith("+"):
            additions += 1
        elif line.startswith("-"):
            deletions += 1
    return additions, deletions, False


def patch_text(patch: str) -> str:
    """A unified patch, coloured as ``git diff`` colours it.

    Lines are split at newlines only, and control characters in them escaped (tabs
    kept), so that a carriage return or an escape sequence in a file's content or name
    cannot rewrite what the terminal shows. The library's headers quote names already.
    """
    out = []
    in_hunks = False
    for raw in patch.removesuffix("\n").split("\n") if patch else []:
        line = "\t".join(quote_text(part) for part in raw.split("\t"))
        if line.startswith("diff --git"):
            in_hunks = False
            out.append(click.style(line, bold=True))
        elif line.startswith("@@"):
            in_hunks = True
            out.append(click.style(line, fg="cyan"))
        elif not in_hunks:
            out.append(click.style(line, bold=True))
        elif line.startswith("+"):
            out.append(click.style(line, fg="green"))
        elif line.startswith("-"):
            out.append(click.style(line, fg="red"))
        else:
            out.append(line)
    return "\n".join(out)


def _json_value(value: Any) -> str:
    # json.dumps escapes C0 controls but leaves C1 controls and bidi overrides, which
    # drive a terminal as well: escape every non-printable, as in names and subjects.
    import json

    text = quote_text(json.dumps(value, ensure_ascii=False))
    return text if len(text) <= 60 else text[:57] + "..."


def pointer_lines(pointers: Iterable[PointerChange]) -> list[str]:
    """One line per changed JSON value: ``/tasks/0/done: false -> true``."""
    lines = []
    for change in pointers:
        where = quote_text(change.pointer) if change.pointer else "(whole document)"
        if change.kind == "added":
            lines.append(click.style(f"  + {where}: {_json_value(change.new)}", fg="green"))
        elif change.kind == "removed":
            lines.append(click.style(f"  - {where}: {_json_value(change.old)}", fg="red"))
        else:
            old, new = _json_value(change.old), _json_value(change.new)
            lines.append(click.style(f"  ~ {where}: {old} -> {new}", fg="yellow"))
    return lines


def stat_lines(changes: Sequence[FileChange], width: int = 80) -> list[str]:
    """``git diff --stat``: one line per file with a +/- bar, then a summary line."""
    counts = [count_lines(change.patch) for change in changes]
    names = [quote_name(change.path) for change in changes]
    name_width = max((len(name) for name in names), default=0)
    most = max((added + deleted for added, deleted, _ in counts), default=0)
    digits = max(len(str(most)), 3 if any(binary for _, _, binary in counts) else 1)
    bar_room = max(10, width - name_width - digits - 6)
    lines = []
    for name, (added, deleted, binary) in zip(names, counts, strict=True):
        if binary:
            lines.append(f" {name:<{name_width}} | {'Bin':>{digits}}")
            continue
        total = added + deleted
        scale = min(1.0, bar_room / most) if most else 1.0
        plus, minus = round(added * scale), round(deleted * scale)
        bar = click.style("+" * plus, fg="green") + click.style("-" * minus, fg="red")
        lines.append(f" {name:<{name_width}} | {total:>{digits}} {bar}".rstrip())
    insertions = sum(added for added, _, _ in counts)
    deletions = sum(deleted for _, deleted, _ in counts)
    files = len(changes)
    summary = f" {files} file{'s' if files != 1 else ''} changed"
    if insertions:
        summary += f", {insertions} insertion{'s' if insertions != 1 else ''}(+)"
    if deletions:
        summary += f", {deletions} deletion{'s' if deletions != 1 else ''}(-)"
    lines.append(summary)
    return lines


# --- sharing through a remote -----------------------------------------------------------


def fetch_json(result: FetchResult) -> dict[str, Any]:
    """What a fetch brought, as ``fetch --json`` prints it."""
    return {
        "remote": result.remote,
        "url": result.url,
        "heads": dict(result.heads),
        "updated": dict(result.updated),
        "kept": list(result.kept),
    }


def push_json(result: PushResult) -> dict[str, Any]:
    """What a push changed on the host, as ``push --json`` prints it."""
    return {"remote": result.remote, "url": result.url, "updated": dict(result.updated)}


def _conflict_value(value: Any, *, whole_file: bool) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None and whole_file:
        return "(absent)"
    return _json_value(value)


def conflict_line(conflict: MergeConflict) -> str:
    """``plan.json /title: base="a" ours="b" theirs="c" (changed on both sides)``.

    Values are JSON, shortened to 60 characters; a whole file's side is its text, or
    ``<N bytes>`` when it is not UTF-8, or ``(absent)``.
    """
    whole_file = conflict.pointer is None
    pointer = quote_text(conflict.pointer or "(whole document)")
    path = quote_name(conflict.path)
    where = path if whole_file else f"{path} {pointer}"
    base, ours, theirs = (
        _conflict_value(side, whole_file=whole_file)
        for side in (conflict.base, conflict.ours, conflict.theirs)
    )
    return f"{where}: base={base} ours={ours} theirs={theirs} ({conflict.reason})"


def _json_side(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def conflict_json(conflict: MergeConflict) -> dict[str, Any]:
    """One conflict as ``pull --json`` prints it (bytes decoded as UTF-8, with U+FFFD)."""
    return {
        "path": conflict.path,
        "pointer": conflict.pointer,
        "base": _json_side(conflict.base),
        "ours": _json_side(conflict.ours),
        "theirs": _json_side(conflict.theirs),
        "reason": conflict.reason,
    }


def ref_label(ref: str) -> str:
    """``origin/main``, ``main`` or ``checkpoint NAME`` for a full ref name."""
    for prefix, label in (
        ("refs/remotes/", ""),
        ("refs/heads/", ""),
        ("refs/checkpoints/", "checkpoint "),
    ):
        if ref.startswith(prefix):
            return label + quote_text(ref.removeprefix(prefix))
    return quote_text(ref)


def shell_word(text: str) -> str:
    """``text`` quoted as one word for a POSIX shell (`shlex.quote`); with a control or
    other non-printable character, as ``$'...'`` with it escaped (bash, zsh, POSIX 2024
    sh), so that printing the command neither rings, moves the cursor nor recolours
    the terminal, and pasting it still names the file.

    ``shlex`` is imported here, on the paths that print a command to run, so that a
    history command that prints none starts without it (issue 17).
    """
    if not text.isprintable():
        return "$'" + "".join(_ansi_c(char) for char in text) + "'"
    import shlex

    return shlex.quote(text)


def _ansi_c(char: str) -> str:
    """One character inside ``$'...'``."""
    if char in "\\'":
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_width() -> int:
    """The terminal's width in columns, as `shutil.get_terminal_size` reads it: ``COLUMNS``
    when it is a positive number, else the width of the terminal on standard output,
    else 80.

    Read here rather than through ``shutil``, which imports ``bz2`` and ``lzma`` (~2 ms of
    a ``--stat``'s start-up, issue 17); tests/cli/test_terminal_width.py holds the two
    to the same answer.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return columns or 80
