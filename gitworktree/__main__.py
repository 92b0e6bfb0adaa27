"""``python -m gitworktree`` runs the same CLI as the ``gitworktree`` command."""

from gitworktree.cli import main

main()
