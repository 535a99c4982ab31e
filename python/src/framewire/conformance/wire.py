"""The runner's own minimal reader and writer of Framewire bytes.

The runner must judge what an implementation *sends* (its preface, HELLO, PONG and ERROR
frames in session vectors, its echoes in live mode) without trusting any implementation to
parse them (FW-CNF-4). This module is that independent reader: deliberately small,
strict, and written against the spec's tables, not against framewire's codec. It also
builds the two things the runner itself must send in live mode (its preface and HELLO),
because a decode vector's input starts after the handshake.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import crc32c

PREFACE_SIGNATURE = b"\x89FW1"
PREFACE_GUARD = b"\r\n\x1a"
FRAMING_BYTES = {"length-prefixed": ord("L"), "delimited": ord("D")}
PREFACE_SIZE = 8
HEADER = struct.Struct(">2sBBBI")  # magic, version, flags, type, length (spec 3.1)
HEADER_SIZE = HEADER.size
TRAILER_SIZE = 4
MAGIC_AND_VERSION = (b"FW", 1)
FLAG_C, FLAG_M, FLAG_N, FLAG_R = 0x01, 0x02, 0x04, 0x08
TYPE_HELLO, TYPE_ERROR, TYPE_PING, TYPE_PONG = 1, 2, 3, 4
FIRST_DATA_TYPE = 0x40
SETTING = struct.Struct(">HI")
SETTING_MAX_FRAME, SETTING_MAX_MESSAGE = 1, 2
DEFAULT_SETTINGS = {SETTING_MAX_FRAME: 1_048_576, SETTING_MAX_MESSAGE: 16_777_216}
MAX_REASON_BYTES = 254
ERROR_CODE_SIZE = 2
COBS_FULL_BLOCK = 0xFF


def preface(framing: str) -> bytes:
    """The 8-byte preface of FRAMING (spec 6.2)."""
    return PREFACE_SIGNATURE + bytes([FRAMING_BYTES[framing]]) + PREFACE_GUARD


def frame(framing: str, frame_type: int, payload: bytes) -> bytes:
    """One unfragmented frame without checksum, put on the wire in FRAMING."""
    raw = HEADER.pack(b"FW", 1, 0, frame_type, len(payload)) + payload
    return cobs_encode(raw) + b"\x00" if framing == "delimited" else raw


def hello(framing: str, max_frame_size: int, max_message_size: int) -> bytes:
    """A HELLO frame announcing both settings (spec 6.3)."""
    settings = SETTING.pack(SETTING_MAX_FRAME, max_frame_size) + SETTING.pack(
        SETTING_MAX_MESSAGE, max_message_size
    )
    return frame(framing, TYPE_HELLO, settings)


def cobs_encode(data: bytes) -> bytes:
    """COBS as spec 4.2.1 defines it (canonical: no empty block after a final 0xFF block)."""
    out = bytearray()
    for piece_index, piece in enumerate(data.split(b"\x00")):
        last_piece = piece_index == data.count(0)
        start = 0
        while True:
            block = piece[start : start + COBS_FULL_BLOCK - 1]
            start += len(block)
            full = len(block) == COBS_FULL_BLOCK - 1
            out.append(COBS_FULL_BLOCK if full else len(block) + 1)
            out += block
            if not full or (start == len(piece) and last_piece):
                break
    return bytes(out)


def cobs_decode(encoded: bytes) -> bytes | None:
    """Decode one COBS frame (delimiter removed); None when a code byte overruns it."""
    out = bytearray()
    index = 0
    while index < len(encoded):
        code = encoded[index]
        end = index + code
        if code == 0 or end > len(encoded):
            return None
        out += encoded[index + 1 : end]
        index = end
        if code != COBS_FULL_BLOCK and index < len(encoded):
            out.append(0)
    return bytes(out)


@dataclass(frozen=True)
class Frame:
    """One frame read from the wire; ``flags`` is the whole flags byte."""

    flags: int
    type: int
    payload: bytes


@dataclass
class Transcript:
    """What one peer sent, read from the first preface byte on.

    ``items`` are the messages in the order they completed, as tuples: ("hello",
    settings dict), ("message", type, app_flags, payload), ("ping", payload), ("pong",
    payload), ("error", code, reason bytes). ``problems`` says what was malformed; the
    reading stops at the first problem. ``tail`` holds bytes after the last complete frame.
    """

    preface: bytes = b""
    items: list[tuple[object, ...]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tail: bytes = b""


def read_transcript(data: bytes, framing: str) -> Transcript:
    """Read a peer's whole output: preface, then frames, assembling multi-frame messages."""
    transcript = Transcript(preface=data[:PREFACE_SIZE])
    if transcript.preface != preface(framing)[: len(transcript.preface)]:
        transcript.problems.append(f"bad preface {transcript.preface.hex()}")
        return transcript
    frames, transcript.tail, problem = read_frames(data[PREFACE_SIZE:], framing)
    if problem:
        transcript.problems.append(problem)
    _assemble(frames, transcript)
    return transcript


def read_frames(data: bytes, framing: str) -> tuple[list[Frame], bytes, str | None]:
    """Split DATA into frames; returns (frames, incomplete tail, first problem or None)."""
    if framing == "delimited":
        frames: list[Frame] = []
        *encoded_frames, tail = data.split(b"\x00")
        for encoded in encoded_frames:
            if not encoded:
                continue  # a lone delimiter is allowed (FW-DLM-1)
            raw = cobs_decode(encoded)
            if raw is None:
                return frames, b"", f"invalid COBS in {encoded.hex()}"
            parsed, rest, problem = _parse_frame(raw)
            if problem is None and (parsed is None or rest):
                problem = f"delimited frame size disagrees with its header: {raw.hex()}"
            if problem or parsed is None:
                return frames, b"", problem
            frames.append(parsed)
        return frames, tail, None
    frames = []
    while data:
        parsed, rest, problem = _parse_frame(data)
        if problem:
            return frames, b"", problem
        if parsed is None:
            break
        frames.append(parsed)
        data = rest
    return frames, data, None


def _parse_frame(data: bytes) -> tuple[Frame | None, bytes, str | None]:
    """One frame from the start of DATA: (frame or None if incomplete, rest, problem)."""
    if len(data) < HEADER_SIZE:
        return None, data, None
    magic, version, flags, frame_type, length = HEADER.unpack_from(data)
    if (magic, version) != MAGIC_AND_VERSION:
        return None, data, f"bad frame header {data[:HEADER_SIZE].hex()}"
    if flags & FLAG_R:
        return None, data, f"reserved flag set in {data[:HEADER_SIZE].hex()}"
    size = HEADER_SIZE + length + (TRAILER_SIZE if flags & FLAG_C else 0)
    if len(data) < size:
        return None, data, None
    payload = data[HEADER_SIZE : HEADER_SIZE + length]
    if flags & FLAG_C:
        (trailer,) = struct.unpack_from(">I", data, HEADER_SIZE + length)
        if trailer != crc32c.crc32c(data[: HEADER_SIZE + length]):
            return None, data, f"wrong CRC-32C trailer in {data[:size].hex()}"
    return Frame(flags, frame_type, payload), data[size:], None


def _assemble(frames: list[Frame], transcript: Transcript) -> None:
    """Turn frames into transcript items, checking the continuation rules of section 5."""
    in_progress: tuple[int, int, bytearray] | None = None
    for item in frames:
        more, continuation = bool(item.flags & FLAG_M), bool(item.flags & FLAG_N)
        app_flags = item.flags >> 4
        if item.type < FIRST_DATA_TYPE:
            if more or continuation or app_flags:
                transcript.problems.append(f"control frame with flags {item.flags:#04x}")
                return
            transcript.items.append(_control_item(item))
            continue
        if continuation != (in_progress is not None):
            transcript.problems.append("data frame breaks the continuation rules (FW-MSG-1)")
            return
        if in_progress is None:
            in_progress = (item.type, app_flags, bytearray())
        if in_progress[:2] != (item.type, app_flags):
            transcript.problems.append("continuation frame changes type or flags (FW-MSG-3)")
            return
        in_progress[2].extend(item.payload)
        if not more:
            transcript.items.append(("message", item.type, app_flags, bytes(in_progress[2])))
            in_progress = None
    if in_progress is not None:
        transcript.problems.append("output ends inside a data message")


def _control_item(item: Frame) -> tuple[object, ...]:
    """A control frame as a transcript item; layout problems become ("malformed", ...)."""
    if item.type == TYPE_HELLO:
        return _hello_item(item.payload)
    if item.type == TYPE_ERROR:
        if len(item.payload) < ERROR_CODE_SIZE:
            return ("malformed", "ERROR payload shorter than its 2-byte code")
        return ("error", int.from_bytes(item.payload[:ERROR_CODE_SIZE], "big"), item.payload[2:])
    if item.type in (TYPE_PING, TYPE_PONG):
        return ("ping" if item.type == TYPE_PING else "pong", item.payload)
    return ("malformed", f"reserved type {item.type:#04x}")


def _hello_item(payload: bytes) -> tuple[object, ...]:
    """("hello", settings with defaults filled in, FW-HEL-2) or ("malformed", why)."""
    if len(payload) % SETTING.size:
        return ("malformed", "HELLO payload is not a multiple of 6 bytes")
    settings = dict(DEFAULT_SETTINGS)
    seen: set[int] = set()
    for offset in range(0, len(payload), SETTING.size):
        ident, value = SETTING.unpack_from(payload, offset)
        if ident in seen:
            return ("malformed", f"HELLO repeats setting {ident}")
        seen.add(ident)
        settings[ident] = value
    return ("hello", settings)
