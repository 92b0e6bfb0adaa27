"""check_tree: every declared artifact checked as stored, every issue found, nothing written."""

from __future__ import annotations

from pathlib import Path

from gitworktree import check_tree, mount
from tests.documents.models import DocTree
from tests.tree.models import RequiredTree, TaskTree


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_valid_tree_has_no_issues(tmp_path: Path) -> None:
    mount(DocTree, tmp_path)
    report = check_tree(DocTree, tmp_path)
    assert report.valid and report.missing == []
    assert sorted(report.checked) == ["free.xml", "note.json", "shout.md", "todos.xml"]


def test_every_invalid_artifact_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    mount(TaskTree, tmp_path)
    (tmp_path / "tasks" / "bad.json").write_text('{"done": "maybe"}')
    (tmp_path / "tasks" / "worse.json").write_text("{")
    (tmp_path / "counter.json").write_text('{"number": "x"}')
    before = files_of(tmp_path)
    report = check_tree(TaskTree, tmp_path)
    assert not report.valid
    assert {issue.artifact for issue in report.issues} == {
        "counter.json", "tasks/bad.json", "tasks/worse.json"
    }  # fmt: skip
    pointers = {issue.pointer for issue in report.issues if issue.artifact == "tasks/bad.json"}
    assert pointers == {"/title", "/done"}
    assert files_of(tmp_path) == before


def test_missing_artifacts_are_listed_or_flagged(tmp_path: Path) -> None:
    report = check_tree(DocTree, tmp_path)
    assert sorted(report.missing) == ["free.xml", "note.json", "shout.md", "todos.xml"]
    assert report.valid
    flagged = check_tree(RequiredTree, tmp_path)
    assert [issue.artifact for issue in flagged.issues] == ["app/storage/db.json"]
    assert "no default" in flagged.issues[0].message
    assert not (tmp_path / "app").exists()
