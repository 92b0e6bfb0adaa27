"""Declaring trees: what class creation and field discovery accept and refuse."""

from __future__ import annotations

from typing import ClassVar

import pytest

from gitworktree import ArtifactMap, LayoutAnchor, Worktree, mount
from gitworktree.storage import InMemoryMountDriver
from tests.tree.models import Counter

RESERVED = ["sync", "commit", "acommit", "checkpoint", "restore", "transaction", "repo"]


@pytest.mark.parametrize("name", RESERVED, ids=RESERVED)
def test_reserved_names_are_refused_at_class_creation(name: str) -> None:
    with pytest.raises(TypeError, match=f"'{name}' is reserved by Worktree"):
        type("Bad", (Worktree,), {"__annotations__": {name: Counter}})


def test_layout_field_named_handle_is_refused() -> None:
    with pytest.raises(TypeError, match="'handle' is a method"):
        type("Bad", (LayoutAnchor,), {"__annotations__": {"handle": Counter}})


def test_field_that_is_not_an_item_is_refused_at_mount() -> None:
    class Plain(Worktree):
        count: int

    with pytest.raises(TypeError, match=r"Plain\.count: .* is not an artifact"):
        mount(Plain, InMemoryMountDriver().mount())


def test_map_without_item_type_is_refused() -> None:
    class Bare(Worktree):
        things: ArtifactMap  # type: ignore[type-arg]

    with pytest.raises(TypeError, match=r"ArtifactMap\[Task\]"):
        mount(Bare, InMemoryMountDriver().mount())


def test_unresolvable_annotation_says_where() -> None:
    class Broken(Worktree):
        thing: NotDefinedAnywhere  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match=r"Broken\.thing"):
        mount(Broken, InMemoryMountDriver().mount())


def test_private_and_classvar_annotations_are_not_items() -> None:
    class WithExtras(Worktree):
        counter: Counter
        label: ClassVar[str] = "x"
        _note: str

    tree = mount(WithExtras, InMemoryMountDriver().mount())
    assert tree.counter.number == 0
    assert WithExtras.label == "x"


def test_subclass_inherits_fields() -> None:
    class Base(Worktree):
        counter: Counter

    class Derived(Base):
        other: Counter

    tree = mount(Derived, InMemoryMountDriver().mount())
    assert tree.counter.number == 0 and tree.other.number == 0


def test_mount_refuses_a_non_tree() -> None:
    with pytest.raises(TypeError, match="Worktree subclass"):
        mount(Counter, InMemoryMountDriver().mount())  # type: ignore[type-var]
