"""The wire layouts of Framewire, declared once as construct schemas (spec 3, 6.2-6.5).

API summary:

- Construct schemas: `HEADER`, `TRAILER`, `PREFACE`, `SETTING`, `ERROR_PAYLOAD`,
  `PING_PAYLOAD` (PONG has the same layout), `FLAGS` (the bits of the header's flags byte).
- Derived `struct.Struct`s for the hot paths: `HEADER_STRUCT` (field by field),
  `HEADER_WORD_STRUCT` (magic+version+flags read as one 32-bit word, so one masked compare
  checks all three), `TRAILER_STRUCT`, `SETTING_STRUCT`, `ERROR_CODE_STRUCT`.
  Their formats are computed from the schemas by `struct_format()`: never written twice.
- Constants derived from the same schemas: `MAGIC`, `HEADER_SIZE`, `TRAILER_SIZE`,
  `PREFACE_SIZE`, flag masks `FLAG_C`/`FLAG_M`/`FLAG_N`/`FLAG_R`/`APP_FLAGS_MASK`...
- `field_table(schema)` -> rows `(offset, size, name)` so a test can compare each schema with
  the spec's `fw:table` blocks.
- `SETTINGS`: the HELLO settings table (id, name, min, max, default).
- `parse_header(data)`: a construct-based header parser for tools (the CLI's `inspect`) and
  as the reference the fast decoder is tested against. Only ever give it exact-size bytes:
  construct's stream parsing calls tell(), which fails on sockets.

Deliberately not used from construct: `.compile()` (compiled parsers skip checks), `Enum`
and `FlagsEnum` for validation (they let unknown values through or drop unknown bits, so
reserved bits and values are checked explicitly by the codec), `VarInt`.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    Const,
    Construct,
    Flag,
    FormatField,
    GreedyBytes,
    Int8ub,
    Int16ub,
    Int32ub,
    Renamed,
    Struct,
)

# --- the schemas (one per spec table) ---------------------------------------------------

HEADER = Struct(
    "magic" / Const(b"FW"),
    "version" / Int8ub,
    "flags" / Int8ub,
    "type" / Int8ub,
    "length" / Int32ub,
)
"""Frame header, spec 3.1 `fw:table header`."""

TRAILER = Struct("crc" / Int32ub)
"""CRC-32C trailer after the payload when the C flag is set, `fw:table trailer`."""

FLAGS = BitStruct(
    "application" / BitsInteger(4),
    "R" / Flag,
    "N" / Flag,
    "M" / Flag,
    "C" / Flag,
)
"""The flags byte, most significant bit first, `fw:table flags`."""

PREFACE = Struct(
    "signature" / Const(b"\x89FW1"),
    "framing" / Int8ub,
    "guard" / Const(b"\r\n\x1a"),
)
"""Session preface, spec 6.2 `fw:table preface`."""

SETTING = Struct("id" / Int16ub, "value" / Int32ub)
"""One HELLO setting, spec 6.3 `fw:table setting`."""

ERROR_PAYLOAD = Struct("code" / Int16ub, "reason" / GreedyBytes)
"""ERROR payload, spec 6.4 `fw:table error`."""

PING_PAYLOAD = Struct("data" / Bytes(8))
"""PING and PONG payload: 8 opaque bytes (FW-PNG-1)."""

VERSION = 1
"""The version byte of Framewire/1 (FW-HDR-5)."""


# --- derivations ------------------------------------------------------------------------


class Field(NamedTuple):
    """One row of a layout table: `size` is None for a field that takes the rest."""

    offset: int
    size: int | None
    name: str


def _fields(schema: Struct) -> list[tuple[str, Construct[Any, Any]]]:
    """The (name, construct) pairs of a flat Struct, with Renamed unwrapped."""
    pairs = []
    for sub in schema.subcons:
        if not isinstance(sub, Renamed) or sub.name is None:
            raise TypeError(f"schema field {sub!r} has no name")
        pairs.append((sub.name, sub.subcon))
    return pairs


def _struct_code(con: Construct[Any, Any]) -> tuple[str, int]:
    """The struct format code and size of one fixed-size construct field."""
    if isinstance(con, Const):
        return _struct_code(con.subcon)
    if isinstance(con, FormatField):
        fmt: str = con.fmtstr
        return fmt.lstrip("<>=!"), struct.calcsize(fmt)
    if isinstance(con, Bytes) and isinstance(con.length, int):
        return f"{con.length}s", con.length
    raise TypeError(f"no struct format for {con!r}")


_UNSIGNED_BY_SIZE = {1: "B", 2: "H", 4: "I", 8: "Q"}


def struct_format(schema: Struct, *, merge: tuple[str, ...] = ()) -> str:
    """Compute the big-endian `struct` format of a fixed-size schema.

    `merge` names leading fields to read as ONE unsigned integer (their sizes must add up
    to 1, 2, 4 or 8 bytes): the decoder reads magic, version and flags as one word.
    """
    codes = []
    fields = _fields(schema)
    if merge:
        names = tuple(name for name, _ in fields[: len(merge)])
        if names != merge:
            raise ValueError(f"{merge} are not the leading fields of the schema ({names})")
        size = sum(_struct_code(con)[1] for _, con in fields[: len(merge)])
        codes.append(_UNSIGNED_BY_SIZE[size])
        fields = fields[len(merge) :]
    codes.extend(_struct_code(con)[0] for _, con in fields)
    return ">" + "".join(codes)


def field_table(schema: Struct) -> list[Field]:
    """Rows (offset, size, name) of a schema, to compare with the spec's tables."""
    rows = []
    offset = 0
    for name, con in _fields(schema):
        if con is GreedyBytes:
            rows.append(Field(offset, None, name))
            continue
        size = con.sizeof()
        rows.append(Field(offset, size, name))
        offset += size
    return rows


def flag_masks(schema: Any = FLAGS) -> dict[str, int]:
    """Bit masks of the flags byte, from the BitStruct (most significant field first)."""
    masks = {}
    bit = 8
    for sub in schema.subcon.subcons:
        width = sub.subcon.sizeof()
        bit -= width
        masks[sub.name] = ((1 << width) - 1) << bit
    return masks


def _const_value(schema: Struct, name: str) -> bytes:
    """The fixed bytes of a Const field."""
    con = dict(_fields(schema))[name]
    if not isinstance(con, Const):
        raise TypeError(f"{name} is not a Const field")
    value: bytes = con.value
    return value


HEADER_STRUCT = struct.Struct(struct_format(HEADER))
HEADER_WORD_STRUCT = struct.Struct(struct_format(HEADER, merge=("magic", "version", "flags")))
TRAILER_STRUCT = struct.Struct(struct_format(TRAILER))
SETTING_STRUCT = struct.Struct(struct_format(SETTING))
ERROR_CODE_STRUCT = struct.Struct(
    struct_format(Struct(*(sub for sub in ERROR_PAYLOAD.subcons if sub.name == "code")))
)

HEADER_SIZE = HEADER.sizeof()
TRAILER_SIZE = TRAILER.sizeof()
PREFACE_SIZE = PREFACE.sizeof()
SETTING_SIZE = SETTING.sizeof()
PING_SIZE = PING_PAYLOAD.sizeof()
ERROR_CODE_SIZE = ERROR_CODE_STRUCT.size
MAX_ERROR_CODE = (1 << (8 * ERROR_CODE_SIZE)) - 1

MAGIC = _const_value(HEADER, "magic")
PREFACE_SIGNATURE = _const_value(PREFACE, "signature")
PREFACE_GUARD = _const_value(PREFACE, "guard")

_MASKS = flag_masks()
FLAG_C = _MASKS["C"]
FLAG_M = _MASKS["M"]
FLAG_N = _MASKS["N"]
FLAG_R = _MASKS["R"]
APP_FLAGS_MASK = _MASKS["application"]
APP_FLAGS_SHIFT = (APP_FLAGS_MASK & -APP_FLAGS_MASK).bit_length() - 1
MAX_APP_FLAGS = APP_FLAGS_MASK >> APP_FLAGS_SHIFT

HEADER_WORD = int.from_bytes(MAGIC + bytes([VERSION, 0]), "big")
"""magic, version and flags=0 as the 32-bit word HEADER_WORD_STRUCT reads."""
_WORD_BITS = 8 * struct.calcsize(HEADER_WORD_STRUCT.format[:2])  # the merged ">I" field
_FLAGS_BITS = 8 * dict(_fields(HEADER))["flags"].sizeof()
HEADER_WORD_MAGIC_VERSION_MASK = ((1 << _WORD_BITS) - 1) ^ ((1 << _FLAGS_BITS) - 1)
"""The bits of that word that hold magic and version (all but the flags byte)."""


# --- types (spec 3.4) -------------------------------------------------------------------

TYPE_HELLO = 0x01
TYPE_ERROR = 0x02
TYPE_PING = 0x03
TYPE_PONG = 0x04
CONTROL_TYPES = frozenset({TYPE_HELLO, TYPE_ERROR, TYPE_PING, TYPE_PONG})
FIRST_APPLICATION_TYPE = 0x40
MAX_TYPE = 0xFF
CONTROL_TYPE_NAMES = {
    TYPE_HELLO: "HELLO",
    TYPE_ERROR: "ERROR",
    TYPE_PING: "PING",
    TYPE_PONG: "PONG",
}


# --- sizes (spec 3.5, 7.1) and HELLO settings (spec 6.3) ---------------------------------

FRAME_SIZE_CEILING = 1 << 30
"""No frame's length may exceed 2^30 (FW-LEN-3)."""
MIN_LIMIT = 256
MAX_HELLO_SETTINGS = 42
"""The most settings a HELLO may carry (FW-HEL-10): what fits the smallest frame size."""
"""The smallest maximum frame or message size a receiver may set (FW-LIM-2)."""
MAX_ANNOUNCED_MESSAGE_SIZE = (1 << 32) - 1


class Setting(NamedTuple):
    """One row of the HELLO settings table: its id, name, accepted range and default."""

    id: int
    name: str
    minimum: int
    maximum: int
    default: int
    zero_allowed: bool


MAX_FRAME_SIZE = Setting(0x0001, "MAX_FRAME_SIZE", MIN_LIMIT, FRAME_SIZE_CEILING, 1 << 20, False)
MAX_MESSAGE_SIZE = Setting(
    0x0002, "MAX_MESSAGE_SIZE", MIN_LIMIT, MAX_ANNOUNCED_MESSAGE_SIZE, 1 << 24, True
)
SETTINGS = (MAX_FRAME_SIZE, MAX_MESSAGE_SIZE)
SETTINGS_BY_ID = {setting.id: setting for setting in SETTINGS}


def setting_value_valid(setting: Setting, value: int) -> bool:
    """Whether `value` is in the setting's range (FW-HEL-3, FW-LIM-2)."""
    return (value == 0 and setting.zero_allowed) or setting.minimum <= value <= setting.maximum


# --- the construct-based header parser ---------------------------------------------------


class HeaderFields(NamedTuple):
    """The fields of a header, as parsed by construct."""

    magic: bytes
    version: int
    flags: int
    type: int
    length: int


def parse_header(data: bytes) -> HeaderFields:
    """Parse exactly 9 header bytes with the construct schema, without validating them.

    The magic is returned as found (construct's Const check is bypassed on purpose so a
    caller can report `bad-magic` with the offending bytes).
    """
    if len(data) != HEADER_SIZE:
        raise ValueError(f"a header is {HEADER_SIZE} bytes, got {len(data)}")
    raw = Struct(*(_raw_field(sub) for sub in HEADER.subcons)).parse(data)
    return HeaderFields(raw.magic, raw.version, raw.flags, raw.type, raw.length)


def _raw_field(sub: Construct[Any, Any]) -> Construct[Any, Any]:
    """The field with any Const unwrapped to the construct it checks."""
    if isinstance(sub, Renamed) and isinstance(sub.subcon, Const):
        return Renamed(sub.subcon.subcon, newname=sub.name)
    return sub
