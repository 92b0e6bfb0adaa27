"""Tree entry names: git's own rules, with real ``git fsck`` as the oracle.

Every name git's ``fsck`` (HFS+ and NTFS protections included) calls an error in a tree
is refused by `RawTree.parse`, and every name it accepts is read; a few rules go further
than ``fsck`` (names file systems cannot hold, other dotfiles as links) and are listed
on their own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dulwich.repo import Repo

from gitworktree import UnsafePathError, UntrustedTreeError
from gitworktree.history import Repository
from gitworktree.history._core.untrusted import check_link_target
from gitworktree.history._objects.rawtrees import RawTree
from tests.remotes.hostile import Link, hostile_commit, tree

#: (name, as a symlink?) -> whether git refuses it.
GIT_RULES: list[tuple[bytes, bool, bool]] = [
    (b"notes.txt", False, False),
    (b".hidden", False, False),
    (b".gitignore", False, False),
    (b".gitx", False, False),
    (b"git~2", False, False),
    (b"main.py", False, False),
    ("caf\u00e9".encode(), False, False),
    (b"Icon\r", False, False),
    (b"..", False, True),
    (b".", False, True),
    (b".git", False, True),
    (b".Git", False, True),
    (b".git.", False, True),
    (b".git . .", False, True),
    (b".git::$INDEX_ALLOCATION", False, True),
    (b"git~1", False, True),
    (b"GIT~1...", False, True),
    (".g\u200cit".encode(), False, True),
    (".\u200dgi\u206ft".encode(), False, True),
    ("\ufeff.git".encode(), False, True),
    (b"x\\.git", False, True),
    (b"a/b", False, True),
    (b".gitmodules", True, True),
    (b".GITMODULES", True, True),
    (b"gitmod~1", True, True),
    (b"gi7eba~1", True, True),
    (b".gitmodules", False, False),
]


def _id(case: tuple[bytes, bool, bool]) -> str:
    name, link, _ = case
    return name.decode("utf-8", "backslashreplace").encode("ascii", "backslashreplace").decode() + (
        "-link" if link else ""
    )


def _body(name: bytes, link: bool) -> bytes:
    mode = b"120000" if link else b"100644"
    return mode + b" " + name + b"\0" + b"\x11" * 20


def _refused(body: bytes) -> bool:
    try:
        RawTree.parse(body)
    except UntrustedTreeError:
        return True
    return False


@pytest.mark.parametrize("case", GIT_RULES, ids=[_id(c) for c in GIT_RULES])
def test_names_are_refused_exactly_as_git_refuses_them(case: tuple[bytes, bool, bool]) -> None:
    name, link, git_refuses = case
    assert _refused(_body(name, link)) == git_refuses


def test_git_fsck_agrees_with_every_rule(tmp_path: Path) -> None:
    Repo.init_bare(tmp_path, mkdir=False).close()
    trees = {}
    for name, link, git_refuses in GIT_RULES:
        node = Link(b"target") if link else b"content"
        trees[tree(tmp_path, [(name, node)])] = git_refuses
    fsck = subprocess.run(
        ["git", "-C", str(tmp_path), "fsck", "--strict", "--no-dangling"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    refused_by_git = {sha for sha in trees if f"error in tree {sha}" in fsck.stderr}
    assert refused_by_git == {sha for sha, refused in trees.items() if refused}


@pytest.mark.parametrize(
    "body",
    [
        _body(b"notes.txt", False) + _body(b"notes.txt", False),
        b"100644 d\0" + b"\x11" * 20 + b"40000 d\0" + b"\x22" * 20,
        b"40000 d\0"
        + b"\x22" * 20
        + b"100644 d.txt\0"
        + b"\x33" * 20
        + b"100644 d\0"
        + b"\x11" * 20,
    ],
    ids=["same-file-twice", "file-and-directory", "file-and-directory-apart"],
)
def test_a_name_twice_in_one_tree_is_refused(body: bytes) -> None:
    assert _refused(body)


@pytest.mark.parametrize(
    "name",
    [b"x" * 256, b".gitattributes", b".gitignore", b".mailmap"],
    ids=["longer-than-255-bytes", "gitattributes-link", "gitignore-link", "mailmap-link"],
)
def test_beyond_fsck_names_no_file_system_holds_and_dotfile_links_are_refused(name: bytes) -> None:
    assert _refused(_body(name, len(name) < 256))


@pytest.mark.parametrize("mode", [b"100000", b"644", b"1o0644", b""], ids=str)
def test_an_unknown_mode_is_refused(mode: bytes) -> None:
    assert _refused(mode + b" name\0" + b"\x11" * 20)


@pytest.mark.parametrize(
    "target",
    [b"notes.txt", b"docs/readme", b"./here", b"a//b"],
    ids=["sibling", "below", "dot-slash", "double-slash"],
)
def test_links_that_go_down_are_allowed(target: bytes) -> None:
    check_link_target("link", target)


@pytest.mark.parametrize(
    "target",
    [b"", b"..", b"../x", b"a/../../x", b"/etc/passwd", b".git/config", b"d/.GIT/hooks",
     b"a\\..\\x", b"git~1/config"],
    ids=["empty", "parent", "up", "up-inside", "absolute", "dotgit", "nested-dotgit",
         "backslash", "ntfs-short"],
)  # fmt: skip
def test_links_that_may_lead_out_or_into_dotgit_are_refused(target: bytes) -> None:
    with pytest.raises(UntrustedTreeError) as caught:
        check_link_target("link", target)
    assert caught.value.path == "link"


@pytest.mark.parametrize(
    "path",
    ["a/.git.", "GIT~1/config", "x/.g\u200cit/config", ".Git/hooks/post-checkout", "x" * 256],
    ids=["trailing-dot", "short-name", "hfs-ignorable", "case", "too-long"],
)
def test_we_never_commit_a_path_we_would_refuse_to_read(tmp_path: Path, path: str) -> None:
    with Repository.init(tmp_path / "repo") as repo:
        with pytest.raises(UnsafePathError):
            repo.commit_changes({path: b"x"}, message="hostile")
        assert repo.head is None
        assert sorted(p.name for p in repo.path.iterdir()) == [".git"]


def test_a_diff_between_commits_refuses_an_untrusted_tree_as_show_does(tmp_path: Path) -> None:
    """``diff A B`` reads trees as ``show`` and ``log`` do: an entry git's ``fsck`` calls an
    error is named in the refusal, never listed as a change."""
    root = tmp_path / "repo"
    with Repository.init(root) as repo:
        base = repo.commit_changes({"notes.txt": b"hello\n"}, message="one").sha
        hostile = hostile_commit(root / ".git", [(b".git", b"evil\n")], parent=base)

        with pytest.raises(UntrustedTreeError) as refused:
            repo.diff(base, hostile)

    assert refused.value.path == ".git"
