"""A worktree user moving to the native API: the mistakes the move invites are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitworktree import BaseWorktreeItem, ObjectClaim, Worktree, mount
from gitworktree.compat.worktree.impl.items import pydantic_model


class HandMade(BaseWorktreeItem):
    """worktree's way to own storage: claims and hooks."""

    def ownership_claims(self) -> list[ObjectClaim]:
        return [ObjectClaim("custom.txt")]


class CompatCounter(pydantic_model.PydanticArtifact):
    number: int = 0


class WithHandMade(Worktree):
    custom: HandMade


class WithCompatArtifact(Worktree):
    counter: CompatCounter


@pytest.mark.parametrize(
    "tree", [WithHandMade, WithCompatArtifact], ids=["own-claims-and-hooks", "compat-artifact"]
)
def test_a_worktree_style_item_in_a_native_tree_says_where_it_belongs(
    tmp_path: Path, tree: type[Worktree]
) -> None:
    with pytest.raises(TypeError) as caught:
        mount(tree, tmp_path / "data")
    message = str(caught.value)
    assert "ownership_claims()" in message and "gitworktree.compat.worktree" in message
    assert "wrap plain values" not in message
    assert not (tmp_path / "data").exists()


class XmlBytes:
    """lxml's etree.tostring(tree) without encoding="unicode" returns bytes."""

    name = "to-bytes"

    def execute(self, content, parsed):
        return b"<note/>"


def test_a_mutation_returning_bytes_is_told_to_return_text() -> None:
    from gitworktree import XmlDocument

    class Note(XmlDocument):
        pass

    with pytest.raises(TypeError, match=r'encoding="unicode"'):
        Note.from_content("<note/>").apply(XmlBytes())
