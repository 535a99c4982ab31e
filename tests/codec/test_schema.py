"""The construct schemas and everything derived from them, against the spec's tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.spec_tables import code_spans, defined_statements, fw_tables, hex_bytes, spec_int
from hypothesis import example, given
from hypothesis import strategies as st

from framewire import NEED_DATA, Decoder, Framing, Limits, Message, RemoteProtocolError
from framewire._codec import schema
from framewire._codec.schema import Field, field_table, flag_masks, parse_header
from framewire.conformance import wire

FRAME_TABLES = fw_tables("frame.md")
SESSION_TABLES = fw_tables("session.md")
PACKAGE_DIR = Path(schema.__file__).resolve().parent


def _layout(rows: list[dict[str, str]]) -> list[Field]:
    """A layout table's (offset, size, name) rows; size "rest" becomes None."""
    return [
        Field(
            int(row["offset"]),
            None if row["size"] == "rest" else int(row["size"]),
            code_spans(row["field"])[0],
        )
        for row in rows
    ]


@pytest.mark.parametrize(
    ("tables", "name", "construct_schema"),
    [
        (FRAME_TABLES, "header", schema.HEADER),
        (SESSION_TABLES, "preface", schema.PREFACE),
        (SESSION_TABLES, "setting", schema.SETTING),
        (SESSION_TABLES, "error", schema.ERROR_PAYLOAD),
    ],
)
def test_layout_tables_match_schemas(
    tables: dict[str, list[dict[str, str]]], name: str, construct_schema: object
) -> None:
    assert field_table(construct_schema) == _layout(tables[name])  # type: ignore[arg-type]


def test_trailer_table_matches_schema() -> None:
    (row,) = FRAME_TABLES["trailer"]
    assert row["offset"] == f"{schema.HEADER_SIZE} + `length`"
    assert field_table(schema.TRAILER) == [Field(0, int(row["size"]), code_spans(row["field"])[0])]


def test_header_and_preface_values() -> None:
    header = {code_spans(row["field"])[0]: row for row in FRAME_TABLES["header"]}
    assert hex_bytes(header["magic"]["value"]) == schema.MAGIC
    assert hex_bytes(header["version"]["value"]) == bytes([schema.VERSION])
    preface = {code_spans(row["field"])[0]: row for row in SESSION_TABLES["preface"]}
    assert hex_bytes(preface["signature"]["value"]) == schema.PREFACE_SIGNATURE
    assert hex_bytes(preface["guard"]["value"]) == schema.PREFACE_GUARD
    framing_bytes = [int(code, 16) for code in code_spans(preface["framing"]["value"])[::2]]
    assert framing_bytes == [Framing.LENGTH_PREFIXED.preface_byte, Framing.DELIMITED.preface_byte]


def test_flags_table_matches_bitstruct() -> None:
    masks = flag_masks()
    names = {"C": "C", "M": "M", "N": "N", "R": "R", "A0": "application"}
    for row in FRAME_TABLES["flags"]:
        field = names[code_spans(row["name"])[0]]
        assert masks[field] == int(code_spans(row["mask"])[0], 16), row
    assert sum(masks.values()) == 0xFF  # the table covers the whole byte, once


def test_types_table_matches_constants() -> None:
    rows = {code_spans(row["type"])[0]: row for row in FRAME_TABLES["types"]}
    for value, name in schema.CONTROL_TYPE_NAMES.items():
        row = rows[f"0x{value:02X}"]
        assert code_spans(row["name"]) == [name]
        assert row["kind"] == "control"
    reserved = FRAME_TABLES["types"][5]
    assert code_spans(reserved["type"]) == ["0x05", "0x3F"]
    application = FRAME_TABLES["types"][6]
    assert int(code_spans(application["type"])[0], 16) == schema.FIRST_APPLICATION_TYPE
    assert int(code_spans(application["type"])[1], 16) == schema.MAX_TYPE


def test_settings_table_matches_setting_rows() -> None:
    rows = SESSION_TABLES["settings"]
    assert len(rows) == len(schema.SETTINGS)
    for row, setting in zip(rows, schema.SETTINGS, strict=True):
        assert int(code_spans(row["id"])[0], 16) == setting.id
        assert code_spans(row["name"]) == [setting.name]
        assert spec_int(row["default"]) == setting.default
        low, high = re.search(r"(\d+) to ([^,]+?)(?:,|$)", row["value"]).groups()  # type: ignore[union-attr]
        assert (spec_int(low), spec_int(high)) == (setting.minimum, setting.maximum)
        assert ("0 for no limit" in row["value"]) == setting.zero_allowed


def test_struct_formats_are_derived_from_schemas() -> None:
    assert schema.HEADER_STRUCT.size == schema.HEADER.sizeof() == 9
    assert schema.HEADER_WORD_STRUCT.size == schema.HEADER_SIZE
    assert schema.TRAILER_STRUCT.size == schema.TRAILER_SIZE == 4
    assert schema.SETTING_STRUCT.size == schema.SETTING_SIZE == 6
    assert schema.PREFACE_SIZE == 8
    with pytest.raises(ValueError, match="leading fields"):
        schema.struct_format(schema.HEADER, merge=("version",))


@given(st.binary(min_size=9, max_size=9))
def test_word_struct_agrees_with_construct(header: bytes) -> None:
    fields = parse_header(header)
    word, frame_type, length = schema.HEADER_WORD_STRUCT.unpack(header)
    assert word >> 16 == int.from_bytes(fields.magic, "big")
    assert (word >> 8) & 0xFF == fields.version
    assert word & 0xFF == fields.flags
    assert (frame_type, length) == (fields.type, fields.length)
    assert schema.HEADER_STRUCT.unpack(header) == tuple(fields)


def _reference_verdict(header: bytes, limits: Limits) -> str:  # noqa: PLR0911 - one per rule
    """What a fresh receiver must say about a header alone (FW-HDR-6, then 5.3: FW-HDR-7), computed
    from the construct parse, written straight from the spec's wording."""
    magic, version, flags, frame_type, length = parse_header(header)
    control = frame_type in (wire.HELLO, wire.ERROR, wire.PING, wire.PONG)
    if magic != wire.MAGIC:
        return "bad-magic"
    if version != wire.VERSION:
        return "unsupported-version"
    if flags & wire.FLAG_R:
        return "reserved-flag"
    if frame_type == 0 or wire.PONG < frame_type < wire.DATA:
        return "reserved-type"
    if control and flags >> wire.APPLICATION_FLAGS_SHIFT:
        return "reserved-flag"
    if control and flags & (wire.FLAG_M | wire.FLAG_N):
        return "fragmented-control"
    if length > 2**30 or length > limits.max_frame_size:
        return "frame-too-large"
    if not control and flags & wire.FLAG_N:
        return "unexpected-continuation"  # a fresh receiver has no message in progress
    if not control and limits.max_message_size and length > limits.max_message_size:
        return "message-too-large"
    return "ok"


@given(
    st.one_of(
        st.binary(min_size=9, max_size=9),
        st.tuples(
            st.sampled_from([wire.MAGIC, b"FV", b"GW"]),
            st.sampled_from([0, 1, 2, 255]),
            st.integers(0, 255),
            st.integers(0, 255),
            st.sampled_from([0, 1, 255, 256, 257, 2**30, 2**30 + 1, 2**32 - 1]),
        ).map(lambda fields: wire.HEADER.pack(*fields)),
    ),
    st.sampled_from([Limits(), Limits(256, 256), Limits(2**30, 0)]),
)
@example(
    wire.HEADER.pack(wire.MAGIC, wire.VERSION, 0x50, 0x40, 0), Limits()
)  # empty, application flags 5
@example(wire.HEADER.pack(wire.MAGIC, wire.VERSION, 0x00, 0x03, 0), Limits())  # an empty PING frame
def test_decoder_header_checks_agree_with_construct(header: bytes, limits: Limits) -> None:
    """The fast struct path and the construct reference give the same verdict on every
    header: the same error, or acceptance (the frame then waits for its payload)."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, limits)
    decoder.feed(header)
    try:
        event = decoder.next_event()
    except RemoteProtocolError as error:
        verdict = error.name
    else:
        verdict = "ok"
        flags, frame_type, length = header[3], header[4], int.from_bytes(header[5:], "big")
        if length == 0 and not flags & 0x03:  # no payload, no CRC trailer (C), no more (M)
            assert event == Message(frame_type, b"", flags >> 4)
        else:
            assert event is NEED_DATA  # the frame waits for its payload or its trailer
    assert verdict == _reference_verdict(header, limits)


def test_statements_cited_in_the_package_exist_in_the_spec() -> None:
    defined = defined_statements()
    cited: dict[str, set[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        for statement in re.findall(r"FW-[A-Z]+-\d+", path.read_text(encoding="utf-8")):
            cited.setdefault(statement, set()).add(path.name)
    missing = {
        statement: sorted(files) for statement, files in cited.items() if statement not in defined
    }
    assert not missing, f"statements cited but not defined in spec/*.md: {missing}"
