"""``python -m gitworktree`` runs the same CLI as the ``gitworktree`` command."""

from gitworktree.cli import main

if __name__ == "__main__":
    main()
