"""Drop-in replacements for the two libraries gitworktree unites, running on its engine.

- ``gitworktree.compat.worktree`` mirrors the module paths of ``worktree`` (declared trees
  of artifacts mounted on storage);
- ``gitworktree.compat.wellformed`` mirrors ``wellformed`` (validated documents, the
  fixing loop and checkpoints of standalone files).

Code written against either migrates by changing its imports; ``docs/migrating.md``
lists what remains different and why.
"""

__all__: list[str] = []
