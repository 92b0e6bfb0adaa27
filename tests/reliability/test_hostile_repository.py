"""Repositories built from raw hostile objects and hand-damaged git directories.

Each case starts from a repository made by real git (two commits), then writes what an
attacker, a bad disk or a careless hand would: a commit object git's ``fsck`` rejects
(no author, no committer, an ident without a date, no empty line before the message, a
date no calendar holds), a ``.git`` file or ``commondir`` naming a directory that is no
repository (``/``, the work tree itself), a FIFO or ``/dev/zero`` where git keeps
``HEAD``, ``config``, ``packed-refs`` or ``objects/info/alternates``, a ``shallow`` or
``info/grafts`` file of garbage, alternates holding a NUL. Opening, logging and mounting
each must be a `RepositoryError` with ``reason == "damaged"`` naming the damage — never a
raw `TypeError`, `OverflowError`, `MemoryError`, a hang, or a mount that starts a new
history in whatever directory the ``.git`` file names — and must leave every file as it
was. Oddities git's ``fsck`` accepts (a ``+9999`` time zone, an ``encoding`` Python does
not know) are read, not refused. Further: hand-built packs (delta loops, garbage
indexes), zlib streams inflating past their header's size, FIFOs where objects, refs,
reflogs and rules files are, a planted writer-lock record, a HEAD naming no valid ref,
trees nested thousands deep, and replace refs and grafts (history read as stored).
"""

from __future__ import annotations

import os
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitworktree import RemoteError, RepositoryError, UnsupportedRepositoryError, mount
from gitworktree.cli.app import cli
from gitworktree.history import Repository
from tests.oracle import git
from tests.reliability.hostile_repos import (
    INFLATES_PAST_ITS_SIZE,
    OFS_DELTA,
    OTHER_ID,
    WHO,
    append_config,
    blob_of,
    commit_on_top,
    delta,
    dev_zero,
    entry_header,
    fifo,
    git_file_to,
    in_git_dir,
    in_place,
    loose_file,
    pack_holding_head_blob,
    ref_delta_to,
    snapshot,
    text,
    write_object,
)
from tests.reliability.models import WorkTree

CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "commit-without-author": (
        commit_on_top(b"committer " + WHO + b"\n"),
        "has no author line",
    ),
    "commit-without-committer": (
        commit_on_top(b"author " + WHO + b"\n"),
        "has no committer line",
    ),
    "ident-without-email-and-date": (
        commit_on_top(b"author Mallory\ncommitter " + WHO + b"\n"),
        "without an email and date",
    ),
    "header-not-ended-by-an-empty-line": (
        commit_on_top(b"author " + WHO + b"\ncommitter " + WHO, b""),
        "no empty line between its header and message",
    ),
    "author-date-past-year-9999": (
        commit_on_top(b"author M <m@e> 99999999999999 +0000\ncommitter " + WHO + b"\n"),
        "outside the years 1 to 9999",
    ),
    "commit-without-tree": (
        lambda root: (root / ".git/refs/heads/main").write_text(
            write_object(root, "commit", b"author " + WHO + b"\n\nm\n") + "\n"
        ),
        "an object cannot be read (commit does not start with a tree)",
    ),
    "git-file-names-the-root-directory": (
        git_file_to(lambda root: Path("/")),
        "its .git file points at /, which is not a git directory",
    ),
    "git-file-names-the-work-tree": (
        git_file_to(lambda root: root),
        "which is not a git directory",
    ),
    "commondir-names-the-root-directory": (
        in_git_dir("commondir", text("/\n")),
        "commondir points at /, which is not a git directory",
    ),
    "HEAD-is-a-FIFO": (in_git_dir("HEAD", fifo), "HEAD is a FIFO, not a file"),
    "packed-refs-is-a-FIFO": (in_git_dir("packed-refs", fifo), "packed-refs is a FIFO"),
    "config-links-to-dev-zero": (
        in_git_dir("config", dev_zero),
        "config is a character device, not a file",
    ),
    "alternates-link-to-dev-zero": (
        in_git_dir("objects/info/alternates", dev_zero),
        "alternates is a character device",
    ),
    "alternates-hold-a-NUL": (
        in_git_dir("objects/info/alternates", text("../x\0y\n")),
        "alternates holds a NUL byte",
    ),
    "config-includes-dev-zero": (
        lambda root: append_config(root, "[include]\n\tpath = /dev/zero\n"),
        "/dev/zero is a character device, not a file",
    ),
    "config-includes-a-FIFO": (
        lambda root: (
            os.mkfifo(root / "fifo"),
            append_config(root, '[includeIf "onbranch:main"]\n\tpath = ../fifo\n'),
        ),
        "fifo is a FIFO, not a file",
    ),
    "shallow-holds-garbage": (
        in_git_dir("shallow", text("garbage\n")),
        ".git/shallow or .git/info/grafts holds a line that is not object ids",
    ),
    "grafts-hold-garbage": (
        in_git_dir("info/grafts", text("zzz yyy\n")),
        "holds a line that is not object ids",
    ),
}


def _log(root: Path) -> None:
    with Repository.open(root) as repository:
        repository.log()


OPERATIONS: dict[str, Callable[[Path], object]] = {
    "log": _log,
    "mount": lambda root: mount(WorkTree, root),
}


# A date is only shown: a mount, which reads no date, works on that commit.
SHOWN_ONLY = {"author-date-past-year-9999"}


PAIRS = [
    (case, operation)
    for case in CASES
    for operation in sorted(OPERATIONS)
    if operation == "log" or case not in SHOWN_ONLY
]


@pytest.mark.parametrize(("case", "operation"), PAIRS, ids=[f"{c}-{o}" for c, o in PAIRS])
def test_a_hostile_repository_is_refused_as_damaged_touching_nothing(
    healthy: Path, case: str, operation: str
) -> None:
    damage, words = CASES[case]
    damage(healthy)
    before = snapshot(healthy)
    with pytest.raises(RepositoryError) as refused:
        OPERATIONS[operation](healthy)
    assert refused.value.reason == "damaged", refused.value
    assert words in str(refused.value), refused.value
    assert "git fsck" in str(refused.value)
    assert snapshot(healthy) == before


@pytest.mark.parametrize(
    "case",
    ["commit-without-author", "author-date-past-year-9999", "HEAD-is-a-FIFO"],
    ids=["commit-without-author", "author-date-past-year-9999", "HEAD-is-a-FIFO"],
)
def test_the_cli_names_the_damage_in_one_line(healthy: Path, case: str) -> None:
    damage, words = CASES[case]
    damage(healthy)
    result = CliRunner().invoke(cli, ["-C", str(healthy), "log"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "the repository is damaged" in result.output and words in result.output
    assert "this is a bug" not in result.output


def test_a_time_zone_of_a_day_or_more_is_read_in_utc(healthy: Path) -> None:
    """git's fsck accepts any four digits (``+9999``) and ``git log`` shows them; no
    `datetime` zone holds them, so the instant is kept and shown in UTC."""
    commit_on_top(b"author M <m@e> 1700000000 +9999\ncommitter " + WHO + b"\n")(healthy)
    assert "error" not in git(healthy, "fsck", "--strict")
    with Repository.open(healthy) as repository:
        (latest, *_) = repository.log()
    assert latest.time.tzinfo == UTC
    assert latest.time.timestamp() == 1700000000


def test_an_encoding_python_does_not_know_is_read_as_utf8(healthy: Path) -> None:
    """As git shows the bytes unconverted when iconv does not know the encoding."""
    header = b"author " + WHO + b"\ncommitter " + WHO + b"\nencoding x-no-such\n"
    commit_on_top(header, "\nnaïve\n".encode())(healthy)
    with Repository.open(healthy) as repository:
        (latest, *_) = repository.log()
    assert latest.message.strip() == "naïve"


PACKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "offset-delta-to-itself": (
        pack_holding_head_blob(
            ("head", entry_header(OFS_DELTA, 7) + b"\0" + zlib.compress(delta(b"two\n")))
        ),
        "a delta cannot be resolved",
    ),
    "ref-deltas-in-a-cycle": (
        pack_holding_head_blob(("head", ref_delta_to(OTHER_ID)), (OTHER_ID, ref_delta_to)),
        "a delta cannot be resolved",
    ),
    "blob-inflating-past-its-size": (
        pack_holding_head_blob(("head", INFLATES_PAST_ITS_SIZE)),
        "decompressed data exceeds expected size",
    ),
    "pack-index-of-garbage": (
        lambda root: (
            pack_holding_head_blob(("head", INFLATES_PAST_ITS_SIZE))(root),
            next((root / ".git/objects/pack").glob("*.idx")).write_bytes(
                b"\xfftOc\0\0\0\2" + b"\xff" * 99
            ),
        ),
        "a pack index in .git/objects/pack cannot be read",
    ),
}


@pytest.mark.parametrize("case", list(PACKS), ids=list(PACKS))
def test_a_damaged_pack_is_refused_as_damaged_and_the_repository_closes(
    healthy: Path, case: str
) -> None:
    damage, words = PACKS[case]
    damage(healthy)
    before = snapshot(healthy)
    # closing the repository after the refusal must not fail either
    with Repository.open(healthy) as repository, pytest.raises(RepositoryError) as refused:
        repository.show("HEAD", "notes.txt")
    assert refused.value.reason == "damaged", refused.value
    assert words in str(refused.value) and "git fsck" in str(refused.value), refused.value
    assert snapshot(healthy) == before


def _replace_head_by_its_parent(root: Path) -> None:
    git(root, "replace", "HEAD", "HEAD~1")


def _graft_head_as_a_root(root: Path) -> None:
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "grafts").write_text(git(root, "rev-parse", "HEAD"))


@pytest.mark.parametrize(
    "rewrite",
    [_replace_head_by_its_parent, _graft_head_as_a_root],
    ids=["replace-ref", "info-grafts"],
)
def test_history_is_read_as_stored_whatever_replace_refs_and_grafts_say(
    healthy: Path, rewrite: Callable[[Path], None]
) -> None:
    """``git log`` follows replace refs and grafts; a restore, a push and ``git fsck``
    see the stored objects. The log shows those, as git does without them
    (``--no-replace-objects``, no graft file), so that it never disagrees with them."""
    stored = git(healthy, "log", "--format=%H %s")
    rewrite(healthy)
    assert git(healthy, "log", "--format=%H %s") != stored  # git's default is rewritten
    with Repository.open(healthy) as repository:
        shown = [f"{c.sha} {c.message.strip()}\n" for c in repository.log()]
        assert repository.show("HEAD", "notes.txt") == b"two\n"
    assert "".join(shown) == stored


def _checkpoints(root: Path) -> None:
    with Repository.open(root) as repository:
        repository.checkpoints()


@pytest.mark.parametrize(
    ("ref", "make", "read", "kind"),
    [
        ("refs/heads/main", fifo, _log, "FIFO"),  # read by our own ref reader
        ("refs/checkpoints/evil", fifo, _checkpoints, "FIFO"),  # read by dulwich's listing
        ("refs/checkpoints/evil", dev_zero, _checkpoints, "character device"),
    ],
    ids=["branch-is-a-FIFO", "checkpoint-is-a-FIFO", "checkpoint-links-to-dev-zero"],
)
def test_a_special_file_where_a_ref_belongs_is_damage_not_a_hang(
    healthy: Path,
    ref: str,
    make: Callable[[Path], None],
    read: Callable[[Path], None],
    kind: str,
) -> None:
    in_git_dir(ref, make)(healthy)
    before = snapshot(healthy)
    with pytest.raises(RepositoryError) as refused:
        read(healthy)
    assert refused.value.reason == "damaged", refused.value
    assert f"{ref}: this is a {kind}, not a file" in str(refused.value), refused.value
    assert snapshot(healthy) == before


def test_a_loose_tree_inflating_past_its_header_is_refused_without_inflating_it(
    healthy: Path,
) -> None:
    """64 KiB of zlib that inflate to 64 MiB: read no further than the size the header
    gives, as git does, and refused; not inflated whole, and not inflated again by the
    fallback reader."""
    # A tree no other test has: trees are parsed once per process and kept by id.
    (healthy / "unique.txt").write_text(str(healthy))
    git(healthy, "add", "unique.txt")
    git(healthy, "commit", "-q", "-m", "unique")
    tree = git(healthy, "rev-parse", "HEAD^{tree}").strip()
    path = healthy / ".git" / "objects" / tree[:2] / tree[2:]
    data = zlib.decompress(path.read_bytes())
    bomb = zlib.compressobj(9)
    path.chmod(0o644)
    path.write_bytes(bomb.compress(data) + bomb.compress(b"\0" * (64 << 20)) + bomb.flush())
    tracemalloc.start()
    try:
        with Repository.open(healthy) as repository, pytest.raises(RepositoryError) as refused:
            repository.show("HEAD", "notes.txt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason == "damaged", refused.value
    assert "does not hold the" in str(refused.value), refused.value
    assert peak < 16 << 20, f"{peak >> 20} MiB"


@pytest.mark.parametrize(
    "target",
    ["refs/heads/../../../victim", "refs/heads/../../config", "refs/heads/a..b"],
    ids=["out-of-the-repository", "onto-git-config", "two-dots"],
)
def test_a_fresh_repository_whose_head_names_no_valid_ref_is_not_mounted(
    tmp_path: Path, target: str
) -> None:
    """A first commit would write the branch where HEAD says: outside ``.git/refs``."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".git" / "HEAD").write_text(f"ref: {target}\n")
    (tmp_path / "victim").write_text("precious\n")
    before = snapshot(tmp_path)
    with pytest.raises(UnsupportedRepositoryError) as refused:
        mount(WorkTree, root)
    assert refused.value.reason == "broken-head", refused.value
    assert "no valid ref name" in str(refused.value)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "make",
    [lambda path, victim: path.symlink_to(victim), lambda path, victim: os.mkfifo(path)],
    ids=["a-link-to-a-file-outside", "a-FIFO"],
)
def test_a_planted_writer_lock_record_is_never_written_through(
    healthy: Path, tmp_path: Path, make: Callable[[Path, Path], None]
) -> None:
    """The record is truncated and rewritten at every write: through a link planted in
    ``.git`` that would overwrite whatever file the link names."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    make(healthy / ".git" / "gitworktree.lock", victim)
    before = snapshot(tmp_path)
    with Repository.open(healthy) as repository, pytest.raises(RepositoryError) as refused:
        repository.create_checkpoint("cp")
    assert refused.value.reason == "damaged", refused.value
    assert "gitworktree.lock" in str(refused.value) and "writer lock" in str(refused.value)
    assert snapshot(tmp_path) == before


def _unique_loose_blob(root: Path) -> tuple[str, Path, bytes]:
    """A file committed with content no other test has (objects are cached by id):
    its path, its loose object's path, and the object inflated."""
    (root / "unique.txt").write_text(str(root))
    git(root, "add", "unique.txt")
    git(root, "commit", "-q", "-m", "unique")
    blob = git(root, "rev-parse", "HEAD:unique.txt").strip()
    loose = root / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    return "unique.txt", loose, zlib.decompress(loose.read_bytes())


@pytest.mark.parametrize(
    ("rewrite", "words"),
    [
        (lambda data: data + b"\0" * (64 << 20), "does not hold the"),
        (lambda data: data.replace(b"blob ", b"blob 9", 1), "does not hold the"),
        (lambda data: data.replace(b"blob ", b"blob -", 1), "has no valid header"),
    ],
    ids=["inflating-64-MiB-past-its-size", "header-size-too-big", "negative-size"],
)
def test_a_loose_blob_is_read_no_further_than_its_header_says(
    healthy: Path, rewrite: Callable[[bytes], bytes], words: str
) -> None:
    """git inflates a loose object no further than its header's size; dulwich inflates
    the whole stream (up to 512 MiB) first, so 64 KiB of zlib cost 64 MiB and more."""
    name, loose, data = _unique_loose_blob(healthy)
    packer = zlib.compressobj(9)
    loose.write_bytes(packer.compress(rewrite(data)) + packer.flush())
    tracemalloc.start()
    try:
        with Repository.open(healthy) as repository, pytest.raises(RepositoryError) as refused:
            repository.show("HEAD", name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason == "damaged", refused.value
    assert words in str(refused.value), refused.value
    assert peak < 16 << 20, f"{peak >> 20} MiB"


def _own_head_tree(root: Path) -> None:
    """Give HEAD a tree no other test has: trees are content-addressed, so one this process
    already read (from another test's copy of the template) is known without reading."""
    (root / "own.txt").write_text(f"{root}\n")
    git(root, "add", "own.txt")
    git(root, "commit", "-q", "--amend", "--no-edit")


def _fifo_for_the_pack(root: Path) -> None:
    git(root, "gc", "-q")
    pack = next((root / ".git" / "objects" / "pack").glob("*.pack"))
    pack.unlink()
    os.mkfifo(pack)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda root: in_place(loose_file(root, "HEAD^{tree}"), fifo), "this is a FIFO"),
        (lambda root: in_place(loose_file(root, "HEAD~1"), fifo), "this is a FIFO"),
        (_fifo_for_the_pack, ".pack is a FIFO, not a file"),
    ],
    ids=["loose-tree-is-a-FIFO", "loose-commit-is-a-FIFO", "pack-is-a-FIFO"],
)
def test_a_fifo_where_an_object_is_stored_is_damage_not_a_hang(
    healthy: Path, damage: Callable[[Path], None], words: str
) -> None:
    _own_head_tree(healthy)
    damage(healthy)
    before = snapshot(healthy)
    # packs are checked at open, objects when read
    with pytest.raises(RepositoryError) as refused, Repository.open(healthy) as repository:
        repository.diff("HEAD~1", "HEAD")
    assert refused.value.reason == "damaged", refused.value
    assert words in str(refused.value), refused.value
    assert snapshot(healthy) == before


def test_a_fifo_where_an_alternate_stores_an_object_is_damage_not_a_hang(
    healthy: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    _own_head_tree(healthy)
    git(tmp_path, "clone", "-q", "--shared", str(healthy), str(shared))
    in_place(loose_file(healthy, "HEAD^{tree}"), fifo)  # the clone reads it from there
    with pytest.raises(RepositoryError) as refused, Repository.open(shared) as repository:
        repository.diff("HEAD~1", "HEAD")
    assert refused.value.reason == "damaged", refused.value
    assert "this is a FIFO, not a file" in str(refused.value), refused.value


def test_a_fifo_for_the_branch_reflog_refuses_the_commit_and_changes_nothing(
    healthy: Path,
) -> None:
    """The branch's reflog is written under its lock, before the move: a plain open of
    a FIFO there would block with the lock held."""
    tree = mount(WorkTree, healthy)
    in_place(healthy / ".git" / "logs" / "refs" / "heads" / "main", fifo)
    head = git(healthy, "rev-parse", "HEAD")
    tree.counter.number += 1
    with pytest.raises(RepositoryError) as refused:
        tree.commit("blocked by a FIFO")
    assert "a FIFO where the reflog is" in str(refused.value), refused.value
    assert git(healthy, "rev-parse", "HEAD") == head
    assert git(healthy, "status", "--porcelain") == ""


def test_a_fifo_for_heads_reflog_lets_the_landed_commit_stand(
    healthy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """HEAD's reflog is written after the branch moved: the commit has landed."""
    tree = mount(WorkTree, healthy)
    in_place(healthy / ".git" / "logs" / "HEAD", fifo)
    tree.counter.number += 1
    tree.commit("lands")
    assert git(healthy, "log", "-1", "--format=%s").strip() == "lands"
    assert "HEAD's reflog could not be written" in caplog.text


def test_a_tree_nested_thousands_deep_is_a_clear_refusal(healthy: Path, tmp_path: Path) -> None:
    """Trees are walked recursively; past Python's recursion limit that is a
    `RecursionError`, reported as what it is, for a log and for a clone."""
    tree = write_object(healthy, "tree", b"100644 f\0" + bytes.fromhex(blob_of(healthy)))
    for _ in range(1500):
        tree = write_object(healthy, "tree", b"40000 a\0" + bytes.fromhex(tree))
    deep = write_object(
        healthy,
        "commit",
        b"tree %s\nauthor %s\ncommitter %s\n\ndeep\n" % (tree.encode(), WHO, WHO),
    )
    (healthy / ".git" / "refs" / "heads" / "main").write_text(deep + "\n")
    with pytest.raises(RepositoryError) as refused, Repository.open(healthy) as repository:
        repository.log()
    assert "nests too deep to read" in str(refused.value), refused.value
    with pytest.raises(RemoteError) as refused_clone:
        Repository.clone(str(healthy), tmp_path / "clone").close()
    assert "nests too deep to read" in str(refused_clone.value), refused_clone.value
    assert not (tmp_path / "clone").exists()


@pytest.mark.parametrize(
    "name",
    [".gitattributes", ".gitignore", "sub/.gitignore", ".git/info/attributes", "stray"],
    ids=["gitattributes", "gitignore", "nested-gitignore", "info-attributes", "stray-file"],
)
def test_a_fifo_in_the_work_tree_is_passed_over_not_waited_on(
    healthy: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """git itself waits forever on a FIFO ``.gitattributes`` (``git status`` hangs); a
    commit and ``status`` go on without it, as git does for a rules file it cannot read,
    and a FIFO is never a file to commit."""
    tree = mount(WorkTree, healthy)
    (healthy / name).parent.mkdir(exist_ok=True)
    os.mkfifo(healthy / name)
    tree.counter.number += 1
    tree.commit("beside a FIFO")
    with Repository.open(healthy) as repository:
        assert repository.status() == []
    assert name == "stray" or f"ignoring {healthy / name}: not a file" in caplog.text
