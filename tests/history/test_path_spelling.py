"""``core.ignoreCase`` and ``core.precomposeUnicode``: paths git would spell otherwise.

Under ``core.ignoreCase`` git folds a new path into the spelling it tracks
(``git add work/x`` next to a tracked ``Work/`` records ``Work/x``); under
``core.precomposeUnicode`` it records paths precomposed (NFC). A commit writes the
paths it is given, so such a path is refused before anything is written.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from gitworktree import UnsafePathError
from gitworktree.history import Repository
from tests.oracle import git

TRACKED = {"Work/notes.json": b"{}\n", "readme.txt": b"hello\n"}
CAFE_NFD = unicodedata.normalize("NFD", "café.json")
CAFE_NFC = unicodedata.normalize("NFC", "café.json")


def make_repository(root: Path, settings: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for path, data in TRACKED.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "made by git")
    for name, value in settings.items():
        git(root, "config", name, value)
    return root


def test_git_itself_folds_a_new_path_into_the_tracked_spelling(tmp_path: Path) -> None:
    # The premise of the refusals below, checked against git.
    root = make_repository(tmp_path / "repo", {"core.ignoreCase": "true"})
    (root / "work").mkdir()
    (root / "work" / "other.json").write_bytes(b"{}\n")

    git(root, "add", "work/other.json")

    assert "Work/other.json" in git(root, "ls-files").split()


REFUSED = {
    "a_folder_in_another_case": ({"work/other.json": b"{}\n"}, "Work"),
    "a_file_in_another_case": ({"Work/Notes.json": b"{}\n"}, "Work/notes.json"),
    "two_new_paths_of_one_commit": ({"new/a.json": b"1\n", "New/b.json": b"2\n"}, "New"),
    # The old spelling is looked up in the tree the commit is made on: two commits.
    "a_rename_by_case_alone": ({"readme.txt": None, "README.txt": b"hello\n"}, "readme.txt"),
}


@pytest.mark.parametrize(("changes", "twin"), REFUSED.values(), ids=REFUSED.keys())
def test_with_ignore_case_a_path_git_would_fold_is_refused_and_nothing_is_written(
    tmp_path: Path, changes: dict[str, bytes | None], twin: str
) -> None:
    root = make_repository(tmp_path / "repo", {"core.ignoreCase": "true"})
    index = (root / ".git" / "index").read_bytes()
    head = git(root, "rev-parse", "HEAD")

    with Repository.open(root) as repository, pytest.raises(UnsafePathError) as raised:
        repository.commit_changes(changes, message="ours")

    assert repr(twin) in str(raised.value)
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / ".git" / "index").read_bytes() == index
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize(
    "settings", [{"core.ignoreCase": "true"}, {}], ids=["ignore_case", "unset"]
)
def test_paths_spelled_as_tracked_or_new_everywhere_are_committed(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    root = make_repository(tmp_path / "repo", settings)
    changes = {"Work/notes.json": b"[]\n", "Work/more.json": b"{}\n", "other/x.json": b"{}\n"}

    with Repository.open(root) as repository:
        repository.commit_changes(changes, message="ours")

    assert git(root, "status", "--porcelain") == ""
    assert git(root, "ls-files").split() == sorted([*TRACKED, "Work/more.json", "other/x.json"])


def test_with_ignore_case_the_same_name_in_folders_of_other_names_is_no_twin(
    tmp_path: Path,
) -> None:
    # Case is compared along one path, folder by folder: `other/README.TXT` and
    # `Work/Readme.txt` name no tracked path in another case.
    root = make_repository(
        tmp_path / "repo", {"core.ignoreCase": "true", "core.precomposeUnicode": "true"}
    )
    changes = {"other/README.TXT": b"1\n", "Work/Readme.txt": b"2\n", f"Work/{CAFE_NFC}": b"{}\n"}

    with Repository.open(root) as repository:
        repository.commit_changes(changes, message="ours")

    assert git(root, "status", "--porcelain") == ""
    assert set(changes) <= set(git(root, "-c", "core.quotePath=false", "ls-files").split())


def test_without_ignore_case_paths_differing_in_case_are_two_paths_as_in_git(
    tmp_path: Path,
) -> None:
    root = make_repository(tmp_path / "repo", {})

    with Repository.open(root) as repository:
        repository.commit_changes({"work/other.json": b"{}\n"}, message="ours")

    assert "work/other.json" in git(root, "ls-files").split()
    assert git(root, "status", "--porcelain") == ""


def test_with_precompose_unicode_a_decomposed_path_is_refused_naming_the_precomposed_one(
    tmp_path: Path,
) -> None:
    root = make_repository(tmp_path / "repo", {"core.precomposeUnicode": "true"})
    head = git(root, "rev-parse", "HEAD")

    with Repository.open(root) as repository, pytest.raises(UnsafePathError) as raised:
        repository.commit_changes({CAFE_NFD: b"{}\n"}, message="ours")

    assert repr(CAFE_NFC) in str(raised.value)
    assert git(root, "rev-parse", "HEAD") == head
    assert not (root / CAFE_NFD).exists()


@pytest.mark.parametrize(
    ("settings", "path"),
    [({"core.precomposeUnicode": "true"}, CAFE_NFC), ({}, CAFE_NFD)],
    ids=["precomposed_with_the_setting", "decomposed_without_it"],
)
def test_unicode_paths_are_committed_as_given_where_git_would_keep_them(
    tmp_path: Path, settings: dict[str, str], path: str
) -> None:
    root = make_repository(tmp_path / "repo", settings)

    with Repository.open(root) as repository:
        repository.commit_changes({path: b"{}\n"}, message="ours")

    listed = git(root, "-c", "core.quotePath=false", "ls-files").split()
    assert path in listed
    assert git(root, "status", "--porcelain") == ""
