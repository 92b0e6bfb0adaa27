"""Repository shapes people make with plain git: each works as git does, or is refused.

Refused (nothing written — the whole directory, ``.git`` included, is fingerprinted before
and after): a bare repository, a directory inside one or inside ``.git``, a sha256
repository or an unknown extension, a sparse checkout. Supported, with git as the oracle:
reading a bare repository with ``mount(rev=...)``, shallow clones (history ends at the
boundary), linked worktrees, ``GIT_*_DATE``, executable bits; a parent repository that
tracks the mounted directory is a logged warning.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitworktree import (
    CheckpointError,
    InvalidNameError,
    RemoteError,
    UnknownRevisionError,
    UnsupportedRepositoryError,
    mount,
)
from gitworktree.history import Repository
from tests.cli.conftest import invoke
from tests.git.shapes import fingerprint
from tests.oracle import git, git_lines
from tests.tree.models import CounterTree, ProjectTree


def _counted(root: Path, numbers: range) -> list[str]:
    """Mount and commit ``counter.json`` once per number; the commit ids, oldest first."""
    tree = mount(CounterTree, root)
    shas = []
    for number in numbers:
        tree.counter.number = number
        info = tree.commit(f"Count {number}")
        assert info is not None
        shas.append(info.sha)
    return shas


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A bare repository holding a counter at 2, as a Git host keeps it."""
    _counted(tmp_path / "source", range(1, 3))
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "source"), str(tmp_path / "b.git"))
    return tmp_path / "b.git"


# --- bare repositories and .git directories --------------------------------------------

WHERE = {
    "the bare repository": lambda bare: bare,
    "a directory inside it": lambda bare: bare / "state",
    "its refs directory": lambda bare: bare / "refs",
}


@pytest.mark.parametrize("where", sorted(WHERE), ids=sorted(WHERE))
def test_a_mount_refuses_a_bare_repository_and_writes_nothing(bare: Path, where: str) -> None:
    before = fingerprint(bare)

    with pytest.raises(UnsupportedRepositoryError, match="bare repository") as raised:
        mount(CounterTree, WHERE[where](bare))

    assert raised.value.reason == "bare"
    assert fingerprint(bare) == before
    assert git(bare, "rev-parse", "--is-bare-repository").strip() == "true"


def test_a_mount_refuses_a_directory_inside_a_git_directory(tmp_path: Path) -> None:
    _counted(tmp_path / "repo", range(1, 2))
    before = fingerprint(tmp_path / "repo")

    with pytest.raises(UnsupportedRepositoryError, match="inside the git directory") as raised:
        mount(CounterTree, tmp_path / "repo" / ".git" / "state")

    assert raised.value.reason == "inside-git-dir"
    assert fingerprint(tmp_path / "repo") == before


def test_cli_init_refuses_a_bare_repository(bare: Path) -> None:
    before = fingerprint(bare)

    result = invoke("init", bare)

    assert result.exit_code == 1
    assert "bare repository" in result.output and "git clone" in result.output
    assert fingerprint(bare) == before


def test_a_bare_repository_is_read_with_mount_rev(bare: Path) -> None:
    before = fingerprint(bare)

    tree = mount(CounterTree, bare, rev="main")
    older = mount(CounterTree, bare, rev="main~1")

    assert (tree.counter.number, older.counter.number) == (2, 1)
    assert fingerprint(bare) == before


# --- object formats and extensions -----------------------------------------------------


def _sha256(root: Path) -> None:
    git(root.parent, "init", "-q", "--object-format=sha256", str(root))


def _extension(name: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        git(root.parent, "init", "-q", str(root))
        git(root, "config", "core.repositoryformatversion", "1")
        git(root, "config", f"extensions.{name}", "true")

    return make


def _format_version_2(root: Path) -> None:
    git(root.parent, "init", "-q", str(root))
    git(root, "config", "core.repositoryformatversion", "2")


FORMATS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "sha256": (_sha256, "object-format", "sha256"),
    "preciousObjects": (_extension("preciousObjects"), "extension", "preciousobjects"),
    "an unknown extension": (_extension("futureThing"), "extension", "futurething"),
    "format version 2": (_format_version_2, "extension", "repositoryformatversion is 2"),
}


@pytest.mark.parametrize("shape", sorted(FORMATS), ids=sorted(FORMATS))
def test_a_repository_format_we_cannot_write_is_refused_untouched(
    tmp_path: Path, shape: str
) -> None:
    make, reason, named = FORMATS[shape]
    root = tmp_path / "repo"
    make(root)
    git_refuses = shape in ("format version 2", "an unknown extension")
    if not git_refuses:
        (root / "notes.txt").write_text("notes\n")
        git(root, "add", "notes.txt")
        git(root, "commit", "-q", "-m", "Notes")
    before = fingerprint(root)

    with pytest.raises(UnsupportedRepositoryError, match="Nothing was changed") as raised:
        mount(CounterTree, root)

    assert raised.value.reason == reason
    assert named in str(raised.value).lower()
    assert fingerprint(root) == before
    if not git_refuses:
        git(root, "fsck", "--strict")


# --- sparse checkouts ------------------------------------------------------------------


def _sparse_cone(root: Path) -> None:
    git(root, "sparse-checkout", "set", "work")


def _skip_worktree_bit(root: Path) -> None:
    git(root, "update-index", "--skip-worktree", "hidden/notes.txt")
    (root / "hidden" / "notes.txt").unlink()


SPARSE = {"sparse-checkout set": _sparse_cone, "a skip-worktree bit": _skip_worktree_bit}


@pytest.mark.parametrize("shape", sorted(SPARSE), ids=sorted(SPARSE))
def test_a_sparse_checkout_is_refused_and_its_hidden_files_stay_hidden(
    tmp_path: Path, shape: str
) -> None:
    root = tmp_path / "repo"
    _counted(root, range(1, 2))
    (root / "work").mkdir()
    (root / "work" / "kept.txt").write_text("kept\n")
    (root / "hidden").mkdir()
    (root / "hidden" / "notes.txt").write_text("hidden\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "More")
    SPARSE[shape](root)
    before = fingerprint(root)

    with pytest.raises(UnsupportedRepositoryError, match="sparse checkout") as raised:
        mount(CounterTree, root)

    assert raised.value.reason == "sparse-checkout"
    assert fingerprint(root) == before
    assert not (root / "hidden" / "notes.txt").exists()


# --- shallow clones --------------------------------------------------------------------


@pytest.fixture
def shallow(tmp_path: Path) -> tuple[Path, list[str]]:
    """A clone of the last 2 of 4 commits, and the source's commit ids, oldest first."""
    shas = _counted(tmp_path / "source", range(1, 5))
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{tmp_path / 'source'}", str(clone))
    return clone, shas


def test_a_shallow_log_ends_at_the_boundary_as_git_log_does(
    shallow: tuple[Path, list[str]],
) -> None:
    clone, _shas = shallow
    with Repository.open(clone) as repository:
        log = repository.log()
        assert [info.sha for info in log] == git_lines(clone, "log", "--format=%H")
        assert log[-1].parents == ()  # the boundary, as `git log --format=%P` shows it
        assert git(clone, "log", "-1", "--format=%P", log[-1].sha).strip() == ""
        assert log[-1].paths == ("counter.json",)


def test_stepping_past_the_shallow_boundary_says_how_to_fetch_more(
    shallow: tuple[Path, list[str]],
) -> None:
    clone, _shas = shallow
    with Repository.open(clone) as repository, pytest.raises(UnknownRevisionError) as raised:
        repository.resolve("HEAD~2")
    assert raised.value.revision == "HEAD~2"
    assert "shallow clone" in str(raised.value) and "git fetch --unshallow" in str(raised.value)


@pytest.mark.parametrize("beyond", ["HEAD~2", "HEAD~1^", "full id"], ids=str)
def test_a_commit_beyond_the_shallow_boundary_is_an_unknown_revision(
    shallow: tuple[Path, list[str]], beyond: str
) -> None:
    clone, shas = shallow
    rev = shas[1] if beyond == "full id" else beyond
    before = fingerprint(clone)
    with Repository.open(clone) as repository:
        with pytest.raises(UnknownRevisionError):
            repository.show(rev, "counter.json")
        assert fingerprint(clone) == before
        with pytest.raises(CheckpointError, match="no checkpoint or revision"):
            repository.restore(rev)
    assert git(clone, "rev-parse", "HEAD").strip() == shas[-1]
    assert git(clone, "status", "--porcelain") == ""


def test_a_shallow_clone_is_mounted_and_committed_to(shallow: tuple[Path, list[str]]) -> None:
    clone, _shas = shallow
    tree = mount(CounterTree, clone)
    assert tree.counter.number == 4
    tree.counter.number = 5
    tree.commit("Count 5")

    assert git(clone, "status", "--porcelain") == ""
    git(clone, "fsck", "--strict")
    assert len(git_lines(clone, "log", "--format=%H")) == 3


# --- linked worktrees ------------------------------------------------------------------


def test_a_linked_worktree_is_mounted_and_committed_to_as_git_would(tmp_path: Path) -> None:
    main = tmp_path / "main"
    _counted(main, range(1, 2))
    linked = tmp_path / "linked"
    git(main, "worktree", "add", "-q", "-b", "side", str(linked))
    main_head = git(main, "rev-parse", "main").strip()

    tree = mount(CounterTree, linked)
    tree.counter.number = 7
    info = tree.commit("Count 7 on the side")

    assert info is not None
    assert git(linked, "rev-parse", "side").strip() == info.sha
    assert git(main, "rev-parse", "main").strip() == main_head  # the other branch stays
    assert git(linked, "status", "--porcelain") == ""
    assert git(main, "status", "--porcelain") == ""
    git(main, "fsck", "--strict")
    with Repository.open(linked) as repository:
        assert repository.status() == []
        assert repository.diff() == []
        assert repository.branch == "side"
    # The index, HEAD and our lock are the worktree's own, in its git directory.
    gitdir = main / ".git" / "worktrees" / "linked"
    assert (gitdir / "gitworktree.lock").exists()
    assert json.loads(git(linked, "show", "HEAD:counter.json")) == {"number": 7}
    assert git(linked, "reflog", "-1", "--format=%gs").strip() == "commit: Count 7 on the side"
    status = json.loads(invoke("-C", linked, "status", "--json").output)
    assert (status["branch"], status["clean"], status["changes"]) == ("side", True, [])


# --- a repository above ----------------------------------------------------------------


def test_a_mount_inside_a_parent_that_tracks_its_files_logs_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    parent = tmp_path / "project"
    (parent / "state").mkdir(parents=True)
    (parent / "state" / "counter.json").write_text('{"number": 1}\n')
    git(tmp_path, "init", "-q", str(parent))
    git(parent, "add", ".")
    git(parent, "commit", "-q", "-m", "Track the state")

    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        tree = mount(CounterTree, parent / "state")

    assert tree.counter.number == 1
    assert "state/counter.json" in caplog.text and str(parent) in caplog.text


def test_a_mount_inside_a_parent_that_does_not_track_it_is_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    parent = tmp_path / "project"
    git(tmp_path, "init", "-q", str(parent))
    (parent / "readme.txt").write_text("readme\n")
    git(parent, "add", ".")
    git(parent, "commit", "-q", "-m", "Readme")

    with caplog.at_level(logging.WARNING, logger="gitworktree"):
        mount(CounterTree, parent / "state")

    assert caplog.text == ""


# --- dates -----------------------------------------------------------------------------

DATES = [
    "@1700000000 +0130",
    "1700000000 -0500",
    "@1700000000",
    "Thu, 07 Apr 2005 22:13:13 +0200",
    "2005-04-07T22:13:13+02:00",
    "2005-04-07 22:13:13 -0330",
    "2005-04-07T22:13:13Z",
]


@pytest.mark.parametrize("date", DATES, ids=DATES)
def test_git_author_and_committer_dates_are_read_as_git_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, date: str
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", date)
    monkeypatch.setenv("GIT_COMMITTER_DATE", date)
    root = tmp_path / "repo"
    _counted(root, range(1, 2))
    git(root, "commit", "-q", "--allow-empty", "-m", "by git")

    ours, gits = git_lines(root, "log", "-2", "--format=%ad|%cd", "--date=raw")

    assert ours == gits


def test_a_date_git_would_refuse_is_refused_and_nothing_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    tree = mount(CounterTree, root)
    head = git(root, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_COMMITTER_DATE", "next tuesday-ish")
    tree.counter.number = 3

    with pytest.raises(InvalidNameError, match="GIT_COMMITTER_DATE"):
        tree.commit("Count")

    assert git(root, "rev-parse", "HEAD").strip() == head


# --- executable bits -------------------------------------------------------------------


@pytest.mark.parametrize("committed", [True, False], ids=["committed by git", "on disk only"])
def test_an_executable_artifact_stays_executable_across_a_rewrite(
    tmp_path: Path, committed: bool
) -> None:
    root = tmp_path / "repo"
    tree = mount(CounterTree, root)
    os.chmod(root / "counter.json", 0o755)
    if committed:
        git(root, "commit", "-q", "-am", "Make it executable")

    tree.counter.number = 9
    tree.commit("Count 9")

    assert git(root, "ls-tree", "HEAD", "counter.json").split()[0] == "100755"
    assert stat.S_IMODE(os.stat(root / "counter.json").st_mode) == 0o755
    assert git(root, "status", "--porcelain") == ""


def test_a_file_made_executable_in_an_anchor_is_committed_executable(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    tree = mount(ProjectTree, root)
    script = root / "app" / "logs" / "rotate.sh"
    script.write_text("#!/bin/sh\n")
    os.chmod(script, 0o755)

    tree.commit("Add the rotation script")

    assert git(root, "ls-tree", "HEAD", "app/logs/rotate.sh").split()[0] == "100755"
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o755
    assert git(root, "status", "--porcelain") == ""


# --- a dumb HTTP host ------------------------------------------------------------------


@contextlib.contextmanager
def _static_http(directory: Path) -> Iterator[str]:
    """Serve ``directory`` as plain files on 127.0.0.1 (a "dumb" Git host); yields its URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """No access log on stderr."""

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_push_to_a_dumb_http_host_is_a_clear_remote_error(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    git(bare, "update-server-info")
    with _static_http(bare) as url, Repository.clone(url, tmp_path / "clone") as repository:
        repository.commit_changes({"notes.txt": b"notes\n"}, message="Notes")
        before = fingerprint(bare)
        with pytest.raises(RemoteError, match="dumb HTTP host") as raised:
            repository.push()
    assert raised.value.url == url
    assert fingerprint(bare) == before


def test_a_clone_into_a_bare_repository_is_refused(bare: Path, tmp_path: Path) -> None:
    before = fingerprint(bare)

    with pytest.raises(UnsupportedRepositoryError) as raised:
        mount(CounterTree, bare / "state", clone_from=str(bare))

    assert raised.value.reason == "bare"
    assert fingerprint(bare) == before


def test_cli_commands_in_a_bare_repository_say_it_is_bare(bare: Path) -> None:
    result = invoke("-C", bare, "status")

    assert result.exit_code == 1
    assert "bare repository" in result.output
    assert "not a gitworktree repository" not in result.output
