"""What git does to a file between its blob and the work tree: line endings, and refusals.

git converts line endings when a file goes into a blob ("clean": CRLF becomes LF) and
when it is written out ("smudge": LF becomes CRLF), as the ``text``/``eol`` attributes
and ``core.autocrlf``/``core.eol`` say. `WorktreeFilters` does the same, so that blobs
hold LF, the work tree holds what ``git checkout`` would write, and a file nobody changed
never reads as changed. Attributes that run programs named by repository config
(``filter=``), expand keywords (``ident``) or re-encode (``working-tree-encoding``) are
not applied: a commit of such a file is refused (`UnsupportedAttributeError`).

Attributes come from ``core.attributesFile`` (by default
``$XDG_CONFIG_HOME/git/attributes``), the ``.gitattributes`` of every directory along a
path (read from the work tree once per directory, when a path below it is first asked
about) and ``.git/info/attributes``, in git's order of precedence. One `WorktreeFilters` is
made per operation (a load, a commit, a status), so a change to them applies from the
next one; the files it reads are parsed again only when their ``stat`` changed
(`AttributeFiles`, shared by a repository's filters). With no attributes file and
``core.autocrlf`` unset nothing is converted, and the cost is one failed ``lstat`` per
directory asked about.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.config import Config
from dulwich.repo import Repo

from gitworktree.errors import RepositoryError, UnsupportedAttributeError
from gitworktree.history._core.configfiles import FileStamp, settled
from gitworktree.history._core.damage import config_error

if TYPE_CHECKING:
    from dulwich.attrs import AttributeValue, GitAttributes, Pattern
    from dulwich.line_ending import LineEndingFilter

    from gitworktree.history._worktree.split_index import SplitIndexSettings

__all__ = ["AttributeFiles", "WorktreeFilters"]

log = logging.getLogger("gitworktree")

# dulwich's attrs module is imported where an attributes file is parsed or matched: a
# repository without one (most) never needs it.
_Patterns = list[tuple["Pattern", Mapping[bytes, "AttributeValue"]]]

# ``working-tree-encoding`` set to UTF-8 converts nothing: the blob is UTF-8 already.
_UTF8 = frozenset({b"utf-8", b"utf8"})


class AttributeFiles:
    """Attributes files as last parsed, kept while their ``lstat`` shows no change.

    One per repository, shared by the `WorktreeFilters` of its operations: each looks at
    every file it needs again (one ``lstat``, as many calls as the ``open`` it replaces),
    and parses only those created, edited, replaced or deleted since (see
    `gitworktree.history._core.configfiles` for the stamp, and why a file changed just
    before it was read is parsed again the next time).
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, bytes], tuple[FileStamp | None, _Patterns]] = {}

    def patterns(self, path: str, base: bytes, *, follow: bool = False) -> _Patterns:
        """The patterns of the attributes file at ``path`` for directory ``base``.

        Args:
            path: the file.
            base: the directory its patterns apply to (``b""``: the whole tree).
            follow: whether a symbolic link is followed: git follows one at
                ``info/attributes`` and ``core.attributesFile``, never a ``.gitattributes``
                in the work tree.
        """
        try:
            info = os.stat(path) if follow else os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            found: FileStamp | None = None
        except OSError:
            return _read_patterns(path, base, follow)  # as `open` would fail: warned every time
        else:
            if not stat.S_ISREG(info.st_mode):
                # a link in the tree, a directory: ignored as git does
                return _read_patterns(path, base, follow)
            found = FileStamp.of(info)
        kept = self._kept.get((path, base))
        if kept is not None and kept[0] == found:
            return kept[1]
        # Looked at before it is read: an edit in between makes the next look read again.
        now = time.time_ns()
        patterns = [] if found is None else _read_patterns(path, base, follow)
        if settled(found, now):
            self._kept[(path, base)] = (found, patterns)
        else:
            self._kept.pop((path, base), None)
        return patterns


class WorktreeFilters:
    """The line-ending conversion git applies to each path of one work tree.

    Args:
        root: the work tree root.
        control_dir: the ``.git`` directory (for ``info/attributes``).
        config: the repository's config stack, or a function that reads it (then called
            only when a path is first converted).
        files: the repository's parsed attributes files, to reuse those that did not
            change (by default every file is read).
    """

    def __init__(
        self,
        root: Path,
        control_dir: Path,
        config: Config | Callable[[], Config],
        files: AttributeFiles | None = None,
    ) -> None:
        self._root = root
        self._root_name = os.fspath(root)
        self._control_dir = os.fspath(control_dir)
        self._config = config
        self._files = AttributeFiles() if files is None else files
        self._eol: tuple[str, bytes, bytes] | None = None
        self._attributes: GitAttributes | None = None
        self._filters: dict[str, LineEndingFilter | None] = {}
        self._expected: dict[bytes, _Patterns] = {}  # attributes files about to be written
        self._directories: dict[bytes, _Patterns] = {}  # each directory's, read once
        self._info: _Patterns | None = None
        self._global: _Patterns | None = None
        # Directories where nothing can convert (no attributes along the way, no
        # core.autocrlf): their files skip the per-path lookup, the cost of a large map.
        self._quiet: dict[str, bool] = {}
        # Directories with no attributes file along the way: nothing to match there.
        self._bare: dict[str, bool] = {}

    @property
    def root(self) -> Path:
        """The work tree root."""
        return self._root

    @classmethod
    def for_repo(cls, repo: Repo) -> WorktreeFilters:
        """The filters of ``repo``'s work tree, as its config and attributes are now."""
        return cls(Path(repo.path), Path(repo.controldir()), repo.get_config_stack)

    def attributes(self, path: str) -> Mapping[bytes, AttributeValue]:
        """The git attributes of ``path`` (repository-relative), the ``binary`` macro expanded."""
        directory = path.rpartition("/")[0]
        bare = self._bare.get(directory)
        if bare is None:
            bare = self._bare[directory] = not self._patterns_along(directory)
        if bare:
            return {}  # the usual case: no attributes file on the way (nothing to match)
        if self._attributes is None:
            from dulwich.attrs import GitAttributes

            self._attributes = GitAttributes(
                [*self._global_patterns(), *self._directory_patterns(b"")],
                directory_loader=self._directory_patterns,
                info_patterns=self._info_patterns(),
            )
        found = self._attributes.match_path(path.encode("utf-8", "surrogateescape"))
        if found.get(b"binary") is True:  # git's built-in macro: -diff -merge -text
            found = {**found, b"text": False, b"diff": False, b"merge": False}
        return found

    def expect(self, path: str, data: bytes | None) -> None:
        """Use ``data`` as the content of the attributes file ``path`` about to be written.

        A checkout writes ``.gitattributes`` files and the files they govern together
        (a clone, a pull): the files are converted as the new attributes say, as git's
        checkout does.

        Args:
            path: a ``.gitattributes`` path, repository-relative.
            data: its new content; ``None``: it is being deleted.
        """
        directory = path.rpartition("/")[0].encode("utf-8", "surrogateescape")
        patterns: _Patterns = []
        if data is not None:
            from dulwich.attrs import compile_gitattributes_patterns, parse_git_attributes

            entries = parse_git_attributes(io.BytesIO(data))
            patterns = compile_gitattributes_patterns(entries, path, directory)
        self._expected[directory] = patterns
        self._attributes = None  # built again with the new patterns
        self._filters.clear()
        self._quiet.clear()
        self._bare.clear()

    def split_index(self) -> bool | None:
        """``core.splitIndex`` as configured, read with the rest.

        ``None`` when it is not set, or is not a boolean git reads (a typo such as
        ``ture``, which git itself refuses): the index then keeps the form it has.

        Raises:
            RepositoryError: if the config files cannot be parsed.
        """
        try:
            value = self._config_stack().get(("core",), "splitIndex").strip().lower()
        except KeyError:
            return None
        if value in (b"true", b"yes", b"on", b"1", b""):
            return True
        if value in (b"false", b"no", b"off", b"0"):
            return False
        return None

    def split_index_settings(self) -> SplitIndexSettings:
        """``splitIndex.maxPercentChange`` and ``splitIndex.sharedIndexExpire``, read with
        the rest (for a write in split form).

        Raises:
            RepositoryError: if the config files cannot be parsed, or either holds a
                value git refuses (or an expiry we do not read).
        """
        from gitworktree.history._worktree.split_index import SplitIndexSettings

        stack = self._config_stack()
        values: list[str | None] = []
        for name in ("maxPercentChange", "sharedIndexExpire"):
            try:
                values.append(stack.get(("splitIndex",), name).decode("utf-8", "replace"))
            except KeyError:
                values.append(None)
        try:
            return SplitIndexSettings.parse(*values)
        except ValueError as err:
            raise RepositoryError(
                self._root,
                f"{err}; nothing was changed. Fix it with `git config` and retry",
                reason="damaged",
            ) from err

    def new_index_version(self) -> int:
        """The version git writes a new index in: ``GIT_INDEX_VERSION``, else
        ``index.version``, else 4 under ``feature.manyFiles``, else 2 (read-cache.c
        ``get_index_format_default``; an invalid value gives git's default, as in git).

        Raises:
            RepositoryError: if the config files cannot be parsed.
        """
        from_environment = os.environ.get("GIT_INDEX_VERSION")
        if from_environment is not None:
            return _index_version(from_environment.encode())
        stack = self._config_stack()
        try:
            return _index_version(stack.get(("index",), "version"))
        except KeyError:
            pass
        return 4 if stack.get_boolean(("feature",), "manyFiles", False) else 2

    def path_spelling(self) -> tuple[bool, bool]:
        """``core.ignoreCase`` and ``core.precomposeUnicode`` as configured (off unless set).

        Raises:
            RepositoryError: if the config files cannot be parsed.
        """
        stack = self._config_stack()
        return (
            bool(stack.get_boolean(("core",), "ignoreCase", False)),
            bool(stack.get_boolean(("core",), "precomposeUnicode", False)),
        )

    def file_mode(self) -> bool:
        """``core.fileMode`` as configured, read with the rest (on unless set off).

        Raises:
            RepositoryError: if the config files cannot be parsed.
        """
        return bool(self._config_stack().get_boolean(("core",), "fileMode", True))

    def check_supported(self, path: str) -> None:
        """Refuse a path whose attributes ask for more than line-ending conversion.

        Raises:
            UnsupportedAttributeError: for ``filter=<driver>``, ``ident`` or a
                ``working-tree-encoding`` other than UTF-8.
        """
        found = self.attributes(path)
        driver = found.get(b"filter")
        if driver is True or isinstance(driver, bytes):
            raise UnsupportedAttributeError(path, "filter", _shown(driver))
        if found.get(b"ident") is True:
            raise UnsupportedAttributeError(path, "ident", "set")
        encoding = found.get(b"working-tree-encoding")
        if isinstance(encoding, bytes) and encoding.lower() not in _UTF8:
            raise UnsupportedAttributeError(path, "working-tree-encoding", _shown(encoding))

    def clean(self, path: str, data: bytes) -> bytes:
        """What git stores for ``path`` holding ``data`` on disk (CRLF to LF where due)."""
        if self._is_quiet(path):
            return data
        line_endings = self._filter(path)
        if line_endings is None:
            return data
        return line_endings.clean(data, path.encode("utf-8", "surrogateescape"))

    def smudge(self, path: str, data: bytes) -> bytes:
        """What git writes on disk for ``path`` holding blob ``data`` (LF to CRLF where due)."""
        if self._is_quiet(path):
            return data
        line_endings = self._filter(path)
        if line_endings is None:
            return data
        return line_endings.smudge(data, path.encode("utf-8", "surrogateescape"))

    def converts_in(self, directory: str) -> bool:
        """Whether any file directly in ``directory`` (``""``: the root) may be converted."""
        quiet = self._quiet.get(directory)
        if quiet is None:
            quiet = self._quiet[directory] = self._nothing_converts_in(directory)
        return not quiet

    def _is_quiet(self, path: str) -> bool:
        directory = path.rpartition("/")[0]
        quiet = self._quiet.get(directory)
        if quiet is None:
            quiet = self._quiet[directory] = self._nothing_converts_in(directory)
        return quiet

    def _nothing_converts_in(self, directory: str) -> bool:
        _core_eol, autocrlf, _safecrlf = self._eol_config()
        if autocrlf in (b"true", b"input"):
            return False
        return not self._patterns_along(directory)

    def _patterns_along(self, directory: str) -> bool:
        """Whether any attributes file applies to the files directly in ``directory``."""
        if self._info_patterns() or self._global_patterns() or self._directory_patterns(b""):
            return True
        parts = directory.split("/") if directory else []
        return any(
            self._directory_patterns("/".join(parts[:depth]).encode("utf-8", "surrogateescape"))
            for depth in range(1, len(parts) + 1)
        )

    def _eol_config(self) -> tuple[str, bytes, bytes]:
        if self._eol is None:
            self._eol = _read_eol_config(self._config_stack())
        return self._eol

    def _config_stack(self) -> Config:
        if callable(self._config):
            try:
                self._config = self._config()  # read once
            except ValueError as err:  # a line that does not parse, as dulwich reports it
                raise config_error(self._root, err) from err
        return self._config

    def _filter(self, path: str) -> LineEndingFilter | None:
        if path not in self._filters:
            # Imported when first needed: it brings dulwich.patch (and email) along.
            from dulwich.line_ending import (
                CRLFAction,
                line_ending_filter_for_action,
                resolve_crlf_action,
            )

            core_eol, autocrlf, _safecrlf = self._eol_config()
            action = resolve_crlf_action(self.attributes(path), core_eol, autocrlf)
            # core.safecrlf only warns or refuses in git; we convert as git does and
            # leave the refusal to git's own commands.
            self._filters[path] = (
                None if action is CRLFAction.BINARY else line_ending_filter_for_action(action)
            )
        return self._filters[path]

    def _global_patterns(self) -> _Patterns:
        """``core.attributesFile``, else ``$XDG_CONFIG_HOME/git/attributes``: the lowest rank."""
        if self._global is None:
            try:
                configured = self._config_stack().get(("core",), "attributesFile")
            except KeyError:
                configured = None
            if configured:
                path = os.path.expanduser(os.fsdecode(configured))
            else:
                home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
                path = os.path.join(home, "git", "attributes")
            self._global = self._files.patterns(path, b"", follow=True)
        return self._global

    def _info_patterns(self) -> _Patterns:
        if self._info is None:
            path = os.path.join(self._control_dir, "info", "attributes")
            self._info = self._files.patterns(path, b"", follow=True)
        return self._info

    def _directory_patterns(self, directory: bytes) -> _Patterns:
        if directory in self._expected:
            return self._expected[directory]
        if directory not in self._directories:
            path = os.path.join(self._root_name, os.fsdecode(directory), ".gitattributes")
            self._directories[directory] = self._files.patterns(path, directory)
        return self._directories[directory]


def _read_patterns(path: str, base: bytes, follow: bool = False) -> _Patterns:
    try:
        opener = _open_not_blocking if follow else _open_no_follow
        handle = open(path, "rb", opener=opener)  # noqa: SIM115 - closed below
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        # git ignores a .gitattributes that is a symbolic link, and warns about one it
        # cannot read (a directory, no permission) and carries on without it.
        if error.errno != errno.ELOOP:
            log.warning("ignoring %s: %s", path, error.strerror or error)
        return []
    with handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            # A FIFO (which a plain open would wait on forever) or a device: carried on
            # without, as for one that cannot be read.
            log.warning("ignoring %s: not a file", path)
            return []
        from dulwich.attrs import compile_gitattributes_patterns, parse_git_attributes

        return compile_gitattributes_patterns(parse_git_attributes(handle), path, base)


def _open_not_blocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def _open_no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))


def _index_version(value: bytes) -> int:
    """An index version as git reads it from config or the environment (2 if invalid)."""
    try:
        version = int(value.strip())
    except ValueError:
        return 2
    return version if version in (2, 3, 4) else 2


def _shown(value: AttributeValue) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else "set"


def _read_eol_config(config: Config) -> tuple[str, bytes, bytes]:
    """``core.eol`` (lower case), ``core.autocrlf`` (lower case) and ``core.safecrlf``.

    What dulwich's ``read_eol_config`` returns, read here because its module imports
    dulwich.patch and the email package: a ``status`` with nothing to convert never needs
    them.
    """
    values = []
    for name, default in ((b"eol", b"native"), (b"autocrlf", b"false"), (b"safecrlf", b"false")):
        try:
            values.append(config.get((b"core",), name))
        except KeyError:
            values.append(default)
    eol, autocrlf, safecrlf = values
    return eol.decode("ascii").lower(), autocrlf.lower(), safecrlf
