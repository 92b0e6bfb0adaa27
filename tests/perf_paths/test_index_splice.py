"""A commit splices its few entries into the old index's bytes instead of writing them all.

The spliced file must be exactly the file a full serialization of the same entries gives,
commit after commit (the offsets and checksum states carried from one commit to the next
must never drift), and exactly what git itself writes and reads back.
"""

from __future__ import annotations

import hashlib
import random
import struct
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitworktree import GitWorktreeError
from gitworktree.history import Repository
from gitworktree.history._worktree import index as index_module
from gitworktree.history._worktree import index_entries
from gitworktree.history._worktree.cache_tree import (
    CacheTree,
    follow_tree_moves,
    invalidate_paths,
    parse_cache_tree,
    serialize_cache_tree,
)
from gitworktree.history._worktree.index_file import (
    EntrySplice,
    IndexFile,
    parse_index,
    serialize_index,
    splice_index,
)
from gitworktree.history._worktree.index_layout import CHUNK
from tests.oracle import git
from tests.perf_paths.conftest import make_git_repository
from tests.perf_paths.test_index_patch import index_git_would_write, read_index

SHA = b"1" * 40

# --- the splice itself, on entries laid out as git lays them out --------------------------


def entry_bytes(path: bytes, seed: int, *, extended: bool = False, stage: int = 0) -> bytes:
    """An index entry: stat data and id from ``seed``, the path, NUL padding to 8 bytes."""
    stat = [(seed * 7919 + field) & 0xFFFFFFFF for field in range(10)]
    flags = (stage << 12) | min(len(path), 0xFFF) | (0x4000 if extended else 0)
    fixed = struct.pack(">10I20sH", *stat, hashlib.sha1(b"%d" % seed).digest(), flags)
    if extended:
        fixed += b"\x20\x00"  # intent-to-add
    return fixed + path + bytes(8 - (len(fixed) + len(path)) % 8)


def whole_index(
    entries: list[tuple[bytes, bytes]], extensions: list[tuple[bytes, bytes]]
) -> IndexFile:
    extended = sum(1 for _, entry in entries if entry[60] & 0x40)
    return serialize_index(
        3, [path for path, _ in entries], [entry for _, entry in entries], extended, extensions
    )


#: One splice: where (a fraction of the index), how many entries it takes out, and the
#: entries it puts in (path length, extended or not, stage).
splice_spec = st.tuples(
    st.floats(0, 1),
    st.integers(0, 4),
    st.lists(st.tuples(st.integers(1, 90), st.booleans(), st.integers(0, 3)), max_size=3),
)


def make_splices(
    index: IndexFile, specs: list[tuple[float, int, list[tuple[int, bool, int]]]], seed: int
) -> list[EntrySplice]:
    """Non-overlapping splices of ``index`` in order, from ``specs``."""
    splices: list[EntrySplice] = []
    taken = 0
    count = len(index.entries)
    for number, (where, removed, new) in enumerate(sorted(specs)):
        start = max(taken, min(count, int(where * count)))
        stop = min(count, start + removed)
        entries = [
            entry_bytes(b"p" * length, seed * 100 + number * 10 + at, extended=ext, stage=stage)
            for at, (length, ext, stage) in enumerate(new)
        ]
        splices.append(EntrySplice(start, stop, entries))
        taken = stop
    return splices


def spliced_lists(index: IndexFile, splices: list[EntrySplice]) -> tuple[list[bytes], list[bytes]]:
    paths, entries = list(index.paths), list(index.entries)
    for splice in reversed(splices):
        paths[splice.start : splice.stop] = [b"p"] * len(splice.entries)
        entries[splice.start : splice.stop] = splice.entries
    return paths, entries


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(0, 1500),
    steps=st.lists(st.lists(splice_spec, max_size=4), min_size=1, max_size=45),
    reparse_every=st.sampled_from([0, 7]),
)
def test_a_spliced_index_is_byte_for_byte_its_full_serialization_commit_after_commit(
    size: int, steps: list[list[tuple[float, int, list[tuple[int, bool, int]]]]], reparse_every: int
) -> None:
    """Long chains of splices (past the point where the offsets are recomputed), from a
    written index and from one read back, both agree with writing every entry anew."""
    index = whole_index(
        [
            (b"p", entry_bytes(b"p" * (at % 50 + 1), at, extended=at % 13 == 0))
            for at in range(size)
        ],
        [(b"TREE", b"\0-1 0\n"), (b"ZETA", b"kept as it is")],
    )
    for number, specs in enumerate(steps):
        if reparse_every and number % reparse_every == 0:
            reread = parse_index(index.raw)
            assert reread is not None
            index = reread
        splices = make_splices(index, specs, number)
        paths, entries = spliced_lists(index, splices)
        extended = sum(1 for entry in entries if entry[60] & 0x40)
        extensions = [(b"TREE", b"\0%d 0\n" % number), (b"ZETA", b"kept as it is")]

        spliced = splice_index(index, splices, paths, entries, extended, extensions)

        whole = serialize_index(index.version, paths, entries, extended, extensions)
        assert spliced is not None
        assert spliced.raw == whole.raw
        assert spliced.version == whole.version
        offsets = spliced.entry_offsets()
        expected = list(accumulate(map(len, entries), initial=12))
        assert [offsets.at(at) for at in range(len(entries) + 1)] == expected
        index = spliced


#: Entries of 104 bytes: the index below spans a little over three checksum chunks.
_CHUNKED = 3 * CHUNK // 104 + 4
CHANGED_AT = {
    "first_entry": 0,
    "inside_the_second_chunk": CHUNK // 104 + 40,
    "across_a_chunk_boundary": (2 * CHUNK - 12) // 104,
    "last_entry": _CHUNKED - 1,
}


@pytest.mark.parametrize("position", list(CHANGED_AT.values()), ids=list(CHANGED_AT))
@pytest.mark.parametrize("inserted", [1, 2], ids=["replaced", "one_more"])
def test_the_checksum_is_right_wherever_the_change_falls(position: int, inserted: int) -> None:
    """The checksum is hashed on from the last saved state before the first change (the
    states after it hashed bytes that changed) and is the whole file's checksum."""
    index = whole_index([(b"p", entry_bytes(b"p" * 40, at)) for at in range(_CHUNKED)], [])
    new = [entry_bytes(b"p" * 40, -at - 1) for at in range(inserted)]
    splices = [EntrySplice(position, position + 1, new)]
    paths, entries = spliced_lists(index, splices)

    spliced = splice_index(index, splices, paths, entries, 0, [(b"ZETA", b"x")])

    assert spliced is not None
    assert spliced.raw[-20:] == hashlib.sha1(spliced.raw[:-20]).digest()
    assert spliced.raw == serialize_index(2, paths, entries, 0, [(b"ZETA", b"x")]).raw


# --- commits on a repository, with git as the oracle --------------------------------------


def _files(count: int) -> dict[str, bytes]:
    return {f"d{at % 6}/sub{at % 3}/f{at:04d}.json": b'{"n": %d}\n' % at for at in range(count)}


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.open(make_git_repository(tmp_path / "repo", _files(240)))


def _random_changes(rng: random.Random, tracked: set[str], step: int) -> dict[str, bytes | None]:
    changes: dict[str, bytes | None] = {}
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["modify", "add", "add", "delete"])
        if kind == "add" or not tracked:
            directory = rng.choice(["d0", "d3/sub1", "new", f"n{step % 4}/deep", ""])
            name = f"a{step}_{rng.randint(0, 10**6)}.json"
            changes[f"{directory}/{name}" if directory else name] = b"added %d\n" % step
        else:
            path = rng.choice(sorted(tracked))
            changes[path] = None if kind == "delete" else b"changed %d\n" % step
    return changes


def trees_git_builds(repo: Repository) -> bytes | None:
    """The ``TREE`` extension of the index git makes of HEAD (``.git/index`` untouched)."""
    git(repo, "read-tree", "--index-output=.git/reference", "HEAD")
    reference = repo.path / ".git" / "reference"
    parsed = parse_index(reference.read_bytes())
    reference.unlink()
    assert parsed is not None
    return parsed.extension(b"TREE")


@pytest.mark.parametrize("seed", [1, 2], ids=["seed-1", "seed-2"])
def test_random_commits_leave_the_index_git_would_write(repo: Repository, seed: int) -> None:
    """Adds, edits and deletes, commit after commit in one process (each index spliced
    into the last one written): every entry is the one ``git update-index`` writes for
    the file on disk, and the index stays HEAD's."""
    rng = random.Random(seed)
    index_path = repo.path / ".git" / "index"
    tracked = set(_files(240))
    for step in range(40):
        before = index_path.read_bytes()
        changes = _random_changes(rng, tracked, step)

        repo.commit_changes(changes, message=f"step {step}")

        tracked |= {path for path, data in changes.items() if data is not None}
        tracked -= {path for path, data in changes.items() if data is None}
        ours = read_index(repo.path)
        assert (
            ours.raw
            == serialize_index(
                ours.version, ours.paths, ours.entries, ours.extended, ours.extensions
            ).raw
        )
        assert ours.extension(b"TREE") == trees_git_builds(repo)
        if step % 5 == 4:  # git rewriting the index restarts the chain: not every step
            theirs = parse_index(index_git_would_write(repo.path, before, sorted(changes)))
            assert theirs is not None
            assert ours.entries == theirs.entries
    assert sorted(p.decode() for p in read_index(repo.path).paths) == sorted(tracked)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "write-tree") == git(repo, "rev-parse", "HEAD^{tree}")
    assert git(repo, "fsck", "--strict", "--no-dangling") == ""


def test_a_commit_writes_only_the_changed_entries(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the index was read, a commit splices into it: nothing serializes every entry."""
    repo.commit_changes({"d0/sub0/f0000.json": b"first\n"}, message="reads the index")

    def whole_serialization(*args: object) -> IndexFile:
        raise AssertionError("the whole index was serialized")

    monkeypatch.setattr(index_module, "serialize_index", whole_serialization)
    repo.commit_changes({"d0/sub0/f0000.json": b"second\n", "new.json": b"{}\n"}, message="x")

    assert git(repo, "status", "--porcelain") == ""


def test_a_commit_parses_the_index_it_locked_once(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks under ``index.lock`` (a format we update, no unmerged paths) and the
    update share one read of the file's bytes."""
    repo.commit_changes({"d0/sub0/f0000.json": b"first\n"}, message="reads the index")
    reads: list[int] = []
    read = index_entries.read_index_file

    def counted(path: str, raw: bytes) -> IndexFile | None:
        reads.append(len(raw))
        return read(path, raw)

    monkeypatch.setattr(index_entries, "read_index_file", counted)
    repo.commit_changes({"d0/sub0/f0000.json": b"second\n"}, message="x")

    assert len(reads) == 1


GIT_EDITS = {
    # same entry count and file size: only the bytes tell it changed
    "same_size": ["update-index", "--cacheinfo", f"100644,{'1' * 40},d1/sub1/f0001.json"],
    "one_more_entry": ["update-index", "--add", "--cacheinfo", f"100644,{'2' * 40},staged.json"],
    "one_entry_less": ["rm", "-q", "--cached", "d2/sub2/f0002.json"],
}


@pytest.mark.parametrize("edit", list(GIT_EDITS.values()), ids=list(GIT_EDITS))
def test_an_index_git_changed_between_our_commits_is_read_again(
    repo: Repository, edit: list[str]
) -> None:
    """The next commit starts from git's index, never from the bytes we wrote last."""
    repo.commit_changes({"d0/sub0/f0000.json": b"ours 1\n"}, message="ours 1")
    git(repo, *edit)
    staged = git(repo, "diff", "--cached", "--raw")
    assert staged

    repo.commit_changes({"d5/sub2/f0005.json": b"ours 2\n"}, message="ours 2")

    assert git(repo, "diff", "--cached", "--raw") == staged
    assert "d5/sub2/f0005.json" not in git(repo, "status", "--porcelain")
    ours = read_index(repo.path)
    assert (
        ours.raw
        == serialize_index(
            ours.version, ours.paths, ours.entries, ours.extended, ours.extensions
        ).raw
    )


def _with_extension(index_path: Path, name: bytes, data: bytes) -> None:
    """Append an extension to the index git wrote, and fix up its checksum."""
    body = index_path.read_bytes()[:-20] + name + struct.pack(">I", len(data)) + data
    index_path.write_bytes(body + hashlib.sha1(body).digest())


def test_extensions_stay_byte_correct_across_spliced_commits(repo: Repository) -> None:
    """An optional extension we do not know is kept byte for byte, and the cached trees
    follow each commit exactly as git builds them."""
    index_path = repo.path / ".git" / "index"
    _with_extension(index_path, b"ZETA", b"an optional extension\0\x01\x02")
    # git reads past it (and, allowed to write, would drop it: git keeps none it does not know)
    assert git(repo, "--no-optional-locks", "status", "--porcelain") == ""

    for step in range(6):
        changes: dict[str, bytes | None] = {f"d{step}/sub0/f{step:04d}.json": b"%d\n" % step}
        changes[f"added/{step}.json"] = b"new\n"
        if step % 2:
            changes[f"d{step}/sub1/f{step + 6:04d}.json"] = None
        repo.commit_changes(changes, message=f"step {step}")

    ours = read_index(repo.path)
    assert ours.extension(b"ZETA") == b"an optional extension\0\x01\x02"
    assert git(repo, "write-tree") == git(repo, "rev-parse", "HEAD^{tree}")
    assert ours.extension(b"TREE") == trees_git_builds(repo)
    assert git(repo, "--no-optional-locks", "status", "--porcelain") == ""


# --- the cached trees: shared between one index and the next, never changed -------------


def sharded_trees(fanout: int) -> CacheTree:
    """Records of a map sharded two levels deep: ``ab/cd/`` holding 10 files each."""
    root = CacheTree(b"", 10 * fanout * fanout, SHA)
    for outer in range(fanout):
        shard = CacheTree(b"%02x" % outer, 10 * fanout, SHA)
        shard.children = [CacheTree(b"%02x" % inner, 10, SHA) for inner in range(fanout)]
        root.children.append(shard)
    return parse_cache_tree(serialize_cache_tree(root))


UPDATES = {
    "follow_a_move": lambda root: follow_tree_moves(
        root,
        {b"": (SHA, b"2" * 40), b"03": (SHA, b"3" * 40), b"03/05": (SHA, b"4" * 40)},
        {b"": 1, b"03": 1, b"03/05": 1},
    ),
    "invalidate_a_path": lambda root: invalidate_paths(root, [b"03/05/file.json"]),
    "a_new_directory": lambda root: follow_tree_moves(
        root, {b"": (SHA, b"2" * 40), b"zz": (None, b"5" * 40)}, {b"": 1, b"zz": 1}
    ),
}


@pytest.mark.parametrize("update", list(UPDATES.values()), ids=list(UPDATES))
def test_an_update_of_the_cached_trees_copies_only_the_changed_records(update: object) -> None:
    """The records it started from stay as they were (the index they belong to may be
    reused if the write fails), and the records of untouched directories are shared."""
    root = sharded_trees(8)
    before = serialize_cache_tree(root)
    snapshot = parse_cache_tree(before)
    assert callable(update)

    updated = update(root)

    assert root == snapshot  # every record's fields, the bytes kept aside
    assert serialize_cache_tree(updated) != before
    untouched = [child for child in root.children if child.name != b"03"]
    assert all(any(old is new for new in updated.children) for old in untouched)
    reread = parse_cache_tree(serialize_cache_tree(updated))
    assert serialize_cache_tree(reread) == serialize_cache_tree(updated)


def test_a_failed_index_write_leaves_the_next_commit_s_cached_trees_right(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit that failed had already updated its copy of the cached trees; the
    index it started from, still on disk and still remembered, keeps its own."""
    repo.commit_changes({"d0/sub0/f0000.json": b"first\n"}, message="first")
    replace = index_module._replace_file

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_replace_file", full_disk)
    with pytest.raises(GitWorktreeError):
        repo.commit_changes({"d1/sub1/f0001.json": b"lost\n", "new/x.json": b"{}\n"}, message="x")
    monkeypatch.setattr(index_module, "_replace_file", replace)

    repo.commit_changes({"d2/sub2/f0002.json": b"second\n"}, message="second")

    assert read_index(repo.path).extension(b"TREE") == trees_git_builds(repo)
    assert git(repo, "status", "--porcelain") == ""
