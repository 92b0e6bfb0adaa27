"""The scenarios of the benchmark, each gitworktree against what users would use.

Each scenario builds identical starting points (copies of one repository), times the
contenders with `run_rounds`, and records one `Comparison` per pair: the medians, and
the median of the per-round ratios (gitworktree / the other; below 1 is faster). The
LangGraph scenario (GitSaver against SqliteSaver) is in `benchmarks.langgraph_scenarios`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from benchmarks.data import (
    GIT_IDENTITY,
    BenchTree,
    Note,
    Settings,
    Task,
    build_repository,
    changed_task,
    clone_repository,
    git,
    git_env,
    split_sizes,
    task_key,
)
from benchmarks.floor import StraightLineCommit
from benchmarks.timing import Contender, median_ratio, run_rounds

__all__ = ["SCENARIOS", "Bench", "Comparison"]


@dataclass
class Comparison:
    """One pair's result."""

    scenario: str
    case: str
    ours: str
    other: str
    ours_ms: float
    other_ms: float
    ratio: float
    target: float | None = None
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the paired ratio is within the target (``None``: no target)."""
        return None if self.target is None else self.ratio <= self.target

    def as_json(self) -> dict[str, Any]:
        data = {key: value for key, value in self.__dict__.items() if key != "samples"}
        data["met"] = self.met
        data["samples_ms"] = {
            name: [round(value * 1000, 3) for value in values]
            for name, values in self.samples.items()
        }
        return data


@dataclass
class Bench:
    """One run: where data goes, how many rounds, and what was found."""

    workdir: Path
    sizes: list[int]
    rounds: int
    log_commits: int
    comparisons: list[Comparison] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    _bases: dict[tuple[int, int], Path] = field(default_factory=dict)
    _copies: int = 0

    def base(self, n: int, commits: int = 1) -> Path:
        """The pristine repository of ``n`` artifacts (built once per run)."""
        key = (n, commits)
        if key not in self._bases:
            self._bases[key] = build_repository(
                self.workdir / f"base-{n}-{commits}", n, commits=commits
            )
        return self._bases[key]

    def copy(self, n: int, label: str, commits: int = 1) -> Path:
        """A fresh copy of the base repository, for one contender."""
        self._copies += 1
        return clone_repository(self.base(n, commits), self.workdir / f"{label}-{n}-{self._copies}")

    def compare(
        self,
        scenario: str,
        case: str,
        contenders: list[Contender],
        *,
        targets: dict[str, float] | None = None,
        notes: dict[str, str] | None = None,
        per_call: int = 1,
    ) -> None:
        """Time ``contenders``; record the first against each of the others.

        ``per_call``: each run repeats the work that many times; times are divided by it.
        """
        samples = {
            name: [value / per_call for value in values]
            for name, values in run_rounds(contenders, self.rounds).items()
        }
        ours = contenders[0].name
        for other in contenders[1:]:
            comparison = Comparison(
                scenario=scenario,
                case=case,
                ours=ours,
                other=other.name,
                ours_ms=statistics.median(samples[ours]) * 1000,
                other_ms=statistics.median(samples[other.name]) * 1000,
                ratio=median_ratio(samples[ours], samples[other.name]),
                target=(targets or {}).get(other.name),
                note=(notes or {}).get(other.name, ""),
                samples={ours: samples[ours], other.name: samples[other.name]},
            )
            self.comparisons.append(comparison)
            _print_comparison(comparison)

    def median_ms(self, scenario: str, case: str) -> float:
        """Our median in an earlier comparison."""
        for comparison in self.comparisons:
            if comparison.scenario == scenario and comparison.case == case:
                return comparison.ours_ms
        raise KeyError((scenario, case))


def _print_comparison(c: Comparison) -> None:
    verdict = "" if c.met is None else ("  ok" if c.met else "  MISSED")
    target = "" if c.target is None else f" (target <= {c.target:g}x)"
    print(
        f"  {c.scenario:<10} {c.case:<16} {c.ours:<34} {c.ours_ms:9.2f} ms | "
        f"{c.other:<34} {c.other_ms:9.2f} ms | ratio {c.ratio:6.3f}{target}{verdict}",
        flush=True,
    )


def _case(n: int, **more: int) -> str:
    extra = "".join(f", {key}={value:,}" for key, value in more.items())
    return f"N={n:,}{extra}"


def _run_git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=git_env())


def _task_path(root: Path, key: str) -> Path:
    return root / "work" / "tasks" / f"{key}.json"


def _key_for(n: int, step: int) -> str:
    """A different task each step (an agent edits one artifact here, another there)."""
    tasks = split_sizes(n)[0]
    return task_key((step * 7919) % tasks)


# --- 1. commit one changed artifact ------------------------------------------------------


_STRAIGHT = "the same writes and fsyncs in straight code (floor)"


def commit_one(bench: Bench, n: int) -> None:
    """``tree.commit()`` of one changed artifact against git, dulwich and a bare write."""
    from dulwich import porcelain
    from dulwich.repo import Repo

    from gitworktree import mount
    from gitworktree.atomic import atomic_write

    tree = mount(BenchTree, bench.copy(n, "commit-ours"))
    git_root = bench.copy(n, "commit-git")
    dulwich_root = bench.copy(n, "commit-dulwich")
    dulwich_repo = Repo(str(dulwich_root))
    straight = StraightLineCommit(bench.copy(n, "commit-straight"), "work/tasks")

    floor = bench.workdir / f"commit-floor-{n}"
    floor.mkdir()
    identity = b"Bench <bench@example.com>"

    def ours_prepare(step: int) -> None:
        tree.work.tasks[_key_for(n, step)] = changed_task(step)

    def write_file(root: Path) -> Callable[[int], None]:
        def prepare(step: int) -> None:
            _task_path(root, _key_for(n, step)).write_bytes(changed_task(step)._to_bytes())

        return prepare

    def git_commit(step: int) -> None:
        _run_git(git_root, "add", "-A")
        _run_git(git_root, "commit", "-q", "-m", f"Step {step}")

    def dulwich_commit(step: int) -> None:
        porcelain.add(dulwich_repo)
        porcelain.commit(dulwich_repo, message=f"Step {step}", author=identity, committer=identity)

    bench.compare(
        "commit",
        _case(n),
        [
            Contender("tree.commit()", lambda step: tree.commit(), ours_prepare),
            Contender("git add -A && git commit", git_commit, write_file(git_root)),
            # dulwich's add re-reads every file: ~8 s a round at N = 100,000, left out there
            *(
                [
                    Contender(
                        "dulwich porcelain add+commit", dulwich_commit, write_file(dulwich_root)
                    )
                ]
                if n < 100_000
                else []
            ),
            Contender(
                "atomic write of the file (floor)",
                lambda step: atomic_write(floor / "task.json", changed_task(step)._to_bytes()),
            ),
            Contender(
                _STRAIGHT,
                lambda step: straight.commit(
                    f"{_key_for(n, step)}.json", changed_task(step)._to_bytes(), b"Step %d" % step
                ),
            ),
        ],
        targets={"git add -A && git commit": 0.1, _STRAIGHT: 1.5} if n >= 10_000 else None,
    )
    dulwich_repo.close()
    _check_clean(git_root, tree)
    if n >= 10_000:
        _commit_split_index(bench, n)


_GIT_SPLIT = "git add -A && git commit, core.splitIndex=true"


def _commit_split_index(bench: Bench, n: int) -> None:
    """The same commit with ``core.splitIndex`` on, for gitworktree and for git.

    A split index is opt-in (libgit2 cannot read one), so the targets stay on the
    default above; this shows what a large tree gains by turning it on.
    """
    from gitworktree import mount

    ours_root = bench.copy(n, "commit-split-ours")
    git_root = bench.copy(n, "commit-split-git")
    plain = mount(BenchTree, bench.copy(n, "commit-split-plain"))
    for root in (ours_root, git_root):
        git(root, "config", "core.splitIndex", "true")
        git(root, "update-index", "--split-index")
    tree = mount(BenchTree, ours_root)

    def write_file(step: int) -> None:
        _task_path(git_root, _key_for(n, step)).write_bytes(changed_task(step)._to_bytes())

    def git_commit(step: int) -> None:
        _run_git(git_root, "add", "-A")
        _run_git(git_root, "commit", "-q", "-m", f"Step {step}")

    def ours_prepare(step: int) -> None:
        tree.work.tasks[_key_for(n, step)] = changed_task(step)

    def plain_prepare(step: int) -> None:
        plain.work.tasks[_key_for(n, step)] = changed_task(step)

    bench.compare(
        "commit",
        f"{_case(n)}, core.splitIndex=true",
        [
            Contender("tree.commit()", lambda step: tree.commit(), ours_prepare),
            Contender(_GIT_SPLIT, git_commit, write_file),
            Contender(
                "tree.commit() with one index file (the default)",
                lambda s: plain.commit(),
                plain_prepare,
            ),
        ],
    )
    _check_clean(git_root, tree)


def _check_clean(git_root: Path, tree: Any) -> None:
    """The benchmark's own sanity check: our repository is what git expects."""
    status = git(tree.repo.path, "status", "--porcelain")
    if status:
        raise RuntimeError(f"git status is not clean after our commits:\n{status[:500]}")
    git(tree.repo.path, "fsck", "--strict", "--no-dangling")


# --- 2. checkpoint -----------------------------------------------------------------------


def checkpoint(bench: Bench, n: int) -> None:
    """``tree.checkpoint()`` against copying the directory (wellformed's way)."""
    from gitworktree import mount

    root = bench.copy(n, "checkpoint")
    tree = mount(BenchTree, root)
    copies = bench.workdir / f"checkpoint-copies-{n}"

    def copy(step: int) -> None:
        shutil.copytree(root, copies / str(step), ignore=shutil.ignore_patterns(".git"))

    bench.compare(
        "checkpoint",
        _case(n),
        [
            Contender("tree.checkpoint()", lambda step: tree.checkpoint()),
            Contender(
                "shutil.copytree (DirectoryCheckpoint)",
                copy,
                cleanup=lambda step: shutil.rmtree(copies / str(step)),
            ),
        ],
    )


# --- 3. restore a checkpoint ---------------------------------------------------------------


def restore(bench: Bench, n: int, k: int) -> None:
    """Restore a checkpoint ``k`` files away, against ``git reset --hard``."""
    from gitworktree import Repository, mount

    tasks = split_sizes(n)[0]
    keys = [task_key((index * 37) % tasks) for index in range(k)]
    tree = mount(BenchTree, bench.copy(n, "restore-tree"))
    tree.checkpoint("base")
    repository = Repository.open(bench.copy(n, "restore-repo"))
    repository.create_checkpoint("base")
    git_root = bench.copy(n, "restore-git")
    git_base = git(git_root, "rev-parse", "HEAD").strip()

    def tree_prepare(step: int) -> None:
        for index, key in enumerate(keys):
            tree.work.tasks[key] = changed_task(step * 1000 + index)
        tree.commit(f"Step {step}")

    def repository_prepare(step: int) -> None:
        changes: dict[str, bytes | None] = {
            f"work/tasks/{key}.json": changed_task(step * 1000 + index)._to_bytes()
            for index, key in enumerate(keys)
        }
        repository.commit_changes(changes, message=f"Step {step}")

    def git_prepare(step: int) -> None:
        for index, key in enumerate(keys):
            _task_path(git_root, key).write_bytes(changed_task(step * 1000 + index)._to_bytes())
        _run_git(git_root, "commit", "-q", "-am", f"Step {step}")

    bench.compare(
        "restore",
        _case(n, k=k),
        [
            Contender(
                "tree.restore(hard=True)",
                lambda step: tree.restore("base", hard=True),
                tree_prepare,
            ),
            Contender(
                "git reset --hard",
                lambda step: _run_git(git_root, "reset", "-q", "--hard", git_base),
                git_prepare,
            ),
        ],
        targets={"git reset --hard": 0.5} if n >= 10_000 and k == 1 else None,
    )
    bench.compare(
        "restore",
        _case(n, k=k) + " repo",
        [
            Contender(
                "Repository.restore(hard=True)",
                lambda step: repository.restore("base", hard=True),
                repository_prepare,
            ),
            Contender(
                "git reset --hard",
                lambda step: _run_git(git_root, "reset", "-q", "--hard", git_base),
                git_prepare,
            ),
        ],
        notes={"git reset --hard": "history layer alone: no re-sync of the mounted tree"},
    )
    repository.close()


# --- 4. mount ------------------------------------------------------------------------------


def mount_tree(bench: Bench, n: int) -> None:
    """``mount()`` of N artifacts against reading and validating every file (no git)."""
    from gitworktree import mount

    root = bench.copy(n, "mount")
    mount(BenchTree, root)  # settle: the first mount of a git-built repository

    def floor(step: int) -> None:
        Settings.model_validate_json((root / "settings.json").read_bytes())
        for directory, model in (
            ("work/tasks", Task),
            ("work/notes", Note),
            ("archive/done/tasks", Task),
        ):
            with os.scandir(root / directory) as entries:
                for entry in entries:
                    with open(entry.path, "rb") as handle:
                        model.model_validate_json(handle.read())

    bench.compare(
        "mount",
        _case(n),
        [
            Contender("mount(BenchTree, path)", lambda step: mount(BenchTree, root)),
            Contender("read + Pydantic-validate every file (floor)", floor),
        ],
        targets={"read + Pydantic-validate every file (floor)": 1.2} if n >= 10_000 else None,
    )


# --- 5. log and CLI start-up -------------------------------------------------------------------


def log(bench: Bench) -> None:
    """The last 20 commits of a long history, in-process and as a whole process."""
    from gitworktree import Repository

    commits = bench.log_commits
    root = bench.copy(100, "log", commits=commits)
    repository = Repository.open(root)
    case = f"{commits:,} commits"
    git_log = ["git", "-C", str(root), "log", "-n", "20"]

    env = _python_env(bench.workdir / "pycache")

    def process(argv: list[str]) -> Callable[[int], None]:
        return lambda step: _quiet(argv, env)

    cli = _cli_command(root)
    bench.compare(
        "log",
        case,
        [
            Contender("Repository.log(limit=20)", lambda step: repository.log(limit=20)),
            Contender("git log -n 20", process(git_log)),
        ],
        notes={"git log -n 20": "in-process call against a whole git process"},
    )
    floor = "python -c 'import click, dulwich.repo' (floor)"
    eager = "the same with the whole library imported first (before the lazy __init__)"
    bench.compare(
        "log",
        case + ", process",
        [
            Contender(" ".join(cli.label), process(cli.argv)),
            Contender("git log -n 20", process(git_log)),
            Contender("python -c pass (start-up floor)", process([sys.executable, "-c", "pass"])),
            Contender(floor, process([sys.executable, "-c", "import click, dulwich.repo"])),
            Contender(eager, process(_eager_cli(cli))),
        ],
        targets={"git log -n 20": 3.0, floor: 1.3},
        notes={"git log -n 20": cli.note},
    )
    repository.close()
    if cli.argv[0] == sys.executable:  # no `gitworktree` command to time the others with
        return
    floor_process = process([sys.executable, "-c", "import click, dulwich.repo"])
    gitworktree = [cli.argv[0], "-C", str(root)]
    commands = {
        "show HEAD": ["show", "HEAD"],
        "diff HEAD~1": ["diff", "HEAD~1"],
        "status": ["status"],
        "checkpoint list": ["checkpoint", "list"],
        # Last: each run commits (flushed), bringing back the files of the commit before.
        "restore HEAD~1 (a new commit)": ["restore", "HEAD~1"],
    }
    for label, command in commands.items():
        bench.compare(
            "history commands",
            case + ", process",
            [
                Contender(f"gitworktree {label}", process([*gitworktree, *command])),
                Contender(floor, floor_process),
            ],
            targets={floor: 1.3},
        )


@dataclass(frozen=True)
class _Command:
    label: list[str]
    argv: list[str]
    note: str


def _cli_command(root: Path) -> _Command:
    """``gitworktree log -n 20`` if the CLI has it, else the documented stand-in."""
    executable = Path(sys.executable).with_name("gitworktree")
    argv = [str(executable), "-C", str(root), "log", "-n", "20"]
    for candidate in (argv, [str(executable), "log", "-n", "20"]):
        try:
            result = subprocess.run(
                candidate, capture_output=True, cwd=root, check=False, timeout=60
            )
        except OSError:
            break
        if result.returncode == 0 and result.stdout:
            return _Command(["gitworktree", "log", "-n", "20"], candidate, "the real CLI")
    code = (
        "from gitworktree import Repository; "
        "[print(c.short_sha, c.message.splitlines()[0]) "
        f"for c in Repository.open({str(root)!r}).log(limit=20)]"
    )
    return _Command(
        ["python", "-c", "Repository.log (stand-in)"],
        [sys.executable, "-c", code],
        "stand-in: `gitworktree log` did not exist or failed when this ran",
    )


def _eager_cli(cli: _Command) -> list[str]:
    """``cli`` as it started before the package loaded its names lazily: all of them first.

    ``from gitworktree import *`` imports every public name, which is what the package's
    ``__init__`` did at every start until issue 17; the command then runs the same way.
    """
    if cli.argv[0] == sys.executable:
        return [sys.executable, "-c", "from gitworktree import *; " + cli.argv[-1]]
    code = (
        "import sys; from gitworktree import *; from gitworktree.cli import main; "
        f"sys.argv = {['gitworktree', *cli.argv[1:]]!r}; main()"
    )
    return [sys.executable, "-c", code]


def _python_env(cache: Path) -> dict[str, str]:
    """The environment for whole processes: ours, with Python's bytecode cache on.

    As after ``pip install`` (which compiles every module), a start loads compiled
    modules instead of compiling the sources again; with ``PYTHONDONTWRITEBYTECODE`` set
    (some sandboxes and containers set it) an editable install recompiles the whole package
    at every start. The cache goes to the benchmark's own directory, never the checkout.
    """
    env = git_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def _quiet(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=env)


# --- 6. the gate's own cost --------------------------------------------------------------


_XSD = Path(__file__).with_name("todos.xsd")

_NOTE_SCHEMA = {
    "type": "object",
    "required": ["type", "lines"],
    "properties": {
        "type": {"const": "note"},
        "lines": {"type": "array", "items": {"type": "string"}},
    },
}


def gate(bench: Bench) -> None:
    """The commit gate on one changed artifact, against calling the validator directly."""
    import jsonschema
    from lxml import etree

    from gitworktree import JsonDocument, XmlDocument
    from gitworktree.mounting.gate import GateItem, run_gate

    class NoteDocument(JsonDocument):
        schema: ClassVar[Any] = _NOTE_SCHEMA

    class TodoDocument(XmlDocument):
        schema_path: ClassVar[str] = str(_XSD)

    note = json.dumps({"type": "note", "lines": ["a", "b", "c"]}, indent=2).encode() + b"\n"
    todos = (
        b'<todos>\n  <task priority="high"><title>Ship</title></task>\n'
        b'  <task priority="low"><title>Write</title></task>\n</todos>\n'
    )
    task = changed_task(1)._to_bytes()
    validator = jsonschema.Draft202012Validator(_NOTE_SCHEMA)
    xsd = etree.XMLSchema(etree.parse(str(_XSD)))
    cases: list[tuple[str, Any, bytes, Callable[[int], object]]] = [
        ("Pydantic", Task, task, lambda step: Task.model_validate_json(task)),
        ("JSON Schema", NoteDocument, note, lambda step: validator.validate(json.loads(note))),
        ("XSD", TodoDocument, todos, lambda step: xsd.assertValid(etree.fromstring(todos))),
    ]
    for label, item_type, data, bare in cases:
        items = [GateItem(f"x/{label}", item_type, data)]
        bench.compare(
            "gate",
            label,
            [
                Contender(
                    "run_gate (1 artifact)",
                    _repeat(lambda items=items: run_gate(items, None, 3)),
                ),
                Contender("the validator alone", _repeat(lambda bare=bare: bare(0))),
            ],
            notes={"the validator alone": "per artifact, averaged over 100 calls"},
            per_call=100,
        )


# --- 7. directory checkpoint (wellformed's DirectoryCheckpoint) ---------------------------


def directory_checkpoint(bench: Bench, n: int) -> None:
    """``DirectoryCheckpoint`` create and restore against wellformed's ``shutil.copytree``.

    wellformed's restore removes the directory and moves the copy back; ours rewrites
    only what differs from the snapshot (here one changed file).
    """
    from gitworktree.compat.wellformed import DirectoryCheckpoint

    directory = bench.copy(n, "dircheckpoint") / "work"
    backup = directory.parent / "backup"
    changed = _task_path(directory.parent, _key_for(n, 0))
    pending: dict[int, DirectoryCheckpoint] = {}

    def copy(step: int) -> None:
        shutil.copytree(directory, backup)

    def change(step: int) -> None:
        changed.write_text(f'{{"changed": {step}}}')

    def ours_prepare(step: int) -> None:
        pending[step] = DirectoryCheckpoint.create(directory)
        change(step)

    def copy_prepare(step: int) -> None:
        copy(step)
        change(step)

    def copy_restore(step: int) -> None:
        shutil.rmtree(directory)
        os.replace(backup, directory)

    bench.compare(
        "dircheckpoint",
        _case(n),
        [
            Contender(
                "DirectoryCheckpoint.create",
                lambda step: pending.__setitem__(step, DirectoryCheckpoint.create(directory)),
                cleanup=lambda step: pending.pop(step).discard(),
            ),
            Contender(
                "shutil.copytree (wellformed)",
                copy,
                cleanup=lambda step: shutil.rmtree(backup),
            ),
        ],
        # The goal is set where copying hurts: 10,000 files.
        targets={"shutil.copytree (wellformed)": 0.1} if n >= 10_000 else None,
    )
    bench.compare(
        "dirrestore",
        _case(n, k=1),
        [
            Contender(
                "DirectoryCheckpoint.restore",
                lambda step: pending.pop(step).restore(),
                prepare=ours_prepare,
            ),
            Contender("rmtree + move back (wellformed)", copy_restore, prepare=copy_prepare),
        ],
    )


def _repeat(work: Callable[[], object], times: int = 100) -> Callable[[int], None]:
    """Run ``work`` ``times`` times, so a sample is long enough to time; per-call below."""

    def run(step: int) -> None:
        for _ in range(times):
            work()

    return run


@contextmanager
def isolated_git_environment(home: Path) -> Iterator[None]:
    """No user or system git config; a fixed identity (for us and for git alike)."""
    saved = dict(os.environ)
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(GIT_IDENTITY)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        os.environ.pop(key, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


SCENARIOS = (
    "commit",
    "checkpoint",
    "restore",
    "mount",
    "log",
    "gate",
    "dircheckpoint",
    "langgraph",
    "gitsaver",  # benchmarks/langgraph_scenarios.py: GitSaver against SqliteSaver
)
