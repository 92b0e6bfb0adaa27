"""Hostile stored documents: each a clear DocumentParseError, nothing read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import DocumentParseError, mount
from tests.conftest import MountRoot, read_stored
from tests.documents.models import DocTree

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<doc>&lol9;</doc>\n"
)


def xxe(secret: Path) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE doc [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        "<doc>&x;</doc>\n"
    )


def test_external_entity_is_refused_and_not_read(mount_root: MountRoot, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    mount(DocTree, mount_root())
    mount_root().object("free.xml").write_text(xxe(secret))
    with pytest.raises(DocumentParseError) as caught:
        mount(DocTree, mount_root())
    assert "DOCTYPE" in str(caught.value)
    assert "TOP-SECRET" not in str(caught.value)
    assert caught.value.issues[0].artifact == "free.xml"


def test_billion_laughs_fails_fast(mount_root: MountRoot) -> None:
    mount(DocTree, mount_root())
    mount_root().object("free.xml").write_text(BILLION_LAUGHS)
    with pytest.raises(DocumentParseError, match="DOCTYPE"):
        mount(DocTree, mount_root())
    assert read_stored(mount_root(), "free.xml").decode() == BILLION_LAUGHS


def test_deeply_nested_json_fails_with_a_parse_error(mount_root: MountRoot) -> None:
    mount(DocTree, mount_root())
    deep = "[" * 100_000 + "]" * 100_000
    mount_root().object("note.json").write_text(deep)
    with pytest.raises(DocumentParseError, match="nest"):
        mount(DocTree, mount_root())


def test_invalid_utf8_names_the_offset(mount_root: MountRoot) -> None:
    mount(DocTree, mount_root())
    mount_root().object("shout.md").write_bytes(b"HELLO \xff\n")
    with pytest.raises(DocumentParseError) as caught:
        mount(DocTree, mount_root())
    issue = caught.value.issues[0]
    assert issue.artifact == "shout.md" and issue.line == 1 and issue.column == 7
    assert "0xff" in issue.message


def test_an_edit_that_introduces_a_doctype_is_refused_at_commit(mount_root: MountRoot) -> None:
    from gitworktree import CommitRejectedError

    tree = mount(DocTree, mount_root())
    tree.free.content = BILLION_LAUGHS
    with pytest.raises(CommitRejectedError, match=r"free\.xml"):
        tree.commit()
    assert read_stored(mount_root(), "free.xml") == b"<doc/>\n"  # the default, as written
