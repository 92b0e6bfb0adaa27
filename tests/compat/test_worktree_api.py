"""worktree's documented API beyond the README examples, on every compat driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import gitworktree
from gitworktree.compat.worktree.contract import (
    BaseWorktreeItem,
    LayoutAnchor,
    MissingInitialStateError,
    Worktree,
)
from gitworktree.compat.worktree.decorators import UnreachableWorktreeAction
from gitworktree.compat.worktree.impl.accessibility.filesystem import FilesystemMountDriver
from gitworktree.compat.worktree.impl.accessibility.git import GitMountDriver
from gitworktree.compat.worktree.impl.accessibility.memory import InMemoryMountDriver
from gitworktree.compat.worktree.impl.items.pydantic_model import PydanticArtifact
from gitworktree.compat.worktree.mounting.accessible import (
    Collection,
    MountDriver,
    NoMountpoint,
    Object,
    RootCollection,
    WrongAccessibleTypeException,
)
from gitworktree.compat.worktree.mounting.base import BaseMounter
from gitworktree.compat.worktree.mounting.claim import CollectionClaim, ObjectClaim
from gitworktree.errors import NodeKindError
from tests.oracle import git_lines

DRIVERS = ["memory", "filesystem", "git"]


@pytest.fixture(params=DRIVERS, ids=DRIVERS)
def root(request: pytest.FixtureRequest, tmp_path: Path) -> RootCollection:
    """A fresh root collection of each compat mount driver."""
    if request.param == "memory":
        return InMemoryMountDriver().mount(NoMountpoint())
    if request.param == "git":
        return GitMountDriver().mount(tmp_path / "data")
    return FilesystemMountDriver().mount(tmp_path / "data")


class Counter(PydanticArtifact):
    number: int = 0


class Needs(PydanticArtifact):
    token: str


# --- storage nodes ----------------------------------------------------------------------


def test_object_round_trips_binary_and_text(root: RootCollection) -> None:
    binary = root.touch("data.bin")
    assert binary.read_binary() == b""
    binary.write_binary(b"\x00\x01\xff")
    text = root.touch("sub/hello.txt")
    text.write_text("héllo")
    assert (binary.read_binary(), text.read_text(), text.name()) == (
        b"\x00\x01\xff",
        "héllo",
        "hello.txt",
    )


def test_find_and_exists_distinguish_objects_from_collections(root: RootCollection) -> None:
    root.touch("file.txt")
    root.mkdir("folder/inner")
    assert isinstance(root.find_object("file.txt"), Object)
    assert isinstance(root.find_collection("folder/inner"), Collection)
    assert (root.find_object("nothing"), root.find("nothing")) == (None, None)
    assert [root.exists_object("file.txt"), root.exists_object("folder")] == [True, False]
    assert [root.exists_collection("folder"), root.exists_collection("file.txt")] == [True, False]


@pytest.mark.parametrize(
    ("path", "lookup"),
    [("file.txt", "find_collection"), ("folder", "find_object")],
    ids=["collection-asked-object-found", "object-asked-collection-found"],
)
def test_finding_the_wrong_kind_raises(root: RootCollection, path: str, lookup: str) -> None:
    root.touch("file.txt")
    root.mkdir("folder")
    with pytest.raises(WrongAccessibleTypeException) as caught:
        getattr(root, lookup)(path)
    assert isinstance(caught.value, NodeKindError)


def test_touching_a_collection_raises(root: RootCollection) -> None:
    root.mkdir("folder")
    with pytest.raises(WrongAccessibleTypeException):
        root.touch("folder")


def test_rm_removes_a_collection_with_its_children(root: RootCollection) -> None:
    root.touch("folder/a/b.txt")
    root.rm("folder")
    assert not root.exists("folder")


def test_ls_lists_children_as_nodes(root: RootCollection) -> None:
    root.touch("b.txt")
    root.mkdir("a")
    listed = {(node.name(), type(node).__mro__[1].__name__) for node in root.ls()}
    assert {("a", "_Node"), ("b.txt", "_Node")} == listed


@pytest.mark.parametrize("path", ["../escape.txt", "a/../../escape.txt"], ids=["parent", "nested"])
def test_paths_cannot_leave_the_mounted_root(root: RootCollection, path: str) -> None:
    with pytest.raises(gitworktree.UnsafePathError):
        root.touch(path)


# --- items driven directly ----------------------------------------------------------------


def test_an_item_synced_alone_creates_its_object_from_defaults(root: RootCollection) -> None:
    counter = Counter("counter", root)
    counter.sync()
    stored = root.find_object("counter.json")
    assert stored is not None
    assert stored.read_text() == '{\n  "number": 0\n}\n'


def test_an_item_commit_writes_its_value_and_a_fresh_item_reads_it(root: RootCollection) -> None:
    counter = Counter("counter", root)
    counter.sync()
    counter.number = 41
    counter.commit()
    again = Counter("counter", root)
    again.sync()
    assert (again.number, again.value() is again, again.ownership_claims()) == (
        41,
        True,
        [ObjectClaim(path=Path("counter.json"))],
    )


def test_an_anchor_synced_alone_creates_its_collection(root: RootCollection) -> None:
    logs = LayoutAnchor("logs", root)
    logs.sync()
    assert (logs.handle().name(), root.exists_collection("logs")) == ("logs", True)
    assert logs.ownership_claims() == [CollectionClaim(path=Path("logs"))]


class Recorder(BaseWorktreeItem):
    """A custom item: one object, one collection; it records every hook call."""

    calls: list[str]

    def ownership_claims(self):
        return [ObjectClaim(path=Path("note.txt")), CollectionClaim(path=Path("attachments"))]

    def initialize_object(self, path, obj):
        self.calls.append(f"initialize_object {path}")

    def validate_object(self, path, obj):
        self.calls.append(f"validate_object {path} {obj.read_text()!r}")

    def commit_object(self, path, obj):
        self.calls.append(f"commit_object {path}")
        obj.write_text("written")

    def initialize_collection(self, path, collection):
        self.calls.append(f"initialize_collection {path}")

    def validate_collection(self, path, collection):
        self.calls.append(f"validate_collection {path}")

    def commit_collection(self, path, collection):
        self.calls.append(f"commit_collection {path}")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            ["sync"],
            [
                "initialize_object note.txt",
                "commit_object note.txt",
                "initialize_collection attachments",
                "commit_collection attachments",
            ],
        ),
        (
            ["sync", "sync"],
            ["validate_object note.txt 'written'", "validate_collection attachments"],
        ),
        (["sync", "commit"], ["commit_object note.txt", "commit_collection attachments"]),
    ],
    ids=["missing-is-initialized-and-committed", "present-is-validated", "commit-writes-claims"],
)
def test_custom_item_hooks_run_in_the_documented_order(
    root: RootCollection, steps: list[str], expected: list[str]
) -> None:
    item = Recorder("recorder", root)
    for step in steps:
        item.calls = []
        getattr(item, step)()
    assert item.calls == expected


def test_a_pydantic_artifact_never_handles_collections(root: RootCollection) -> None:
    with pytest.raises(UnreachableWorktreeAction):
        Counter("counter", root).commit_collection(Path("x"), root.mkdir("x"))


def test_items_are_syncable_for_gitworktree_too(root: RootCollection) -> None:
    assert isinstance(Counter("counter", root), gitworktree.Syncable)


# --- errors ---------------------------------------------------------------------------------


class Deep(Worktree):
    class App(LayoutAnchor):
        class Storage(LayoutAnchor):
            needs: Needs

        storage: Storage

    app: App


def test_missing_initial_state_names_the_item_path(root: RootCollection) -> None:
    with pytest.raises(MissingInitialStateError) as caught:
        BaseMounter(root).mount(Deep)
    assert caught.value.item_name == "app.storage.needs.token"
    assert isinstance(caught.value, gitworktree.MissingInitialStateError)


def test_initial_states_fill_what_defaults_do_not(root: RootCollection) -> None:
    tree = BaseMounter(root).mount(Deep, {"app": {"storage": {"needs": {"token": "t"}}}})
    assert tree.app.storage.needs.token == "t"


@pytest.mark.parametrize(
    ("stored", "kind", "where"),
    [
        ('{"number": NaN}', "json_invalid", "counter.json:1:12:"),
        ('{"number": "many"}', "int_parsing", "counter.json:1:12: at /number:"),
    ],
    ids=["not-strict-json", "not-the-model"],
)
def test_invalid_stored_content_raises_a_located_validation_error(
    root: RootCollection, stored: str, kind: str, where: str
) -> None:
    root.touch("counter.json").write_text(stored)
    with pytest.raises(ValidationError) as caught:
        Counter("counter", root).sync()
    assert caught.value.errors()[0]["type"] == kind
    assert caught.value.__notes__[0].strip().startswith(where)


def test_a_git_root_commits_only_what_the_tree_wrote(tmp_path: Path) -> None:
    tree = BaseMounter(GitMountDriver().mount(tmp_path / "data")).mount(
        type("T", (Worktree,), {"__annotations__": {"counter": Counter}})
    )
    (tmp_path / "data" / "scratch.txt").write_text("a person's edit")
    tree.counter.number = 5
    tree.commit("count to five")
    assert git_lines(tmp_path / "data", "log", "--format=%s")[0] == "count to five"
    assert git_lines(tmp_path / "data", "status", "--porcelain") == ["?? scratch.txt"]


class Pruner(BaseWorktreeItem):
    """A custom item that owns a collection and deletes one file from it on commit."""

    def ownership_claims(self):
        return [CollectionClaim(path=Path("cache"))]

    def initialize_collection(self, path, collection):
        collection.touch("stale.txt").write_text("old")

    def commit_collection(self, path, collection):
        if getattr(self, "prune", False):
            collection.rm("stale.txt")


def test_a_git_root_commits_deletions_made_through_the_contract(tmp_path: Path) -> None:
    data = tmp_path / "data"
    item = Pruner("pruner", GitMountDriver().mount(data))
    item.sync()
    assert git_lines(data, "ls-tree", "-r", "--name-only", "HEAD") == ["cache/stale.txt"]
    item.prune = True
    item.commit("prune")
    assert git_lines(data, "ls-tree", "-r", "--name-only", "HEAD") == []
    assert git_lines(data, "status", "--porcelain") == []


def test_an_annotation_that_cannot_be_resolved_is_an_error(root: RootCollection) -> None:
    class Local(PydanticArtifact):  # local to this function: a string annotation can't see it
        n: int = 0

    class Tree(Worktree):
        local: Local

    with pytest.raises(TypeError, match="'Local'"):
        BaseMounter(root).mount(Tree)


class InnerTree(Worktree):
    counter: Counter


class InLayout(LayoutAnchor):
    inner: InnerTree


class OuterTree(Worktree):
    inner: InnerTree
    layout: InLayout


def test_a_sub_worktree_runs_in_its_own_collection_and_commits_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tree = BaseMounter(GitMountDriver().mount(data)).mount(OuterTree)
    tree.inner.counter.number, tree.layout.inner.counter.number = 3, 4
    tree.inner.commit("inner only")
    assert git_lines(data, "show", "--format=%s", "--name-only", "HEAD") == [
        "inner only",
        "inner/counter.json",
    ]
    tree.commit("the rest")
    again = BaseMounter(GitMountDriver().mount(data)).mount(OuterTree)
    assert (again.inner.counter.number, again.layout.inner.counter.number) == (3, 4)
    assert git_lines(data, "status", "--porcelain") == []


class DictObject(Object):
    """A user's own backend, as worktree invites: one key of a dict."""

    def __init__(self, store: dict[str, bytes], key: str) -> None:
        self.store, self.key = store, key

    def path(self) -> Path:
        return Path("/", self.key)

    def read_text(self) -> str:
        return self.store[self.key].decode()

    def write_text(self, data: str) -> None:
        self.store[self.key] = data.encode()

    def read_binary(self) -> bytes:
        return self.store[self.key]

    def write_binary(self, data: bytes) -> None:
        self.store[self.key] = data


class DictCollection(Collection):
    """Directories are key prefixes (flat names are enough for a tree of artifacts)."""

    def __init__(self, store: dict[str, bytes]) -> None:
        self.store = store

    def path(self) -> Path:
        return Path("/")

    def ls(self):
        return [DictObject(self.store, key) for key in sorted(self.store)]

    def rm(self, path) -> None:
        self.store.pop(str(path), None)

    def mkdir(self, path):
        raise NotImplementedError("flat")

    def touch(self, path) -> DictObject:
        self.store.setdefault(str(path), b"")
        return DictObject(self.store, str(path))

    def find(self, path, accessible_type="any"):
        return DictObject(self.store, str(path)) if str(path) in self.store else None

    def exists(self, path, accessible_type="any") -> bool:
        return str(path) in self.store


class DictDriver(MountDriver[dict]):
    def mount(self, mountpoint: dict) -> DictCollection:
        return DictCollection(mountpoint)


class CounterTree(Worktree):
    counter: Counter


def test_a_users_own_storage_driver_mounts_a_tree() -> None:
    store: dict[str, bytes] = {}
    tree = BaseMounter(DictDriver().mount(store)).mount(CounterTree)
    tree.counter.number = 7
    tree.commit()
    again = BaseMounter(DictDriver().mount(store)).mount(CounterTree)
    assert (again.counter.number, sorted(store)) == (7, ["counter.json"])


class Logs(LayoutAnchor):
    """Overrides a hook without calling super(), as worktree allowed."""

    counter: Counter

    def initialize_collection(self, path, collection):
        collection.touch("README.txt").write_text("logs go here")


class WithLogs(Worktree):
    logs: Logs


def test_a_layout_whose_hook_skips_super_still_mounts_its_children(root: RootCollection) -> None:
    tree = BaseMounter(root).mount(WithLogs)
    assert (tree.logs.counter.number, tree.logs.handle().name()) == (0, "logs")
    assert root.exists_object("logs/README.txt") and root.exists_object("logs/counter.json")
