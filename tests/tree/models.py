"""Tree declarations shared by the tree tests (module level, as users write them)."""

from __future__ import annotations

from pydantic import Field

from gitworktree import Anchor, ArtifactMap, LayoutAnchor, PydanticArtifact, Worktree


class Counter(PydanticArtifact):
    number: int = 0


class CounterTree(Worktree):
    counter: Counter


class DatabaseConfig(PydanticArtifact):
    host: str = "localhost"
    port: int = 5432


class ServerConfig(PydanticArtifact):
    debug: bool = False


class AppLayout(LayoutAnchor):
    class Storage(LayoutAnchor):
        db: DatabaseConfig

    storage: Storage
    config: ServerConfig
    logs: LayoutAnchor


class ProjectTree(Worktree):
    app: AppLayout


class RequiredConfig(PydanticArtifact):
    db_url: str
    username: str = "db_user"


class RequiredLayout(LayoutAnchor):
    class Storage(LayoutAnchor):
        db: RequiredConfig

    storage: Storage


class RequiredTree(Worktree):
    app: RequiredLayout


class Task(PydanticArtifact):
    title: str
    done: bool = False
    tags: list[str] = Field(default_factory=list)


class TaskTree(Worktree):
    tasks: ArtifactMap[Task]
    counter: Counter


class Inner(Worktree):
    counter: Counter


class Outer(Worktree):
    inner: Inner
    counter: Counter


class DeepLayout(LayoutAnchor):
    class Baz(LayoutAnchor):
        class Y(LayoutAnchor):
            a: LayoutAnchor
            b: LayoutAnchor

        x: LayoutAnchor
        y: Y

    class Foobar(LayoutAnchor):
        config: ServerConfig

    counter: Counter
    baz: Baz
    foobar: Foobar


class DeepTree(Worktree):
    this_thing: DeepLayout


class FilesTree(Worktree):
    counter: Counter
    attachments: Anchor
