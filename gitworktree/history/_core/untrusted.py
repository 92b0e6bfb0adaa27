"""Tree entries as untrusted input: git's own rules for names, and where links may point.

A tree object can come from anyone: a remote, a damaged repository, another tool. Its
entry names become paths on disk and in the index, so every name is checked the way
git checks it before a checkout (``verify_path`` in read-cache.c, ``fsck_tree`` in
fsck.c), with the HFS+ and NTFS protections on, on every platform, because a repository
travels:

- no empty name, no ``.`` or ``..``, no ``/`` (or NUL) inside a name;
- no ``.git`` in any case, nor a spelling HFS+ or NTFS reads as ``.git``: with
  ignorable Unicode code points (``.g\\u200cit``), trailing dots or spaces (``.git.``),
  an alternate data stream (``.git::$INDEX_ALLOCATION``), the short name ``git~1``, or
  after a backslash (a directory separator on Windows);
- ``.gitmodules``, ``.gitattributes``, ``.gitignore`` and ``.mailmap`` (and their
  HFS+/NTFS spellings) may not be symbolic links;
- no two entries of one name, a mode git knows, and a name short enough to be a file
  name (255 bytes).

`RawTree.parse` applies these to every tree as it is read (once per tree: parsed trees
are cached by id), so no path that breaks them ever reaches a caller. What a symbolic
link may point at is checked where it would be written (`check_link_target`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dulwich.objects import ObjectID

from gitworktree.errors import UntrustedTreeError

__all__ = [
    "DIRECTORY_MODES",
    "KNOWN_MODES",
    "MAX_NAME_BYTES",
    "check_link_target",
    "entry_problem",
    "naming_commit",
]

#: Tree entry modes git writes (``100664`` and zero-padded ``040000`` from old tools).
KNOWN_MODES = frozenset(
    (b"100644", b"100755", b"100664", b"40000", b"040000", b"120000", b"160000")
)
DIRECTORY_MODES = frozenset((b"40000", b"040000"))
_SYMLINK = b"120000"

#: The longest file name common file systems accept (ext4, APFS, NTFS: 255).
MAX_NAME_BYTES = 255

#: Code points HFS+ ignores when it compares names (git's ``next_hfs_char``).
_HFS_IGNORED = dict.fromkeys(
    (*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF)
)

#: First bytes a name must start with to be read as ``.git`` or one of the dotfiles
#: below by HFS+ or NTFS: ``.``, ``g``/``G`` (``git~1``, ``gi7eba~1``), ``m``/``M``
#: (``maba30~1``), ``~`` (a short name ``~1234567``), and the lead bytes of the
#: code points HFS+ ignores.
_SUSPECT_FIRST = frozenset(b".gGmM~\xe2\xef")

#: The dotfiles git refuses as symbolic links, with their NTFS short-name prefixes.
_NO_SYMLINK = (
    (b"gitmodules", b"gi7eba"),
    (b"gitattributes", b"gi7d29"),
    (b"gitignore", b"gi250a"),
    (b"mailmap", b"maba30"),
)


def entry_problem(name: bytes, mode: bytes) -> str | None:
    """Why git would refuse the tree entry ``name`` with raw ``mode``; ``None`` if it is fine.

    The common case (a name starting with a letter or digit, without ``\\``) costs two
    set lookups.
    """
    if mode not in KNOWN_MODES:
        return f"has an unknown mode {mode.decode('ascii', 'replace')!r}"
    if not name:
        return "is an empty name"
    if len(name) > MAX_NAME_BYTES:
        return f"is a name longer than {MAX_NAME_BYTES} bytes, which file systems refuse"
    if b"/" in name:
        return "has a '/' inside one name"
    if name[0] not in _SUSPECT_FIRST and b"\\" not in name:
        return None
    if name in (b".", b".."):
        return f"is a {name.decode()!r} level, which leaves its directory"
    if not _may_spell_a_dotfile(name):
        return None
    # Windows reads a backslash as a directory separator: check every part after one.
    for part in name.split(b"\\"):
        if part.lower() == b".git":
            return "reaches into .git"
        if _is_hfs_dot(part, b"git") or _is_ntfs_dot(part, b"git", b"git~1"):
            return "is a name HFS+ or NTFS reads as .git"
        if mode == _SYMLINK and any(
            _is_hfs_dot(part, dotfile) or _is_ntfs_dot(part, dotfile, short)
            for dotfile, short in _NO_SYMLINK
        ):
            return "is a git control file (.gitmodules, .gitattributes, ...) as a symbolic link"
    return None


def _may_spell_a_dotfile(name: bytes) -> bool:
    """Whether ``name`` could be read as ``.git`` or a dotfile below at all: every such
    spelling starts with ``.git`` or ``.mailmap``, or holds a ``~`` (short names), a
    backslash, or a code point HFS+ ignores (lead byte 0xE2 or 0xEF)."""
    lower = name.lower()
    return (
        lower.startswith((b".git", b".mailmap"))
        or b"~" in name
        or b"\\" in name
        or b"\xe2" in name
        or b"\xef" in name
    )


def _is_hfs_dot(name: bytes, needle: bytes) -> bool:
    """Whether HFS+ reads ``name`` as ``.<needle>`` (case and ignorable code points aside)."""
    text = name.decode("utf-8", "surrogateescape").translate(_HFS_IGNORED)
    return text.isascii() and text.lower() == "." + needle.decode("ascii")


def _is_ntfs_dot(name: bytes, needle: bytes, short: bytes) -> bool:
    """Whether NTFS reads ``name`` as ``.<needle>``: with trailing dots or spaces, an
    ``:`` alternate stream, or as a short name (``git~1``; ``gitmod~1`` or ``gi7eba~1``
    for the dotfiles), as git's ``is_ntfs_dotgit`` and ``is_ntfs_dot_generic`` do.
    """
    lower = name.lower()
    if lower.startswith(b"." + needle) and _only_dots_spaces_then_end(lower[len(needle) + 1 :]):
        return True
    if needle == b"git":
        return lower.startswith(b"git~1") and _only_dots_spaces_then_end(lower[5:])
    if (
        lower[:6] == needle[:6]
        and lower[6:7] == b"~"
        and lower[7:8] in (b"1", b"2", b"3", b"4")
        and _only_dots_spaces_then_end(lower[8:])
    ):
        return True
    return _is_fallback_short_name(lower, short)


def _only_dots_spaces_then_end(rest: bytes) -> bool:
    stream = rest.find(b":")
    if stream >= 0:
        rest = rest[:stream]
    return not rest.strip(b". ")


def _is_fallback_short_name(lower: bytes, prefix: bytes) -> bool:
    """NTFS's fall-back short name: the first (up to 6) characters of ``prefix``, then
    ``~`` and digits (the first one not 0), 8 characters in all."""
    tilde = lower.find(b"~", 0, 7)
    if tilde < 0 or len(lower) < 8 or lower[:tilde] != prefix[:tilde]:
        return False
    digits = lower[tilde + 1 : 8]
    if not digits.isdigit() or digits[:1] == b"0":
        return False
    return _only_dots_spaces_then_end(lower[8:])


def check_link_target(path: str, target: bytes) -> None:
    """Refuse a symbolic link whose target could lead out of the work tree or into ``.git``.

    A link is written only if its target is a relative path that goes down from the
    link's own directory: no absolute path, no ``..``, no ``\\``, and no level that git
    would refuse as a name (``.git`` in any spelling). Checking the text alone is enough
    then, whatever other links lie on the way: each of them goes only down too.

    Raises:
        UntrustedTreeError: naming ``path`` and why.
    """
    if not target:
        raise UntrustedTreeError(path, "is a symbolic link with an empty target")
    if target.startswith(b"/") or b"\\" in target or b"\0" in target:
        raise UntrustedTreeError(
            path, f"is a symbolic link to {_shown(target)}, outside the work tree"
        )
    for part in target.split(b"/"):
        if part in (b"", b"."):
            continue
        if part == b".." or entry_problem(part, b"100644") is not None:
            raise UntrustedTreeError(
                path,
                f"is a symbolic link to {_shown(target)}, which may lead out of its "
                "directory or into .git (only links that go down are written)",
            )


def _shown(target: bytes) -> str:
    return repr(target.decode("utf-8", "backslashreplace"))


@contextmanager
def naming_commit(commit: ObjectID | bytes | str | None) -> Iterator[None]:
    """Add ``commit`` to an `UntrustedTreeError` raised inside (unless it names one)."""
    try:
        yield
    except UntrustedTreeError as error:
        if error.commit is not None or commit is None:
            raise
        text = commit.decode("ascii") if isinstance(commit, bytes) else commit
        raise error.located(commit=text) from None
