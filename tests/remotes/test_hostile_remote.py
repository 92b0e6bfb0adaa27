"""A hostile remote never writes outside the tree, into ``.git``, or anywhere at all.

Each remote is built from raw objects (`tests.remotes.hostile`): a first, harmless
commit, then one whose tree names ``..``, ``.git`` in the spellings HFS+ and NTFS
accept, an absolute path, a link out, and so on. Clone, pull (fast-forward and merge,
with and without a mounted tree), merge, restore, checkout recovery and mounting at a
revision must each refuse with `UntrustedTreeError` before anything is written: the
whole temporary directory (the clone and its ``.git``, the hub, a sibling directory, the
file an absolute path names) hashes the same before and after, and no ref moved.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from dulwich.repo import Repo

from gitworktree import RemoteError, UntrustedTreeError, mount, pull
from gitworktree.history import Repository
from tests.cli.conftest import SCRIPT, invoke
from tests.remotes.conftest import serve_git_protocol
from tests.remotes.hostile import (
    Gitlink,
    Link,
    Node,
    Raw,
    blob,
    commit,
    hostile_commit,
    set_branch,
    snapshot,
    tree,
    write_object,
)
from tests.remotes.models import AgentState

Entries = Sequence[tuple[bytes, Node]]

#: The blob id of b"hello\n" (the harmless commit's notes.txt).
HELLO = "ce013625030ba8dba906f756967f9e9ca394464a"

#: Hostile tree entries, each refused wherever it is read: (id, entries, refused path).
NAMES: list[tuple[str, Entries, str]] = [
    ("dot-dot", [(b"..", [(b"escaped.txt", b"out\n")])], ".."),
    ("slash-traversal", [(b"a/../../x", b"out\n")], "a/../../x"),
    ("dot", [(b".", [(b"x", b"x\n")])], "."),
    ("empty-name", [(b"", b"x\n")], ""),
    ("dotgit-hooks", [(b".git", [(b"hooks", [(b"post-checkout", b"#!/bin/sh\n")])])], ".git"),
    ("dotgit-config", [(b".git/config", b"[core]\n\tfsmonitor = evil\n")], ".git/config"),
    ("dotgit-upper", [(b".GIT", [(b"config", b"[core]\n")])], ".GIT"),
    ("dotgit-nested", [(b"d", [(b".git", [(b"config", b"[core]\n")])])], "d/.git"),
    ("hfs-ignorable", [(".g\u200cit".encode(), [(b"config", b"x")])], ".g\u200cit"),
    ("hfs-bom", [("\ufeff.git".encode(), [(b"config", b"x")])], "\ufeff.git"),
    ("ntfs-trailing-dot", [(b".git.", [(b"config", b"x")])], ".git."),
    ("ntfs-trailing-space", [(b".git ", [(b"config", b"x")])], ".git "),
    ("ntfs-short-name", [(b"GIT~1", [(b"config", b"x")])], "GIT~1"),
    ("ntfs-stream", [(b".git::$INDEX_ALLOCATION", [(b"config", b"x")])],
     ".git::$INDEX_ALLOCATION"),
    ("ntfs-backslash", [(b"x\\.git\\config", b"x")], "x\\.git\\config"),
    ("duplicate-file", [(b"notes.txt", b"second\n")], "notes.txt"),
    ("file-and-directory", [(b"d", b"x"), (b"d", [(b"y", b"y")])], "d"),
    ("gitmodules-symlink", [(b".gitmodules", Link(b"notes.txt"))], ".gitmodules"),
    ("unknown-mode", [(b"odd", Raw(b"100000", HELLO))], "odd"),
    ("long-name", [(b"x" * 300, b"x")], "x" * 300),
]  # fmt: skip

#: Symbolic links that lead out of the tree or into .git: refused where they would be
#: written, before the branch moves.
LINKS: list[tuple[str, Entries, str]] = [
    ("link-up", [(b"up", Link(b"../outside"))], "up"),
    ("link-absolute", [(b"abs", Link(b"/etc"))], "abs"),
    ("link-into-dotgit", [(b"hooks", Link(b".git/hooks"))], "hooks"),
    ("link-through-dot", [(b"d", [(b"back", Link(b"./../../x"))])], "d/back"),
]

CASES = {case[0]: case for case in NAMES + LINKS}

#: One of each kind, for the entry points beyond clone (every name is read by the same
#: parser: tests/history/test_untrusted_names.py holds them all against git fsck).
SOME = [CASES["slash-traversal"], CASES["dotgit-hooks"], CASES["link-into-dotgit"]]


@dataclass
class Scene:
    """A temporary directory holding a hub, a sibling directory and a file outside."""

    root: Path
    hub: Path
    harmless: str

    def publish(self, entries: Entries) -> str:
        """Move the hub's main to a hostile commit on top of the harmless one."""
        sha = hostile_commit(self.hub, entries, parent=self.harmless)
        set_branch(self.hub, sha)
        return sha

    def state(self) -> dict[str, tuple[str, str]]:
        """Everything under the temporary directory (the hub, clones, sibling, outside)."""
        return snapshot(self.root)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    hub = tmp_path / "hub.git"
    Repo.init_bare(hub, mkdir=True, default_branch=b"main").close()
    harmless = commit(hub, tree(hub, [(b"notes.txt", b"hello\n")]), message="harmless")
    set_branch(hub, harmless)
    (tmp_path / "sibling").mkdir()
    (tmp_path / "sibling" / "keep.txt").write_text("mine\n")
    (tmp_path / "outside").write_text("do not overwrite\n")
    return Scene(tmp_path, hub, harmless)


def refs(path: Path) -> dict[bytes, bytes]:
    with Repo(str(path)) as repo:
        return {ref: repo.refs.read_ref(ref) or b"" for ref in repo.refs.allkeys()}


def assert_refused(error: UntrustedTreeError, path: str, sha: str) -> None:
    assert error.path == path
    assert error.commit == sha
    assert repr(path) in str(error) and sha in str(error)


# -- clone ----------------------------------------------------------------------------


@pytest.mark.parametrize(("entries", "path"), [c[1:] for c in NAMES + LINKS],
                         ids=[c[0] for c in NAMES + LINKS])  # fmt: skip
def test_clone_of_a_hostile_tree_is_refused_and_leaves_nothing(
    scene: Scene, entries: Entries, path: str
) -> None:
    sha = scene.publish(entries)
    before = scene.state()
    with pytest.raises(UntrustedTreeError) as caught:
        Repository.clone(str(scene.hub), scene.root / "clone")
    assert_refused(caught.value, path, sha)
    assert scene.state() == before


def test_an_absolute_path_never_overwrites_the_file_it_names(scene: Scene) -> None:
    outside = str(scene.root / "outside")
    sha = scene.publish([(outside.encode(), b"overwritten\n")])
    before = scene.state()
    with pytest.raises(UntrustedTreeError) as caught:
        Repository.clone(str(scene.hub), scene.root / "clone")
    assert_refused(caught.value, outside, sha)
    assert scene.state() == before


def test_a_nul_inside_an_entry_name_is_a_clear_error(scene: Scene) -> None:
    # "a\0b" ends the name at the first NUL: the rest is read as an id, then garbage.
    body = b"100644 a\0b\0" + bytes.fromhex(blob(scene.hub, b"x")) + b"100644 c\0" + b"\1" * 20
    bad = write_object(scene.hub, "tree", body)
    set_branch(scene.hub, commit(scene.hub, bad, [scene.harmless]))
    before = scene.state()
    with pytest.raises(RemoteError):  # the remote sent a malformed object
        Repository.clone(str(scene.hub), scene.root / "clone")
    assert scene.state() == before


def test_submodule_entries_are_never_written(scene: Scene) -> None:
    scene.publish([(b"vendor", Gitlink())])
    with Repository.clone(str(scene.hub), scene.root / "clone") as repo:
        assert not (repo.path / "vendor").exists()
        assert (repo.path / "notes.txt").read_text() == "hello\n"


def test_a_submodule_replacing_a_file_is_refused(scene: Scene, cloned: Repository) -> None:
    swapped = commit(scene.hub, tree(scene.hub, [(b"notes.txt", Gitlink())]), [scene.harmless])
    set_branch(scene.hub, swapped)
    cloned.fetch()
    before, refs_before = scene.state(), refs(cloned.path)
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.pull()
    assert_refused(caught.value, "notes.txt", swapped)
    assert scene.state() == before
    assert refs(cloned.path) == refs_before


def test_a_link_that_goes_down_is_written(scene: Scene) -> None:
    scene.publish([(b"docs", [(b"readme", Link(b"../notes.txt"))]), (b"top", Link(b"notes.txt"))])
    with pytest.raises(UntrustedTreeError):  # ../ is refused, even when it stays inside
        Repository.clone(str(scene.hub), scene.root / "refused")
    scene.publish([(b"top", Link(b"notes.txt"))])
    with Repository.clone(str(scene.hub), scene.root / "clone") as repo:
        assert (repo.path / "top").read_text() == "hello\n"


def test_clone_through_a_git_server_is_refused(scene: Scene) -> None:
    _, entries, path = CASES["dot-dot"]
    sha = scene.publish(entries)
    before = scene.state()
    with serve_git_protocol(scene.hub) as url, pytest.raises(UntrustedTreeError) as caught:
        Repository.clone(url, scene.root / "clone")
    assert_refused(caught.value, path, sha)
    assert scene.state() == before


#: What the fetch half of a pull writes, as ``git pull`` does: objects and the
#: remote-tracking branch (nothing checks them out).
FETCHED = (".git/objects/", ".git/refs/remotes/", ".git/logs/refs/remotes/")


def test_pull_through_a_git_server_is_refused(scene: Scene) -> None:
    with serve_git_protocol(scene.hub) as url, Repository.clone(url, scene.root / "c") as repo:
        sha = scene.publish(CASES["dotgit-hooks"][1])
        before, refs_before = scene.state(), refs(repo.path)
        with pytest.raises(UntrustedTreeError) as caught:
            repo.pull()
        assert_refused(caught.value, ".git", sha)
        after, refs_after = scene.state(), refs(repo.path)
    unfetched = {
        path for path in before.keys() | after.keys() if not any(f in path for f in FETCHED)
    }
    assert {p: after.get(p) for p in unfetched} == {p: before.get(p) for p in unfetched}
    assert {ref for ref in refs_after if refs_after[ref] != refs_before.get(ref)} == {
        b"refs/remotes/origin/main"
    }


# -- after a clone: pull, merge, restore, recovery, mount at a revision --------------------


@pytest.fixture
def cloned(scene: Scene) -> Iterator[Repository]:
    repo = Repository.clone(str(scene.hub), scene.root / "clone")
    yield repo
    repo.close()


def _fetched(scene: Scene, repo: Repository, entries: Entries) -> str:
    sha = scene.publish(entries)
    repo.fetch()
    return sha


Action = Callable[[Repository], object]

ACTIONS: dict[str, Action] = {
    "pull-fast-forward": lambda repo: repo.pull(),
    "merge-rev": lambda repo: repo.merge("origin/main"),
    "restore": lambda repo: repo.restore("origin/main"),
    "restore-hard": lambda repo: repo.restore("origin/main", hard=True),
}


@pytest.mark.parametrize("action", sorted(ACTIONS), ids=sorted(ACTIONS))
@pytest.mark.parametrize(("entries", "path"), [c[1:] for c in SOME], ids=[c[0] for c in SOME])
def test_bringing_in_a_hostile_tree_is_refused(
    scene: Scene, cloned: Repository, action: str, entries: Entries, path: str
) -> None:
    sha = _fetched(scene, cloned, entries)
    before, refs_before = scene.state(), refs(cloned.path)
    with pytest.raises(UntrustedTreeError) as caught:
        ACTIONS[action](cloned)
    assert_refused(caught.value, path, sha)
    assert scene.state() == before
    assert refs(cloned.path) == refs_before


@pytest.mark.parametrize(("entries", "path"), [c[1:] for c in SOME], ids=[c[0] for c in SOME])
def test_a_merge_with_a_hostile_tree_is_refused(
    scene: Scene, cloned: Repository, entries: Entries, path: str
) -> None:
    cloned.commit_changes({"mine.txt": b"ours\n"}, message="ours")
    sha = _fetched(scene, cloned, entries)
    before, refs_before = scene.state(), refs(cloned.path)
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.pull()
    assert_refused(caught.value, path, sha)
    assert scene.state() == before
    assert refs(cloned.path) == refs_before


def test_restoring_a_directory_holding_a_hostile_entry_is_refused(
    scene: Scene, cloned: Repository
) -> None:
    sha = _fetched(scene, cloned, [(b"d", [(b"..", [(b"x", b"out")])])])
    before = scene.state()
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.restore("origin/main", paths=["d"])
    assert_refused(caught.value, "d/..", sha)
    assert scene.state() == before


def test_recovering_a_checkout_onto_a_hostile_head_writes_nothing(
    scene: Scene, cloned: Repository
) -> None:
    sha = _fetched(scene, cloned, CASES["dotgit-hooks"][1])
    set_branch(cloned.control_dir, sha)  # moved by another tool, files not written yet
    before = scene.state()
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.recover_worktree()
    assert_refused(caught.value, ".git", sha)
    assert scene.state() == before


def test_recovery_never_deletes_outside_the_tree_for_a_damaged_index(
    scene: Scene, cloned: Repository
) -> None:
    from dulwich.index import Index, IndexEntry

    outside = scene.root / "sibling" / "keep.txt"
    info = outside.stat()
    index = Index(str(cloned.control_dir / "index"))
    sha = blob(cloned.control_dir, outside.read_bytes()).encode()
    index[b"../sibling/keep.txt"] = IndexEntry(
        (int(info.st_ctime), 0), (int(info.st_mtime), 0), info.st_dev, info.st_ino,
        0o100644, info.st_uid, info.st_gid, info.st_size, sha,
    )  # fmt: skip
    index.write()
    before = scene.state()
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.recover_worktree()
    assert caught.value.path == "../sibling/keep.txt"
    assert scene.state() == before


def test_the_log_of_a_hostile_commit_names_it(scene: Scene, cloned: Repository) -> None:
    sha = _fetched(scene, cloned, CASES["slash-traversal"][1])
    with pytest.raises(UntrustedTreeError) as caught:
        cloned.log(rev="origin/main")
    assert_refused(caught.value, "a/../../x", sha)


def test_mounting_at_a_hostile_revision_is_refused(scene: Scene, cloned: Repository) -> None:
    _fetched(scene, cloned, CASES["dot-dot"][1])
    before = scene.state()
    with pytest.raises(UntrustedTreeError):
        mount(AgentState, cloned.path, rev="origin/main")
    assert scene.state() == before


def test_a_mounted_tree_pull_is_refused(scene: Scene) -> None:
    state = mount(AgentState, scene.root / "clone", clone_from=str(scene.hub))
    sha = _fetched(scene, state.repo, CASES["link-into-dotgit"][1])
    before, refs_before = scene.state(), refs(state.repo.path)
    with pytest.raises(UntrustedTreeError) as caught:
        pull(state)
    assert_refused(caught.value, "hooks", sha)
    assert scene.state() == before
    assert refs(state.repo.path) == refs_before
    state.repo.close()


MOUNTED: dict[str, Callable[[AgentState], object]] = {
    "pull": pull,
    "restore": lambda state: state.restore("origin/main"),
}


@pytest.mark.parametrize("action", sorted(MOUNTED), ids=sorted(MOUNTED))
def test_a_mounted_tree_refuses_a_link_where_an_artifact_is_declared(
    scene: Scene, action: str
) -> None:
    state = mount(AgentState, scene.root / "clone", clone_from=str(scene.hub))
    linked = commit(
        scene.hub, tree(scene.hub, [(b"notes.txt", Link(b"plan.json"))]), [scene.harmless]
    )
    set_branch(scene.hub, linked)
    state.repo.fetch()
    before, refs_before = scene.state(), refs(state.repo.path)
    with pytest.raises(UntrustedTreeError) as caught:
        MOUNTED[action](state)
    assert_refused(caught.value, "notes.txt", linked)
    assert scene.state() == before
    assert refs(state.repo.path) == refs_before
    state.repo.close()


# -- the command line ---------------------------------------------------------------------


def test_cli_clone_refuses_in_one_sentence(scene: Scene) -> None:
    sha = scene.publish(CASES["dotgit-hooks"][1])
    before = scene.state()
    result = invoke("-C", scene.root, "clone", scene.hub, "clone")
    assert result.exit_code == 1
    assert "'.git'" in result.output and sha in result.output
    assert "this is a bug" not in result.output
    assert scene.state() == before


COMMANDS = [
    ["pull"],
    ["pull", "--tree", "tests.remotes.models:AgentState"],
    ["restore", "origin/main"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=["pull", "pull-tree", "restore"])
def test_cli_commands_refuse_a_fetched_hostile_tree(
    scene: Scene, cloned: Repository, command: list[str]
) -> None:
    if "--tree" in command:
        mount(AgentState, cloned.path)  # its first commit: before the pull is refused
    sha = _fetched(scene, cloned, CASES["slash-traversal"][1])
    before = scene.state()
    result = invoke("-C", cloned.path, *command)
    assert result.exit_code == 1, result.output
    assert "'a/../../x'" in result.output and sha in result.output
    assert scene.state() == before


def test_the_installed_command_refuses_a_hostile_clone(scene: Scene) -> None:
    sha = scene.publish(CASES["dotgit-config"][1])
    before = scene.state()
    done = subprocess.run(
        [str(SCRIPT), "-C", str(scene.root), "clone", str(scene.hub), "clone"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "'.git/config'" in done.stderr and sha in done.stderr
    assert scene.state() == before
