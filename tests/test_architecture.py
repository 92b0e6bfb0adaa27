"""The shape of the package: one public surface, every module's __all__, downward imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gitworktree
import gitworktree.history
import gitworktree.storage

PACKAGE = Path(gitworktree.__file__).resolve().parent

DOCUMENTED_API = {
    "AmbiguousRevisionError",
    "Anchor", "Artifact", "ArtifactMap", "BaseMounter", "BaseWorktreeItem",
    "CheckpointError", "CollectionClaim", "CommitInfo", "CommitRejectedError",
    "ConflictError", "DocumentParseError", "FixingLoop", "FixingLoopResult",
    "FixingLoopStatus", "GitWorktreeError", "InvalidNameError", "LayoutAnchor",
    "InsideRunningLoopError",
    "MissingInitialStateError", "MutationFailedError", "NodeKindError", "ObjectClaim",
    "PydanticArtifact", "ReadOnlyError", "RepositoryError", "SchemaValidationError",
    "StorageError", "Syncable", "UnknownRevisionError", "UnsafePathError",
    "UnsupportedRepositoryError",
    "ValidationIssue", "Worktree", "arun_fixing_loop", "mount", "run_fixing_loop",
    "Document", "DocumentMutation", "JsonDocument", "TextArtifact", "XmlDocument",
    "InvalidSchemaError", "RepairFunction", "Checkpoint", "Repository", "FileChange",
    "PointerChange", "FetchResult", "MergeConflict", "PushResult", "RemoteError", "pull",
    "push", "TreeCheck", "check_tree", "UntrustedTreeError",
    "ForeignEditsError", "OperationInProgressError", "UnsupportedAttributeError",
    "SyncResult", "sync_with", "ArtifactTooLargeError",
}  # fmt: skip

DOCUMENTED_HISTORY_API = {
    "Checkpoint", "CommitInfo", "FetchResult", "FileChange", "PointerChange", "PushResult",
    "Repository", "SyncResult",
}  # fmt: skip

DOCUMENTED_STORAGE_API = {
    "ChangeSet", "Collection", "FilesystemMountDriver", "GitMountDriver",
    "InMemoryMountDriver", "Object", "Storage", "VersionedStorage",
}  # fmt: skip

# Lowest first, by folder. A module may import from its own layer or any layer below it;
# the longest matching prefix of its dotted name places it. The history layer is drawn
# by sub-package, each one private behind ``gitworktree.history`` (the Repository facade).
LAYERS = [
    {"errors", "atomic", "_lazy", "validation.issues"},  # plain data; the lazy fronts
    {"validation"},
    {"history._core"},  # paths, locks, identity, trailers, ref names, damage
    {"history._json"},  # JSON Pointers and the JSON three-way merge
    {"history._objects"},  # raw trees, tree building, commits, log, housekeeping
    {"history._refs"},  # refs, revisions, checkpoints
    {"history._worktree"},  # index, materialize, checkout, status, diff, commit, writelock
    {"history._remote"},  # remotes, transfer, integrate, merge
    {"history"},  # the Repository facade and its collaborators; the layer's public front
    {"storage"},
    {"tree"},
    {"artifacts"},
    {"mounting"},
    # compat: the seeds' APIs, beside the CLI; langgraph: a LangGraph checkpointer (an extra)
    {"cli", "compat", "mcp", "langgraph", "__main__", "__init__"},
]


def layer_of(module: str) -> int:
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        candidate = ".".join(parts[:length])
        for index, names in enumerate(LAYERS):
            if candidate in names:
                return index
    raise AssertionError(f"module {module} is in no layer; add it to LAYERS")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def relative_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def test_public_api_is_exactly_the_documented_names() -> None:
    assert set(gitworktree.__all__) == DOCUMENTED_API
    assert set(gitworktree._SOURCES) == DOCUMENTED_API  # where the lazy __init__ finds each
    assert gitworktree.__all__ == sorted(gitworktree.__all__)
    for name in gitworktree.__all__:
        assert hasattr(gitworktree, name), name


def test_storage_api_is_exactly_the_documented_names() -> None:
    assert set(gitworktree.storage.__all__) == DOCUMENTED_STORAGE_API


@pytest.mark.parametrize("path", modules(), ids=relative_name)
def test_every_module_declares_all(path: Path) -> None:
    if path.name == "__main__.py":
        return
    tree = ast.parse(path.read_text())
    names = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    assert "__all__" in names or (path.name == "__init__.py" and path.stat().st_size == 0)


def is_submodule(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def imported_modules(path: Path) -> list[str]:
    """The package's modules ``path`` imports, dotted below ``gitworktree``.

    ``from gitworktree import X`` is an import of the package front (``__init__``, the top
    layer) unless ``X`` is itself a module, such as ``errors``.
    """
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "gitworktree":
            found += [
                alias.name if is_submodule(alias.name) else "__init__" for alias in node.names
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("gitworktree."):
                found.append(node.module.removeprefix("gitworktree."))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "gitworktree":
                    found.append("__init__")
                elif alias.name.startswith("gitworktree."):
                    found.append(alias.name.removeprefix("gitworktree."))
    return found


@pytest.mark.parametrize("path", modules(), ids=relative_name)
def test_imports_go_downward_only(path: Path) -> None:
    own = layer_of(relative_name(path))
    for module in imported_modules(path):
        assert layer_of(module) <= own, f"{relative_name(path)} imports {module} from above"


@pytest.mark.parametrize("path", modules(), ids=relative_name)
def test_imports_are_absolute(path: Path) -> None:
    relative = [
        f"{'.' * node.level}{node.module or ''}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == [], f"{relative_name(path)}: relative imports hide the layer they reach"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from gitworktree import Repository", ["__init__"]),
        ("import gitworktree", ["__init__"]),
        ("from gitworktree import errors", ["errors"]),
        ("from gitworktree.history._core.paths import x", ["history._core.paths"]),
    ],
    ids=["front-name", "front-module", "submodule-by-name", "dotted"],
)
def test_the_layer_check_sees_every_import_form(
    tmp_path: Path, source: str, expected: list[str]
) -> None:
    module = tmp_path / "probe.py"
    module.write_text(source + "\n")
    assert imported_modules(module) == expected


def test_the_package_front_is_the_top_layer() -> None:
    # A lower layer importing ``from gitworktree import X`` reaches up through the front.
    assert layer_of("__init__") == len(LAYERS) - 1
    assert layer_of("history._core.paths") < layer_of("history._worktree.commit")


def test_history_front_exports_only_documented_names() -> None:
    assert set(gitworktree.history.__all__) == DOCUMENTED_HISTORY_API
    assert set(gitworktree.history._SOURCES) == DOCUMENTED_HISTORY_API  # its lazy table
    assert DOCUMENTED_HISTORY_API <= DOCUMENTED_API
    for name in gitworktree.history.__all__:
        assert hasattr(gitworktree.history, name), name


# What importing one module of the history layer must not bring along: the front loads
# its names on first access, so the rest of the layer is imported only where used.
KEPT_OUT_OF_THE_HISTORY_FRONT = [
    "gitworktree.history._repository",
    "gitworktree.history._remote",
    "gitworktree.history._worktree.commit",
    "dulwich.client",
]


@pytest.mark.parametrize("module", KEPT_OUT_OF_THE_HISTORY_FRONT)
def test_importing_a_history_module_loads_only_what_it_needs(module: str) -> None:
    code = (
        "import sys, gitworktree.history, gitworktree.history._core.info\n"
        f"print({module!r} in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Modules a user may import; every other module is private (a leading underscore in its
# own name or in a package above it) or a sub-package of one of these.
PUBLIC_MODULES = {
    "gitworktree", "gitworktree.storage", "gitworktree.history", "gitworktree.validation",
    "gitworktree.mcp", "gitworktree.compat.worktree", "gitworktree.compat.wellformed",
    "gitworktree.langgraph",
}  # fmt: skip


def test_user_facing_text_imports_only_public_modules() -> None:
    root = PACKAGE.parent
    texts = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    texts += sorted((root / "examples").rglob("*.py")) if (root / "examples").exists() else []
    pattern = re.compile(r"(?:from|import) (gitworktree[\w.]*)")
    for text in texts:
        for module in pattern.findall(text.read_text()):
            private = any(part.startswith("_") for part in module.split("."))
            public = any(module == m or module.startswith(m + ".") for m in PUBLIC_MODULES)
            assert public and not private, f"{text.name} shows an import of {module}"


# Loaded by the first call that needs them, not by ``import gitworktree``: every command
# of the CLI and every agent process starts faster (docs/performance.md, scenario 5).
DEFERRED_MODULES = [
    "click",  # the CLI
    "asyncio",  # async repairs and mutations
    "jsonschema",  # the first JSON Schema check
    "lxml",  # the first XML document
    "dulwich.client",  # remotes: with it the network stack
    "dulwich.patch",  # diffs: with it the email package
    "dulwich.graph",  # merges and fast-forward checks
    "dulwich.diff_tree",  # diffs
    "concurrent.futures",  # parallel fsync of many files
    "pydantic",  # PydanticArtifact: the package's names load on first access
    "gitworktree.artifacts",  # the artifact layer
    "gitworktree.mounting",  # mount, commit, sync
    "gitworktree.history",  # Repository: a history command loads it, not the package
]


@pytest.mark.parametrize("module", DEFERRED_MODULES)
def test_importing_the_package_stays_light(module: str) -> None:
    code = f"import sys, gitworktree; print({module!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def layer_folders() -> list[str]:
    """Every package folder of the top level and of ``history/``: the layers' folders."""
    return sorted(
        f"{folder.name}/"
        for parent in (PACKAGE, PACKAGE / "history")
        for folder in parent.iterdir()
        if (folder / "__init__.py").exists()
    )


@pytest.mark.parametrize("folder", layer_folders())
def test_architecture_page_describes_every_layer_folder(folder: str) -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    assert f"`{folder}" in page or f" {folder}" in page, f"docs/architecture.md omits {folder}"


# What a history command never uses: loading it would only slow every start of the CLI
# (issue 17: within 1.3x of `python -c "import click, dulwich.repo"`, docs/performance.md).
KEPT_OUT_OF_HISTORY_COMMANDS = [
    "pydantic",
    "jsonschema",
    "lxml",
    "gitworktree.artifacts",
    "gitworktree.validation",
    "gitworktree.tree",
    "gitworktree.mounting",
    "gitworktree.storage",
    "importlib.metadata",
    # remotes, merges and the network client: only clone, fetch, pull, push and sync
    "gitworktree.history._remote",
    "gitworktree.history._repository_remotes",
    "dulwich.client",
    # dulwich's patch module imports the email package: patches are written by _worktree/diff
    "dulwich.patch",
    "email",
    # dulwich's index module: we read and patch the index ourselves (version 4 aside)
    "dulwich.index",
    # the split index: loaded with the first index in split form
    "gitworktree.history._worktree.split_index",
    # the other commands' modules: the group imports only the command it runs
    "gitworktree.cli.remotes",
    "gitworktree.cli.pull",
    "gitworktree.cli.tree",
    "gitworktree.cli.mcp",
    "gitworktree.cli.demo",
    # dulwich's worktree container (with tempfile, random, shutil, bz2, lzma): a repository
    # is opened without it (history/_core/opening.py); shlex is loaded to print a command
    "dulwich.worktree",
    "tempfile",
    "shutil",
    "shlex",
]

HISTORY_COMMANDS = {
    "log": ["log", "-n", "20"],
    "show": ["show", "HEAD"],
    "diff": ["diff", "HEAD~1"],
    "status": ["status"],
    "checkpoint list": ["checkpoint", "list"],
    "restore": ["restore", "HEAD~1"],
    # --stat reads the terminal's width (without shutil: it would bring bz2 and lzma)
    "show --stat": ["show", "HEAD", "--stat"],
}


@pytest.fixture
def two_commits(tmp_path: Path) -> Path:
    env = {
        "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
        "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True, env=env)
    for step in range(2):
        (tmp_path / "repo" / "notes.txt").write_text(f"step {step}\n")
        git = ["git", "-C", str(tmp_path / "repo")]
        subprocess.run([*git, "add", "-A"], check=True, env=env)
        subprocess.run([*git, "commit", "-q", "-m", f"step {step}"], check=True, env=env)
    return tmp_path / "repo"


@pytest.mark.parametrize("argv", HISTORY_COMMANDS.values(), ids=HISTORY_COMMANDS.keys())
def test_history_commands_load_neither_the_artifact_layer_nor_remotes(
    two_commits: Path, argv: list[str]
) -> None:
    assert _loaded_by(two_commits, argv, KEPT_OUT_OF_HISTORY_COMMANDS) == []


# What the read-only history commands load only when the repository asks for it: JSON
# parsing for a .json file diffed on both sides, the ignore rules for an untracked path,
# the attributes machinery for an attributes file, the cached trees for an index update.
# `two_commits` has none of these (a clean tree of text).
LOADED_ONLY_WHEN_NEEDED = [
    "json",
    "dulwich.diff_tree",  # trees are compared by our raw-tree diff
    "dulwich.ignore",
    "dulwich.attrs",
    "gitworktree.history._worktree.cache_tree",
]


@pytest.mark.parametrize(
    "argv",
    [argv for name, argv in HISTORY_COMMANDS.items() if name != "restore"],
    ids=[name for name in HISTORY_COMMANDS if name != "restore"],
)
def test_read_only_history_commands_load_only_what_the_repository_needs(
    two_commits: Path, argv: list[str]
) -> None:
    assert _loaded_by(two_commits, argv, LOADED_ONLY_WHEN_NEEDED) == []


def _loaded_by(repo: Path, argv: list[str], modules: list[str]) -> list[str]:
    """Which of ``modules`` the CLI has loaded once ``argv`` ran on ``repo`` (a fresh
    process)."""
    code = (
        "import sys\n"
        "from gitworktree.cli import main\n"
        f"sys.argv = ['gitworktree', '-C', {str(repo)!r}, *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        f"loaded = [m for m in {modules!r} if m in sys.modules]\n"
        "print(repr(loaded), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    loaded: list[str] = ast.literal_eval(out.stderr.strip().splitlines()[-1])
    return loaded
