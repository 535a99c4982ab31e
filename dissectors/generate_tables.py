"""Write the tables of dissectors/framewire.lua from the schemas and the error registry.

The dissector's logic is written by hand; every constant it uses (field offsets and
sizes, flag masks, type names, the preface, the HELLO settings, the error registry, the
CRC-32C polynomial) is generated here from ``framewire._codec.schema``, ``framewire.errors``
and, for the polynomial, the wire oracle, into the block between
the ``BEGIN GENERATED`` and ``END GENERATED`` markers, so the dissector cannot drift
from the implementation. ``--check`` exits 1 when the committed file differs from what
this script writes (``tests/dissectors/test_wireshark.py`` runs it).

    .venv/bin/python dissectors/generate_tables.py          # rewrite the block
    .venv/bin/python dissectors/generate_tables.py --check  # compare only
"""

from __future__ import annotations

import sys
from pathlib import Path

from framewire._codec import schema
from framewire.conformance import wire
from framewire.errors import ErrorCode
from framewire.framing import Framing

DISSECTOR = Path(__file__).resolve().parent / "framewire.lua"
BEGIN = "-- BEGIN GENERATED\n"
END = "-- END GENERATED\n"


def lua_string(data: bytes | str) -> str:
    """A Lua string literal holding exactly these bytes."""
    raw = data.encode("ascii") if isinstance(data, str) else data
    return '"' + "".join(f"\\{byte:03d}" for byte in raw) + '"'


def lua_bool(value: bool) -> str:
    return "true" if value else "false"


def tables() -> str:
    """The Lua source of every constant the dissector uses."""
    masks = schema.flag_masks()
    lines = [
        "-- From framewire._codec.schema (spec 3, 6) and framewire.errors (spec 8).",
        f"local MAGIC = {lua_string(schema.MAGIC)}",
        f"local VERSION = {schema.VERSION}",
        f"local HEADER_SIZE = {schema.HEADER_SIZE}",
        f"local TRAILER_SIZE = {schema.TRAILER_SIZE}",
        "-- CRC-32C's reflected polynomial (FW-CRC-2), from the wire oracle: the implementation",
        "-- computes CRC-32C in C and states no polynomial.",
        f"local CRC32C_REFLECTED_POLY = 0x{wire.CRC32C_REFLECTED_POLY:08X}",
        "local HEADER_FIELDS = {",
        *(
            f"    {row.name} = {{ offset = {row.offset}, size = {row.size} }},"
            for row in schema.field_table(schema.HEADER)
        ),
        "}",
        "local FLAG_MASKS = {",
        *(f"    {name} = 0x{mask:02x}," for name, mask in masks.items()),
        "}",
        f"local APP_FLAGS_SHIFT = {schema.APP_FLAGS_SHIFT}",
        *(f"local TYPE_{name} = {code}" for code, name in schema.CONTROL_TYPE_NAMES.items()),
        "local CONTROL_TYPE_NAMES = {",
        *(f'    [{code}] = "{name}",' for code, name in schema.CONTROL_TYPE_NAMES.items()),
        "}",
        f"local FIRST_APPLICATION_TYPE = {schema.FIRST_APPLICATION_TYPE}",
        f"local FRAME_SIZE_CEILING = {schema.FRAME_SIZE_CEILING}",
        f"local PREFACE_SIGNATURE = {lua_string(schema.PREFACE_SIGNATURE)}",
        f"local PREFACE_GUARD = {lua_string(schema.PREFACE_GUARD)}",
        f"local PREFACE_SIZE = {schema.PREFACE_SIZE}",
        "local PREFACE_FRAMING_BYTES = {",
        f"    L = {Framing.LENGTH_PREFIXED.preface_byte},",
        f"    D = {Framing.DELIMITED.preface_byte},",
        "}",
        f"local SETTING_SIZE = {schema.SETTING_SIZE}",
        f"local MAX_HELLO_SETTINGS = {schema.MAX_HELLO_SETTINGS}",
        f"local PING_SIZE = {schema.PING_SIZE}",
        f"local ERROR_CODE_SIZE = {schema.ERROR_CODE_SIZE}",
        "local SETTINGS = {",
        *(
            f'    {{ id = {s.id}, name = "{s.name}", minimum = {s.minimum}, '
            f"maximum = {s.maximum}, default = {s.default}, "
            f"zero_allowed = {lua_bool(s.zero_allowed)} }},"
            for s in schema.SETTINGS
        ),
        "}",
        "local ERRORS = {",
        *(
            f'    {{ code = {int(code)}, name = "{code.wire_name}", statements = {{ '
            + ", ".join(f'"{statement}"' for statement in code.statements)
            + f' }}, recovery = "{code.recovery.value}", '
            f"error_frame = {lua_bool(code.sends_error_frame)} }},"
            for code in ErrorCode
        ),
        "}",
        "local SETTINGS_BY_ID, SETTINGS_BY_NAME = {}, {}",
        "for _, s in ipairs(SETTINGS) do",
        "    SETTINGS_BY_ID[s.id] = s",
        "    SETTINGS_BY_NAME[s.name] = s",
        "end",
        "local ERRORS_BY_CODE, ERROR_CODES = {}, {}",
        "for _, e in ipairs(ERRORS) do",
        "    ERRORS_BY_CODE[e.code] = e",
        "    ERROR_CODES[e.name] = e.code",
        "end",
    ]
    return "\n".join(lines) + "\n"


def render(source: str) -> str:
    """The dissector source with its generated block replaced."""
    start = source.index(BEGIN) + len(BEGIN)
    end = source.index(END, start)
    return source[:start] + tables() + source[end:]


def main(argv: list[str]) -> int:
    source = DISSECTOR.read_text(encoding="utf-8")
    wanted = render(source)
    if "--check" in argv:
        if wanted != source:
            print(f"{DISSECTOR.name} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DISSECTOR.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
