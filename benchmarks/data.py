"""The benchmark's own data: trees of N small Pydantic artifacts in nested directories.

Every scenario starts from a repository built here, so a run needs nothing but this
checkout. The layout (for N artifacts)::

    settings.json                  one artifact
    work/tasks/<key>.json          80% of N: one large flat directory (the worst case for
                                   rebuilding a tree object)
    work/notes/<key>.json          10% of N
    archive/done/tasks/<key>.json  10% of N, three levels deep

The files are written directly and committed once with the real ``git`` (which is fast
and is only a data builder here: the library never runs it). Copies of that repository
serve as identical starting points for gitworktree, ``git`` and dulwich porcelain.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pydantic import Field

from gitworktree import ArtifactMap, LayoutAnchor, PydanticArtifact, Worktree

__all__ = [
    "GIT_IDENTITY",
    "Archive",
    "BenchTree",
    "Note",
    "Settings",
    "Task",
    "Work",
    "build_repository",
    "changed_task",
    "clone_repository",
    "git",
    "git_env",
    "split_sizes",
    "task_key",
]


class Task(PydanticArtifact):
    """A small artifact, like an agent's task list entry (~150 bytes as JSON)."""

    title: str
    done: bool = False
    priority: int = 0
    tags: list[str] = Field(default_factory=list)


class Note(PydanticArtifact):
    """A note, a one-field artifact."""

    text: str = ""


class Settings(PydanticArtifact):
    """One top-level artifact."""

    model: str = "agent-1"
    step: int = 0


class Work(LayoutAnchor):
    """``work/``: the live artifact maps."""

    tasks: ArtifactMap[Task]
    notes: ArtifactMap[Note]


class Archive(LayoutAnchor):
    """``archive/done/tasks/``: a map three directories deep."""

    class Done(LayoutAnchor):
        tasks: ArtifactMap[Task]

    done: Done


class BenchTree(Worktree):
    """The benchmark tree."""

    settings: Settings
    work: Work
    archive: Archive


#: A fixed identity and no system config, for git processes and for gitworktree alike.
GIT_IDENTITY = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git_env() -> dict[str, str]:
    """The environment for a git process: ours, with `GIT_IDENTITY`."""
    return {**os.environ, **GIT_IDENTITY}


def git(root: Path, *args: str) -> str:
    """Run the real ``git`` in ``root`` (a comparator and data builder only)."""
    result = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env=git_env(),
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def split_sizes(n: int) -> tuple[int, int, int]:
    """How many artifacts go to work/tasks, work/notes and archive/done/tasks."""
    notes = archived = n // 10
    return n - 1 - notes - archived, notes, archived


def task_key(index: int) -> str:
    """The map key of the ``index``-th task."""
    return f"t{index:05d}"


def _task_json(index: int) -> bytes:
    task = Task(title=f"Task number {index}", priority=index % 5, tags=["bench", f"g{index % 7}"])
    return task._to_bytes()


def build_repository(root: Path, n: int, *, commits: int = 1) -> Path:
    """A repository at ``root`` whose HEAD holds the benchmark tree of ``n`` artifacts.

    Args:
        root: a directory that does not exist yet.
        n: the number of artifacts (at least 3).
        commits: how many commits to make; the extra ones each change one task, through
            ``git fast-import`` (5,000 commits take well under a second).
    """
    tasks, notes, archived = split_sizes(n)
    (root / "work" / "tasks").mkdir(parents=True)
    (root / "work" / "notes").mkdir()
    (root / "archive" / "done" / "tasks").mkdir(parents=True)
    (root / "settings.json").write_bytes(Settings()._to_bytes())
    for index in range(tasks):
        (root / "work" / "tasks" / f"{task_key(index)}.json").write_bytes(_task_json(index))
    for index in range(notes):
        note = Note(text=f"note {index}")._to_bytes()
        (root / "work" / "notes" / f"n{index:05d}.json").write_bytes(note)
    for index in range(archived):
        (root / "archive" / "done" / "tasks" / f"a{index:05d}.json").write_bytes(_task_json(index))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    # git packs the loose objects of a large first commit (``gc --auto``) in the
    # background, by default: in the foreground, so that no copy races it.
    git(root, "-c", "gc.autoDetach=false", "commit", "-q", "-m", f"Benchmark tree of {n} artifacts")
    if commits > 1:
        _more_commits(root, commits - 1)
    return root


def _more_commits(root: Path, count: int) -> None:
    """Append ``count`` commits that each change ``settings.json``, then check out HEAD."""
    lines = []
    for step in range(1, count + 1):
        data = Settings(step=step)._to_bytes()
        when = 1_700_000_000 + step
        message = f"Step {step}".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(b"committer Bench <bench@example.com> %d +0000\n" % when)
        lines.append(b"data %d\n%s\n" % (len(message), message))
        if step == 1:
            lines.append(b"from refs/heads/main^0\n")
        lines.append(b"M 100644 inline settings.json\ndata %d\n%s\n" % (len(data), data))
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"],
        input=b"".join(lines),
        check=True,
        env=git_env(),
    )
    git(root, "reset", "-q", "--hard", "main")


def clone_repository(source: Path, target: Path) -> Path:
    """An identical copy of ``source`` (work tree, index and ``.git``)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def changed_task(step: int) -> Task:
    """A task value that differs at every step (so every commit has one change)."""
    return Task(title=f"Edited at step {step}", priority=step % 5, tags=["bench"])
