"""The shape of the package: one public surface, every module's __all__, downward imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gitworktree
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

DOCUMENTED_STORAGE_API = {
    "ChangeSet", "Collection", "FilesystemMountDriver", "GitMountDriver",
    "InMemoryMountDriver", "Object", "Storage",
}  # fmt: skip

# Lowest first. A module may import from its own layer or any layer below it.
LAYERS = [
    {"errors", "atomic", "validation.issues"},  # plain data the error types carry
    {"validation"},
    {"history"},
    {"storage"},
    {"tree"},
    {"artifacts"},
    {"mounting"},
    {"cli", "compat", "mcp", "__main__", "__init__"},  # compat: the seeds' APIs, beside the CLI
]


def layer_of(module: str) -> int:
    for candidate in (module, module.split(".")[0]):
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


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("gitworktree."):
                found.append(node.module.removeprefix("gitworktree."))
        elif isinstance(node, ast.Import):
            found += [
                alias.name.removeprefix("gitworktree.")
                for alias in node.names
                if alias.name.startswith("gitworktree.")
            ]
    return found


@pytest.mark.parametrize("path", modules(), ids=relative_name)
def test_imports_go_downward_only(path: Path) -> None:
    own = layer_of(relative_name(path))
    for module in imported_modules(path):
        assert layer_of(module) <= own, f"{relative_name(path)} imports {module} from above"


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
]


@pytest.mark.parametrize("module", DEFERRED_MODULES)
def test_importing_the_package_stays_light(module: str) -> None:
    code = f"import sys, gitworktree; print({module!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
