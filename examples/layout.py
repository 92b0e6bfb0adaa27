"""Nested layouts: prints the database host, "localhost" first and "postgres.prod" after.

Run:  python examples/layout.py [DIRECTORY]
"""

import sys

from gitworktree import LayoutAnchor, PydanticArtifact, Worktree, mount


class DatabaseConfig(PydanticArtifact):
    host: str = "localhost"
    port: int = 5432


class ServerConfig(PydanticArtifact):
    debug: bool = False


class AppLayout(LayoutAnchor):
    class Storage(LayoutAnchor):  # an inner class declares a nested directory
        db: DatabaseConfig

    storage: Storage  # app/storage/db.json
    config: ServerConfig  # app/config.json
    logs: LayoutAnchor  # app/logs/, an empty directory


class ProjectTree(Worktree):
    app: AppLayout


def main(directory: str) -> None:
    tree = mount(ProjectTree, directory)
    print(tree.app.storage.db.host)
    print(tree.app.config.debug)
    tree.app.storage.db.host = "postgres.prod"
    tree.commit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data")
