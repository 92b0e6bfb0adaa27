"""How LangGraph's names and values become Git ref names, file names and file contents.

Pure functions, no I/O: the saver and the tests share them.

Names (thread ids, namespaces, channels, task ids) may hold any character, but a ref
name or a tree entry may not (no ``..``, no ``:`` in a ref, no control characters, no
leading dot, ...). Every byte outside ``[A-Za-z0-9_-]`` (in a file name, also ``:+``) is
written ``=XX`` (its hex), which is reversible and never produces a name git refuses;
the empty name is written ``=``.

Values are JSON files when they are plain JSON data (``git diff`` then shows what a step
changed), and the serializer's bytes otherwise.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from gitworktree.errors import InvalidNameError

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - only without the langgraph extra
    # `gitworktree log --thread` names a thread's refs with this module and must run
    # without the extra; only the saver, which needs the extra, encodes values.
    orjson = None  # type: ignore[assignment]

__all__ = [
    "CHANNELS_DIR",
    "CHECKPOINT_FILE",
    "MAX_ENCODED_BYTES",
    "METADATA_FILE",
    "PARENT_KEY",
    "REF_PREFIX",
    "TASK_PATH_FILE",
    "WRITES_DIR",
    "CommitTrailers",
    "EncodedValue",
    "decode_name",
    "decode_value_name",
    "encode_file_name",
    "encode_name",
    "is_plain_json",
    "load_json",
    "namespace_ref",
    "parse_ref",
    "parse_trailers",
    "thread_prefix",
    "value_file",
]

#: Every thread's refs live under this prefix.
REF_PREFIX = "refs/langgraph/"
#: The ref component of the root namespace ``""`` (other namespaces live under ``ns/``).
_ROOT_NAMESPACE = "root"
_NAMESPACE_FOLDER = "ns/"

CHECKPOINT_FILE = "checkpoint"
#: The key of ``checkpoint.json`` that names the parent checkpoint (not a Checkpoint key).
PARENT_KEY = "parent_checkpoint_id"
#: The file of a task's folder under ``writes/`` that holds its ``task_path``.
TASK_PATH_FILE = b"task_path"
METADATA_FILE = "metadata"
CHANNELS_DIR = "channels"
WRITES_DIR = "writes"

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
#: A file name may also hold ``:`` and ``+`` (LangGraph's ``branch:to:node`` channels),
#: which a ref name may not.
_FILE_SAFE = _SAFE | frozenset(b":+")
_ESCAPE = re.compile(r"=([0-9A-F]{2})")
_ENCODED = re.compile(r"(?:[A-Za-z0-9_:+-]|=[0-9A-F]{2})+|=")
#: Longest encoded name: a ref component or tree entry name must fit a file system's
#: 255-byte file names, with room for a suffix (``.msgpack.bin``, ``.lock``).
MAX_ENCODED_BYTES = 200
#: Indented (so that a changed item is a changed line), keys in the value's own order.
_JSON_OPTIONS = 0 if orjson is None else orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def encode_name(name: str, *, file: bool = False) -> str:
    """``name`` as a ref component (or with ``file``, a file name): ``[A-Za-z0-9_-]`` (and
    for a file ``:+``) kept, every other byte ``=XX``.

    Raises:
        InvalidNameError: if the encoded name would be longer than `MAX_ENCODED_BYTES`.
    """
    if not name:
        return "="
    data = name.encode("utf-8", "surrogatepass")
    safe = _FILE_SAFE if file else _SAFE
    if all(byte in safe for byte in data):
        encoded = name
    else:
        encoded = "".join(chr(byte) if byte in safe else f"={byte:02X}" for byte in data)
    if len(encoded) > MAX_ENCODED_BYTES:
        raise InvalidNameError(
            name[:80] + ("..." if len(name) > 80 else ""),
            f"encodes to {len(encoded)} bytes, more than the {MAX_ENCODED_BYTES} a ref or "
            "file name may take; use a shorter thread id, namespace, channel or task id",
        )
    return encoded


def encode_file_name(name: str) -> str:
    """``name`` as a file name (`encode_name` with ``file=True``)."""
    return encode_name(name, file=True)


def decode_name(encoded: str) -> str:
    """The name `encode_name` turned into ``encoded``.

    Raises:
        ValueError: if ``encoded`` is not something `encode_name` writes.
    """
    if encoded == "=":
        return ""
    if not _ENCODED.fullmatch(encoded):
        raise ValueError(f"{encoded!r} is not an encoded name")
    if "=" not in encoded:
        return encoded
    data = bytearray()
    for piece in re.split(r"(=[0-9A-F]{2})", encoded):
        if _ESCAPE.fullmatch(piece):
            data.append(int(piece[1:], 16))
        else:
            data += piece.encode("ascii")
    return data.decode("utf-8", "surrogatepass")


def thread_prefix(thread_id: str) -> str:
    """The folder of a thread's refs, e.g. ``refs/langgraph/thread-1/``."""
    return f"{REF_PREFIX}{encode_name(thread_id)}/"


def namespace_ref(thread_id: str, checkpoint_ns: str) -> str:
    """The ref of one thread and namespace: ``.../<thread>/root`` or ``.../<thread>/ns/<ns>``."""
    if not checkpoint_ns:
        return thread_prefix(thread_id) + _ROOT_NAMESPACE
    return thread_prefix(thread_id) + _NAMESPACE_FOLDER + encode_name(checkpoint_ns)


def parse_ref(ref: str) -> tuple[str, str] | None:
    """``(thread_id, checkpoint_ns)`` of a ref `namespace_ref` names; ``None`` for another."""
    if not ref.startswith(REF_PREFIX):
        return None
    thread, _, rest = ref[len(REF_PREFIX) :].partition("/")
    try:
        if rest == _ROOT_NAMESPACE:
            return decode_name(thread), ""
        if rest.startswith(_NAMESPACE_FOLDER) and "/" not in rest[len(_NAMESPACE_FOLDER) :]:
            return decode_name(thread), decode_name(rest[len(_NAMESPACE_FOLDER) :])
    except ValueError:
        return None
    return None


_SCALARS = frozenset({str, int, bool, type(None)})
_PLAIN = _SCALARS | {float, list, dict}
_CONTAINERS = (float, list, dict)


def is_plain_json(value: Any) -> bool:
    """Whether ``value`` is made only of ``dict`` (with ``str`` keys), ``list``, ``str``,
    ``int``, finite ``float``, ``bool`` and ``None`` -- exactly, not subclasses --
    so that its JSON reads back as an equal value of the same types (a tuple or an enum
    would not)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        if set(map(type, value)) - {str}:
            return False
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return False
    # The types of all items at once, at C speed: a flat state of 10,000 entries is
    # checked without a Python call per entry.
    kinds = set(map(type, items))
    if not kinds <= _PLAIN:
        return False
    # An int past 64 bits makes orjson refuse the value, and `value_file` falls back.
    if kinds <= _SCALARS:
        return True
    return all(is_plain_json(item) for item in items if type(item) in _CONTAINERS)


@dataclass(frozen=True)
class EncodedValue:
    """A value as a file: its name suffix (``.json``, or ``.<serializer type>.bin``) and bytes."""

    suffix: str
    data: bytes


def value_file(value: Any, dumps_typed: Any) -> EncodedValue:
    """``value`` as JSON when it is plain JSON data, else as the serializer's typed bytes.

    Args:
        value: a channel value, a pending write, the checkpoint or its metadata.
        dumps_typed: the saver's ``serde.dumps_typed``.
    """
    if is_plain_json(value):
        try:
            return EncodedValue(".json", orjson.dumps(value, option=_JSON_OPTIONS))
        except orjson.JSONEncodeError:
            pass  # a lone surrogate in a string: the serializer keeps it
    type_name, data = dumps_typed(value)
    return EncodedValue(f".{encode_name(type_name)}.bin", bytes(data))


def load_json(data: bytes) -> Any:
    """A JSON file's value (`value_file`'s, or one edited by hand).

    Raises:
        ValueError: if ``data`` is not JSON.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # what orjson refuses and Python reads: a huge integer


def decode_value_name(file_name: str) -> tuple[str, str | None]:
    """``(stem, serializer type)`` of a value file; the type is ``None`` for ``.json``.

    Raises:
        ValueError: for a name `value_file` never gives.
    """
    if file_name.endswith(".json"):
        return file_name[: -len(".json")], None
    if file_name.endswith(".bin"):
        stem, dot, type_name = file_name[: -len(".bin")].rpartition(".")
        if dot:
            return stem, decode_name(type_name)
    raise ValueError(f"{file_name!r} is not a value file")


@dataclass(frozen=True)
class CommitTrailers:
    """What a checkpoint or writes commit's message records for the saver to read back.

    Attributes:
        kind: ``"checkpoint"`` or ``"writes"``.
        checkpoint_id: the checkpoint the commit stores (or holds the writes of).
        seq: the commit's position on its ref (its parents' highest plus one), which
            orders two commits for the same checkpoint: the higher one wins.
    """

    kind: str
    checkpoint_id: str
    seq: int

    def render(self) -> str:
        """The trailer lines, ending the commit message."""
        return (
            f"Langgraph-Kind: {self.kind}\n"
            f"Langgraph-Checkpoint: {encode_name(self.checkpoint_id)}\n"
            f"Langgraph-Seq: {self.seq}\n"
        )


_TRAILER = re.compile(rb"^Langgraph-(Kind|Checkpoint|Seq): (\S+)$", re.MULTILINE)


def parse_trailers(message: bytes) -> CommitTrailers | None:
    """The saver's trailers in ``message``; ``None`` if it is not one of its commits."""
    found = {
        key.decode(): value.decode("ascii", "replace") for key, value in _TRAILER.findall(message)
    }
    try:
        return CommitTrailers(found["Kind"], decode_name(found["Checkpoint"]), int(found["Seq"]))
    except (KeyError, ValueError):
        return None
