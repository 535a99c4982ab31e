"""Annotated frame dumps for ``framewire inspect``: every field, its value, the verdict.

API summary: ``inspect_stream(data, framing, limits) <inspect_stream>`` returns one
``FrameReport`` per frame (and one for a session preface at the start), each a list
of ``Field`` rows (offset, bytes, name, meaning, ok?) and the ``RemoteProtocolError`` the
frame raised, if any.

The verdicts are not computed here: the bytes of each frame are fed to the real
``Decoder``, in order, and whatever it reports for that frame is
the verdict. This module only cuts the input at frame boundaries and names the fields
(from ``framewire._codec.schema``), so the dump can never disagree with the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from framewire._codec import schema
from framewire._codec.cobs_codec import CobsDecodeError, cobs_decode
from framewire._codec.control import control_fault
from framewire._codec.peertext import escape_peer_text
from framewire.decoder import Decoder
from framewire.errors import ErrorCode, RemoteProtocolError
from framewire.events import FrameDropped, Sentinel
from framewire.framing import Framing, Limits

__all__ = ["Field", "FrameReport", "diagram", "inspect_stream"]

_PREVIEW_BYTES = 12
"""Payload bytes shown in hex; the rest is summarised."""
_PREVIEW_TEXT = 40
"""Characters of a text payload shown."""

# Which header field each frame error is about, so the dump can point at it.
_FIELD_AT_FAULT = {
    ErrorCode.BAD_MAGIC: "magic",
    ErrorCode.UNSUPPORTED_VERSION: "version",
    ErrorCode.RESERVED_FLAG: "flags",
    ErrorCode.RESERVED_TYPE: "type",
    ErrorCode.FRAGMENTED_CONTROL: "flags",
    ErrorCode.FRAME_TOO_LARGE: "length",
    ErrorCode.LENGTH_MISMATCH: "length",
    ErrorCode.CHECKSUM_MISMATCH: "crc",
    ErrorCode.UNEXPECTED_CONTINUATION: "flags",
    ErrorCode.MESSAGE_INTERRUPTED: "flags",
    ErrorCode.CONTINUATION_MISMATCH: "type",
    ErrorCode.MESSAGE_TOO_LARGE: "length",
    ErrorCode.BAD_PREFACE: "framing",
    ErrorCode.MALFORMED_CONTROL: "payload",
}


@dataclass(frozen=True, slots=True)
class Field:
    """One annotated field: ``ok`` is True/False when checked, None when not judged."""

    offset: int
    hex: str
    name: str
    meaning: str
    ok: bool | None = None


@dataclass(slots=True)
class FrameReport:
    """The fields of one frame (or the preface) and the error it raised, if any."""

    title: str
    offset: int
    fields: list[Field] = field(default_factory=list)
    error: RemoteProtocolError | None = None

    def judge(self) -> None:
        """Mark the field the error is about as bad, and the checked header fields ok."""
        bad = _FIELD_AT_FAULT.get(self.error.code) if self.error is not None else None
        self.fields = [
            Field(f.offset, f.hex, f.name, f.meaning, False if f.name == bad else f.ok)
            for f in self.fields
        ]


def inspect_stream(data: bytes, framing: Framing, limits: Limits) -> list[FrameReport]:
    """Cut ``data`` into frames, annotate each, and attach the decoder's verdict."""
    reports: list[FrameReport] = []
    offset = 0
    if data.startswith(schema.PREFACE_SIGNATURE):
        preface = _preface_report(data[: schema.PREFACE_SIZE], framing)
        reports.append(preface)
        if preface.error is not None:
            return reports
        offset = schema.PREFACE_SIZE
    decoder = Decoder(framing, limits, assemble=False)
    if framing is Framing.DELIMITED:
        reports += _delimited(decoder, data, offset)
    else:
        reports += _length_prefixed(decoder, data, offset)
    return reports


def _verdict(decoder: Decoder, chunk: bytes, *, at_end: bool = False) -> RemoteProtocolError | None:
    """Feed one frame's bytes (and the end of input) and return the decoder's error, if any."""
    if chunk:
        decoder.feed(chunk)
    if at_end:
        decoder.feed_eof()
    try:
        while not isinstance(event := decoder.next_event(), Sentinel):
            if isinstance(event, FrameDropped):
                return event.error
    except RemoteProtocolError as error:
        return error
    return None


def _end_of_input(decoder: Decoder, reports: list[FrameReport], offset: int) -> None:
    """Apply the end of input: an incomplete last frame gets truncated-frame, a message
    left open gets a report of its own (truncated-message)."""
    error = _verdict(decoder, b"", at_end=True)
    if error is None:
        return
    if error.code is ErrorCode.TRUNCATED_FRAME and reports and reports[-1].error is None:
        reports[-1].error = error
        reports[-1].judge()
    else:
        reports.append(FrameReport("end of input", offset, error=error))


def _length_prefixed(decoder: Decoder, data: bytes, offset: int) -> list[FrameReport]:
    reports: list[FrameReport] = []
    while offset < len(data):
        header = data[offset : offset + schema.HEADER_SIZE]
        size = len(header)
        if size == schema.HEADER_SIZE:
            fields = schema.parse_header(header)
            trailer = schema.TRAILER_SIZE if fields.flags & schema.FLAG_C else 0
            size += fields.length + trailer
        chunk = data[offset : offset + size]
        report = FrameReport(_title(chunk), offset, _frame_fields(chunk, offset))
        verdict = _verdict(decoder, chunk)
        report.error = verdict or _control_error(chunk)
        report.judge()
        reports.append(report)
        if verdict is not None:  # fatal in length-prefixed framing (FW-LPF-3)
            rest = len(data) - offset - len(chunk)
            if rest > 0:
                reports.append(
                    FrameReport(f"{rest} bytes not decoded after the error", offset + len(chunk))
                )
            return reports
        offset += len(chunk)
    _end_of_input(decoder, reports, offset)
    return reports


def _delimited(decoder: Decoder, data: bytes, offset: int) -> list[FrameReport]:
    reports: list[FrameReport] = []
    while offset < len(data):
        zero = data.find(0, offset)
        end = len(data) if zero < 0 else zero + 1
        chunk = data[offset:end]
        if chunk == b"\x00":  # an empty frame: ignored by every receiver (FW-DLM-2)
            offset = end
            continue
        encoded = chunk[:-1] if zero >= 0 else chunk
        try:
            frame = cobs_decode(encoded)
        except CobsDecodeError:
            frame = b""
        title = (_title(frame) if frame else "frame") + " (COBS-encoded, offsets decoded)"
        report = FrameReport(title, offset)
        report.fields.append(
            Field(offset, _preview(encoded), "encoded", f"{len(encoded)} bytes of COBS at {offset}")
        )
        if frame:  # nothing to annotate when COBS itself is broken
            report.fields += _frame_fields(frame, 0)
        report.error = _verdict(decoder, chunk) or _control_error(frame)
        report.judge()
        reports.append(report)
        offset = end
    _end_of_input(decoder, reports, offset)
    return reports


def _control_error(frame: bytes) -> RemoteProtocolError | None:
    """A whole control frame whose payload breaks its layout: the error a session would
    fail with (the bare decoder that judges the rest does not look inside payloads)."""
    if len(frame) < schema.HEADER_SIZE:
        return None
    header = schema.parse_header(frame[: schema.HEADER_SIZE])
    payload = frame[schema.HEADER_SIZE : schema.HEADER_SIZE + header.length]
    if header.type >= schema.FIRST_APPLICATION_TYPE or len(payload) < header.length:
        return None
    fault = control_fault(header.type, payload)
    if fault is None:
        return None
    return RemoteProtocolError(ErrorCode.MALFORMED_CONTROL, fault.detail, statement=fault.statement)


def _title(frame: bytes) -> str:
    if len(frame) < schema.HEADER_SIZE:
        return "incomplete frame"
    header = schema.parse_header(frame[: schema.HEADER_SIZE])
    name = schema.CONTROL_TYPE_NAMES.get(header.type)
    if name is not None:
        return f"{name} frame"
    if header.type >= schema.FIRST_APPLICATION_TYPE:
        return f"data frame, type 0x{header.type:02x}"
    return f"frame of reserved type 0x{header.type:02x}"


def _frame_fields(frame: bytes, base: int) -> list[Field]:
    """The fields of one frame; offsets are ``base + n`` (a delimited frame: ``base`` 0,
    offsets into the decoded frame)."""
    if len(frame) < schema.HEADER_SIZE:
        return [Field(base, _preview(frame), "partial", f"{len(frame)} bytes, less than a header")]
    header = schema.parse_header(frame[: schema.HEADER_SIZE])
    rows = []
    for row in schema.field_table(schema.HEADER):
        assert row.size is not None
        raw = frame[row.offset : row.offset + row.size]
        rows.append(Field(base + row.offset, raw.hex(" "), row.name, _meaning(row.name, header)))
    payload_start = schema.HEADER_SIZE
    payload = frame[payload_start : payload_start + header.length]
    if len(payload) < header.length:
        rows.append(
            Field(
                base + payload_start,
                _preview(payload),
                "payload",
                f"{len(payload)} of {header.length} bytes present",
            )
        )
        return rows
    rows.append(
        Field(base + payload_start, _preview(payload), "payload", _describe(header, payload))
    )
    if header.flags & schema.FLAG_C:
        trailer_at = payload_start + header.length
        trailer = frame[trailer_at : trailer_at + schema.TRAILER_SIZE]
        meaning = f"CRC-32C 0x{trailer.hex()}" if len(trailer) == schema.TRAILER_SIZE else "missing"
        rows.append(Field(base + trailer_at, trailer.hex(" "), "crc", meaning, True))
    return rows


def _meaning(name: str, header: schema.HeaderFields) -> str:
    if name == "magic":
        return "'FW'" if header.magic == schema.MAGIC else f"not 'FW' ({header.magic!r})"
    if name == "version":
        return f"Framewire/{header.version}"
    if name == "flags":
        return _describe_flags(header.flags)
    if name == "type":
        return schema.CONTROL_TYPE_NAMES.get(
            header.type,
            "application data" if header.type >= schema.FIRST_APPLICATION_TYPE else "reserved",
        )
    return f"{header.length} payload bytes"


def _describe_flags(flags: int) -> str:
    names = [
        name
        for name, mask in (
            ("C", schema.FLAG_C),
            ("M", schema.FLAG_M),
            ("N", schema.FLAG_N),
            ("R", schema.FLAG_R),
        )
        if flags & mask
    ]
    app = (flags & schema.APP_FLAGS_MASK) >> schema.APP_FLAGS_SHIFT
    return " ".join([*names, f"app={app}"])


def _describe(header: schema.HeaderFields, payload: bytes) -> str:
    """What a payload says: settings, error code and reason, ping data, or text."""
    if header.type == schema.TYPE_HELLO and len(payload) % schema.SETTING_SIZE == 0:
        settings = [
            schema.SETTING_STRUCT.unpack_from(payload, at)
            for at in range(0, len(payload), schema.SETTING_SIZE)
        ]
        return (
            ", ".join(
                f"{schema.SETTINGS_BY_ID[i].name if i in schema.SETTINGS_BY_ID else hex(i)}={v}"
                for i, v in settings
            )
            or "no settings (defaults)"
        )
    if header.type == schema.TYPE_ERROR and len(payload) >= schema.ERROR_CODE_SIZE:
        (code,) = schema.ERROR_CODE_STRUCT.unpack_from(payload)
        entry = ErrorCode.lookup(code)
        reason = payload[schema.ERROR_CODE_SIZE :].decode("utf-8", errors="replace")
        return (
            f"code {code} ({entry.wire_name if entry else 'unknown'}): '{escape_peer_text(reason)}'"
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or not text.isprintable():
        return f"{len(payload)} bytes"
    if len(text) > _PREVIEW_TEXT:
        return f"{text[:_PREVIEW_TEXT]!r}... ({len(payload)} bytes)"
    return repr(text)


def _preview(data: bytes) -> str:
    if len(data) <= _PREVIEW_BYTES:
        return data.hex(" ")
    return data[:_PREVIEW_BYTES].hex(" ") + f" ..+{len(data) - _PREVIEW_BYTES}"


def _preface_report(preface: bytes, framing: Framing) -> FrameReport:
    """The preface's fields, each compared with what ``framing`` expects (FW-PRE-2)."""
    expected = schema.PREFACE.build({"framing": framing.preface_byte})
    report = FrameReport("session preface", 0)
    for row in schema.field_table(schema.PREFACE):
        assert row.size is not None
        field_slice = slice(row.offset, row.offset + row.size)
        raw = preface[field_slice]
        meaning = {
            "signature": "0x89 'FW1'",
            "framing": _PREFACE_FRAMINGS.get(raw, "unknown framing"),
            "guard": "CR LF SUB",
        }[row.name]
        report.fields.append(
            Field(row.offset, raw.hex(" "), row.name, meaning, raw == expected[field_slice])
        )
    if preface != expected:
        report.error = RemoteProtocolError(
            ErrorCode.BAD_PREFACE,
            f"preface {preface.hex()} is not {expected.hex()} ({framing.value})",
        )
    return report


_PREFACE_FRAMINGS = {
    bytes([framing.preface_byte]): f"{chr(framing.preface_byte)}: {framing.value}"
    for framing in Framing
}


def diagram(report: FrameReport) -> list[str]:
    """A frame's bytes on one line with each field bracketed and named below them.

    The drawing of the home page (``└─┬─┘`` under a field of several bytes, ``│`` under a
    single byte), made from a report of an undamaged length-prefixed frame, so what it
    names is what the decoder read.
    """
    spans = []
    start = 0
    for f in report.fields:
        spans.append((start, len(f.hex), f"{f.name}: {f.meaning}"))
        start += len(f.hex) + 1
    brackets = [" "] * start
    stems = []
    for start, size, _ in spans:
        if size <= _BYTE_WIDTH:
            brackets[start] = "│"
            stems.append(start)
            continue
        middle = start + (size - 1) // 2
        brackets[start : start + size] = ["└", *"─" * (size - 2), "┘"]
        brackets[middle] = "┬"
        stems.append(middle)
    lines = [" ".join(f.hex for f in report.fields), "".join(brackets).rstrip()]
    for index in reversed(range(len(spans))):
        line = [" "] * stems[index]
        for stem in stems[:index]:
            line[stem] = "│"
        lines.append("".join(line) + f"└─ {spans[index][2]}")
    return lines


_BYTE_WIDTH = 2
"""Characters of one byte in hex."""
