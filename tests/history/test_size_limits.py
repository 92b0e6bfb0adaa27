"""Size limits: large artifacts are refused, diffs of large files stay bounded.

A diff reads what others committed, so neither a huge file nor a huge JSON document may
make it build an unbounded patch or change list: a side over the patch limit gets a
``Large files ... differ`` line with the sizes, and a pointer diff lists the first
changes and counts the rest, saying so in JSON and in text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from dulwich.objects import ObjectID

from gitworktree import (
    ArtifactMap,
    ArtifactTooLargeError,
    TextArtifact,
    Worktree,
    mount,
    pull,
    push,
)
from gitworktree.cli.app import cli
from gitworktree.history import Repository
from gitworktree.history._json.pointers import LISTED_POINTERS, bounded_pointer_changes
from gitworktree.history._objects.sizes import object_size
from gitworktree.history._worktree import diff as diff_module
from gitworktree.storage.base import artifact_size_limit
from tests.oracle import git
from tests.reliability.models import Task

PROJECT = Path(__file__).resolve().parents[2]


class Note(TextArtifact):
    default: ClassVar[Any] = ""


class Notes(Worktree):
    note: Note
    tasks: ArtifactMap[Task]


def _array(size: int, offset: int = 0) -> bytes:
    return json.dumps([index + offset for index in range(size)]).encode()


@pytest.fixture
def array_history(repo: Repository) -> Repository:
    """Two commits of ``doc.json``: 3,000 numbers, then each one plus one."""
    repo.commit_changes({"doc.json": _array(3000)}, message="numbers")
    repo.commit_changes({"doc.json": _array(3000, 1)}, message="each plus one")
    return repo


def test_a_pointer_diff_lists_the_first_changes_and_counts_the_rest(
    array_history: Repository,
) -> None:
    (change,) = array_history.diff("HEAD~1", "HEAD")
    assert len(change.pointers) == LISTED_POINTERS
    assert change.pointers[0].pointer == "/0"
    assert change.pointers_omitted == 3000 - LISTED_POINTERS
    assert change.pointers_complete


def test_a_pointer_diff_stops_at_its_bound_on_compared_values() -> None:
    found = bounded_pointer_changes(_array(5000), _array(5000, 1), listed=10, compared=1000)
    assert found is not None
    assert len(found.listed) == 10
    assert not found.complete  # the 5,000 elements were never all compared


@pytest.mark.parametrize(
    ("old", "new", "listed", "omitted"),
    [
        ({"a": 1, "b": 2, "c": 3}, {}, 2, 1),
        ([], [1, 2, 3, 4], 2, 2),
        ({"x": [1, 2]}, {"x": [3, 4], "y": 5}, 2, 1),
    ],
    ids=["removed-keys", "added-elements", "nested-and-added"],
)
def test_every_kind_of_change_counts_toward_the_listing_bound(
    old: object, new: object, listed: int, omitted: int
) -> None:
    found = bounded_pointer_changes(json.dumps(old).encode(), json.dumps(new).encode(), listed=2)
    assert found is not None
    assert (len(found.listed), found.omitted, found.complete) == (listed, omitted, True)


def test_the_cli_says_when_pointers_were_left_out(array_history: Repository) -> None:
    runner = CliRunner()
    args = ["-C", str(array_history.path), "diff", "HEAD~1", "HEAD"]
    document = json.loads(runner.invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    (file,) = document["files"]
    assert len(file["pointers"]) == LISTED_POINTERS
    assert file["pointers_omitted"] == 3000 - LISTED_POINTERS
    assert file["pointers_complete"] is True
    text = runner.invoke(cli, args, catch_exceptions=False).output
    assert f"... and {3000 - LISTED_POINTERS:,} more changed values, not listed" in text


@pytest.fixture
def small_patch_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(diff_module, "PATCH_LIMIT", 1024)
    return 1024


def test_a_file_past_the_patch_limit_is_summarized_not_diffed(
    repo: Repository, small_patch_limit: int
) -> None:
    repo.commit_changes({"big.json": b"[" + b"1," * 600 + b"1]"}, message="big")
    repo.commit_changes({"big.json": b"[" + b"2," * 600 + b"2]"}, message="bigger")
    (change,) = repo.diff("HEAD~1", "HEAD")
    assert "Large files a/big.json and b/big.json differ (1203 bytes and 1203 bytes" in (
        change.patch
    )
    assert "@@" not in change.patch and change.pointers == ()
    assert change.new_sha == git(repo, "rev-parse", "HEAD:big.json").strip()


def test_a_large_work_tree_file_is_summarized_without_being_read(
    repo: Repository, small_patch_limit: int
) -> None:
    repo.commit_changes({"notes.txt": b"short\n"}, message="short")
    (repo.path / "notes.txt").write_bytes(b"line\n" * 1000)
    (change,) = repo.diff("HEAD", None)
    assert "Large files a/notes.txt and b/notes.txt differ (6 bytes and 5000 bytes" in (
        change.patch
    )
    assert change.new_sha == git(repo, "hash-object", "notes.txt").strip()


def test_diff_stat_counts_a_large_file_as_binary(repo: Repository, small_patch_limit: int) -> None:
    repo.commit_changes({"a.txt": b"x\n" * 1000}, message="large")
    result = CliRunner().invoke(
        cli, ["-C", str(Path(repo.path)), "diff", "--stat", "HEAD~0"], catch_exceptions=False
    )
    (repo.path / "a.txt").write_bytes(b"y\n" * 1000)
    result = CliRunner().invoke(
        cli, ["-C", str(Path(repo.path)), "diff", "--stat"], catch_exceptions=False
    )
    assert "a.txt" in result.output and "Bin" in result.output


# -- the limit on an artifact's size -------------------------------------------------


@pytest.fixture
def big_note(tmp_path: Path) -> Path:
    """A mounted repository where someone else (plain git) committed a 5,000-byte note."""
    root = tmp_path / "repo"
    mount(Notes, root)
    (root / "note.txt").write_text("x" * 4999 + "\n")
    git(root, "add", "note.txt")
    git(root, "-c", "user.name=Other", "-c", "user.email=o@x", "commit", "-qm", "big note")
    return root


def _state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def test_an_artifact_over_the_limit_is_refused_before_loading(big_note: Path) -> None:
    before = _state(big_note)
    with pytest.raises(ArtifactTooLargeError) as caught:
        mount(Notes, big_note, max_artifact_bytes=1000)
    error = caught.value
    assert (error.path, error.size, error.limit) == ("note.txt", 5000, 1000)
    assert "max_artifact_bytes" in str(error) and "GITWORKTREE_MAX_ARTIFACT_BYTES" in str(error)
    assert _state(big_note) == before


def test_an_artifact_grown_by_someone_else_is_refused_on_sync(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    tree = mount(Notes, root, max_artifact_bytes=100_000)
    tree.tasks["t"] = Task(title="short")
    tree.commit("short")
    (root / "tasks" / "t.json").write_text('{"title": "' + "y" * 200_000 + '"}')
    with pytest.raises(ArtifactTooLargeError) as caught:
        tree.sync()
    assert caught.value.path == "tasks/t.json"
    assert tree.tasks["t"].title == "short"  # the tree kept what it had


@pytest.mark.parametrize(
    ("variable", "expected"),
    [(None, 64 * 1024 * 1024), ("1000", 1000), ("0", None)],
    ids=["default-64-mib", "set-by-the-user", "zero-is-no-limit"],
)
def test_the_limit_comes_from_the_user_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, expected: int | None
) -> None:
    if variable is None:
        monkeypatch.delenv("GITWORKTREE_MAX_ARTIFACT_BYTES", raising=False)
    else:
        monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", variable)
    assert artifact_size_limit() == expected
    assert artifact_size_limit(5) == 5  # mount(max_artifact_bytes=...) wins


def test_the_environment_limit_applies_to_mount(
    big_note: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", "1000")
    with pytest.raises(ArtifactTooLargeError):
        mount(Notes, big_note)
    assert len(mount(Notes, big_note, max_artifact_bytes=0).note.text) == 5000


def test_a_limit_that_is_not_a_number_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", "64M")
    with pytest.raises(ValueError, match="whole number of bytes"):
        artifact_size_limit()


# -- memory: a large file costs about its size, not several times it ----------------

BLOB_MB = 32

MEASURE = textwrap.dedent(
    """
    import contextlib, io, os, resource, sys
    from gitworktree.cli.app import cli

    def peak_mb():  # this process's own peak (ru_maxrss would include the parent's)
        try:
            with open("/proc/self/status") as status:
                line = next(l for l in status if l.startswith("VmHWM:"))
            return int(line.split()[1]) / 1024
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def run(*args):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main(list(args), standalone_mode=False)
            except SystemExit:
                pass

    source, clone = sys.argv[1], sys.argv[2]
    base = peak_mb()
    run("-C", source, "show", "-p", "HEAD")
    show = peak_mb()
    run("-C", source, "diff", "--json", "HEAD~1", "HEAD")
    diff = peak_mb()
    run("clone", source, clone)
    print(base, show, diff, peak_mb())
    """
)


def test_a_large_file_costs_about_its_size_in_show_diff_and_clone(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    line = b"x" * 99 + b"\n"
    for version, extra in enumerate((b"", b"y\n")):
        (source / "big.txt").write_bytes(line * (BLOB_MB * 10_000) + extra)
        git(source, "add", "big.txt")
        git(source, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", f"v{version}")
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(source), str(tmp_path / "clone")],
        capture_output=True, text=True, check=True, cwd=PROJECT, timeout=120,
    )  # fmt: skip
    base, show, diff, clone = (float(value) for value in out.stdout.split())
    # show -p and diff read the two versions' sizes from their headers and load neither
    # (they cost 5x the file before): a few MB. A clone fetches both versions (2 x 32 MB
    # of history) and writes one: dulwich holds an object about twice while it packs,
    # indexes and inflates it, so up to twice the history fetched, not more.
    assert show < base + BLOB_MB / 2 and diff < base + BLOB_MB / 2, (base, show, diff)
    assert clone < base + 2 * (2 * BLOB_MB), (base, clone)
    assert (tmp_path / "clone" / "big.txt").stat().st_size == BLOB_MB * 1_000_000 + 2


@pytest.mark.parametrize("packed", [False, True], ids=["loose", "packed-with-deltas"])
def test_object_sizes_read_from_headers_match_git(repo: Repository, packed: bool) -> None:
    repo.commit_changes({"a.txt": b"x" * 50_000, "b.json": b"{}"}, message="one")
    repo.commit_changes({"a.txt": b"x" * 50_000 + b"y\n"}, message="two")
    if packed:
        git(repo, "gc", "-q", "--aggressive")  # the second a.txt becomes a delta
    ids = [line.split()[0] for line in git(repo, "rev-list", "--objects", "--all").splitlines()]
    with Repository.open(repo.path) as fresh:
        store = fresh._repo.object_store
        sizes = {sha: object_size(store, ObjectID(sha.encode())) for sha in ids}
    assert sizes == {sha: int(git(repo, "cat-file", "-s", sha)) for sha in ids}


def test_a_past_revision_over_the_limit_is_refused_before_loading(big_note: Path) -> None:
    with pytest.raises(ArtifactTooLargeError) as caught:
        mount(Notes, big_note, rev="HEAD", max_artifact_bytes=1000)
    assert (caught.value.size, caught.value.limit) == (5000, 1000)
    assert len(mount(Notes, big_note, rev="HEAD").note.text) == 5000  # the default: 64 MiB


def test_a_pull_bringing_an_artifact_over_the_limit_changes_nothing(tmp_path: Path) -> None:
    host = tmp_path / "host.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(host))
    writer = mount(Notes, tmp_path / "writer", clone_from=str(host))
    writer.note.text = "small\n"
    writer.commit("small")
    push(writer)
    reader = mount(Notes, tmp_path / "reader", clone_from=str(host), max_artifact_bytes=1000)
    writer.note.text = "x" * 5000
    writer.commit("large")
    push(writer)
    before = _state(tmp_path / "reader")
    with pytest.raises(ArtifactTooLargeError):
        pull(reader)
    assert _state(tmp_path / "reader") == before
    assert reader.note.text == "small\n"


def test_the_cli_reports_an_artifact_over_the_limit_as_a_refusal(
    big_note: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITWORKTREE_MAX_ARTIFACT_BYTES", "1000")
    monkeypatch.setattr(sys, "path", list(sys.path))  # --tree adds the current directory
    tree = "tests.history.test_size_limits:Notes"
    result = CliRunner().invoke(
        cli, ["-C", str(big_note), "commit", "-m", "x", "--tree", tree], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "note.txt: 5,000 bytes, over the 1,000-byte limit" in result.output
    assert "GITWORKTREE_MAX_ARTIFACT_BYTES" in result.output
    assert "this is a bug" not in result.output
