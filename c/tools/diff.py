"""Differential check: the C library and the Python reference on the same random inputs.

Why: the vectors pin down the cases someone thought of; random inputs find the ones
nobody did. Each input is a few frames built at random (valid, control, reserved, split
messages, with and without checksum, lone delimiters), then damaged at random (bytes
flipped, inserted, deleted, cut short) and fed to both implementations in different
random chunkings. The C decoder and session are driven through ctypes over a shared
build of the library; the Python side is the conformance adapter of the reference. Any
difference in the events, the end or (for sessions) the frames sent is a disagreement,
printed with the input so that it can be replayed.

Usage: python3 c/tools/diff.py LIBRARY.so [--inputs N | --seconds S] [--seed N]
"""

from __future__ import annotations

import argparse
import ctypes
import random
import sys
import time
from typing import Any

from framewire._codec.checksum import crc32c
from framewire._codec.cobs_codec import cobs_encode
from framewire.conformance.adapter import ReferenceAdapter
from framewire.decoder import Decoder
from framewire.errors import RemoteProtocolError
from framewire.events import END, NEED_DATA, Message
from framewire.framing import Framing, Limits

Result = dict[str, Any]

FRAMINGS = {Framing.LENGTH_PREFIXED: 0, Framing.DELIMITED: 1}
KIND_NONE, KIND_MESSAGE, KIND_PIECE, KIND_ERROR, KIND_FATAL, KIND_END = range(6)
KIND_OPEN, KIND_PEER_ERROR = 6, 7
DECODE_HUNTING, DECODE_STREAM = 0x01, 0x02
PREFACE = bytes.fromhex("89465731") + b"L" + bytes.fromhex("0d0a1a")
HELLO, ERROR, PING, PONG, FIRST_DATA = 1, 2, 3, 4, 0x40
FRAME_LIMITS = (256, 300, 1024, 4096)
MESSAGE_LIMITS = (256, 1000, 4096, 65536)


class Event(ctypes.Structure):
    _fields_ = (
        ("data", ctypes.POINTER(ctypes.c_uint8)),
        ("len", ctypes.c_uint32),
        ("code", ctypes.c_uint16),
        ("kind", ctypes.c_uint8),
        ("type", ctypes.c_uint8),
        ("flags", ctypes.c_uint8),
        ("piece", ctypes.c_uint8),
    )


class SessionConfig(ctypes.Structure):
    _fields_ = (
        ("framing", ctypes.c_int),
        ("max_frame_size", ctypes.c_uint32),
        ("max_message_size", ctypes.c_uint32),
        ("handshake_ms", ctypes.c_uint32),
        ("frame_ms", ctypes.c_uint32),
        ("pong_ms", ctypes.c_uint32),
        ("checksum", ctypes.c_bool),
        ("stream", ctypes.c_bool),
    )


STATE_WORDS = 64
"""Room for fw_decoder and fw_session (their sizes are checked by the C tests), aligned."""


class CLibrary:
    """The C decoder and session, answering as the conformance adapter does."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        lib.fw_decoder_init.restype = ctypes.c_int
        lib.fw_decoder_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.fw_decoder_init.argtypes += [ctypes.c_uint32, ctypes.c_uint, ctypes.c_void_p]
        lib.fw_decoder_init.argtypes += [ctypes.c_uint32]
        lib.fw_decoder_feed.restype = ctypes.c_size_t
        lib.fw_decoder_feed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.fw_decoder_feed.argtypes += [ctypes.POINTER(Event)]
        lib.fw_decoder_end.argtypes = [ctypes.c_void_p, ctypes.POINTER(Event)]
        lib.fw_session_config_default.argtypes = [ctypes.POINTER(SessionConfig)]
        lib.fw_session_init.restype = ctypes.c_int
        lib.fw_session_init.argtypes = [ctypes.c_void_p, ctypes.POINTER(SessionConfig)]
        lib.fw_session_init.argtypes += [ctypes.c_void_p, ctypes.c_uint32] * 2
        lib.fw_session_init.argtypes += [ctypes.c_uint32]
        lib.fw_session_feed.restype = ctypes.c_size_t
        lib.fw_session_feed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.fw_session_feed.argtypes += [ctypes.c_uint32, ctypes.POINTER(Event)]
        lib.fw_session_end_of_input.argtypes = [ctypes.c_void_p, ctypes.POINTER(Event)]
        lib.fw_session_output.restype = ctypes.POINTER(ctypes.c_uint8)
        lib.fw_session_output.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        lib.fw_session_output_done.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self.lib = lib
        self.state = (ctypes.c_uint64 * STATE_WORDS)()
        self.rx = (ctypes.c_uint8 * (1 << 17))()
        self.tx = (ctypes.c_uint8 * (1 << 16))()
        self.event = Event()

    def _record(self, events: list[Result]) -> None:
        ev = self.event
        payload = ctypes.string_at(ev.data, ev.len).hex() if ev.len else ""
        if ev.kind == KIND_MESSAGE:
            events.append({"message": {"type": ev.type, "flags": ev.flags, "payload": payload}})
        elif ev.kind == KIND_PIECE:
            first, last = bool(ev.piece & 1), bool(ev.piece & 2)
            piece = {"type": ev.type, "flags": ev.flags, "payload": payload}
            events.append({"piece": {**piece, "first": first, "last": last}})
        elif ev.kind == KIND_ERROR:
            events.append({"error": ev.code})

    def decode(self, request: Result, chunks: list[bytes]) -> Result:
        limits = request["limits"]
        options = DECODE_HUNTING if request["hunting"] else 0
        options |= 0 if request["assemble"] else DECODE_STREAM
        status = self.lib.fw_decoder_init(
            self.state,
            FRAMINGS[request["framing"]],
            limits["max_frame_size"],
            limits["max_message_size"],
            options,
            self.rx,
            len(self.rx),
        )
        assert status == 0, f"fw_decoder_init refused {request}"
        events: list[Result] = []
        ev = ctypes.byref(self.event)
        for whole in chunks:
            chunk = whole
            while True:
                used = self.lib.fw_decoder_feed(self.state, chunk, len(chunk), ev)
                chunk = chunk[used:]
                if self.event.kind == KIND_NONE:
                    break
                if self.event.kind == KIND_FATAL:
                    return {"events": events, "end": {"error": self.event.code}}
                self._record(events)
        if not request["eof"]:
            return {"events": events, "end": "open"}
        self.lib.fw_decoder_end(self.state, ev)
        if self.event.kind == KIND_FATAL:
            return {"events": events, "end": {"error": self.event.code}}
        return {"events": events, "end": "clean"}

    def _drain(self, sent: bytearray) -> None:
        size = ctypes.c_size_t()
        data = self.lib.fw_session_output(self.state, ctypes.byref(size))
        sent += ctypes.string_at(data, size.value)
        self.lib.fw_session_output_done(self.state, size.value)

    def session(self, request: Result, chunks: list[bytes]) -> Result:
        config = SessionConfig()
        self.lib.fw_session_config_default(ctypes.byref(config))
        config.framing = FRAMINGS[request["framing"]]
        config.max_frame_size = request["limits"]["max_frame_size"]
        config.max_message_size = request["limits"]["max_message_size"]
        config.handshake_ms = config.frame_ms = config.pong_ms = 0
        status = self.lib.fw_session_init(
            self.state, ctypes.byref(config), self.rx, len(self.rx), self.tx, len(self.tx), 0
        )
        assert status == 0, f"fw_session_init refused {request}"
        events: list[Result] = []
        sent = bytearray()
        self._drain(sent)
        ev = ctypes.byref(self.event)
        for whole in chunks:
            chunk = whole
            while chunk:
                used = self.lib.fw_session_feed(self.state, chunk, len(chunk), 0, ev)
                chunk = chunk[used:]
                self._drain(sent)
                kind = self.event.kind
                if kind == KIND_FATAL:
                    return {"events": events, "end": {"error": self.event.code}, "sent": sent}
                if kind == KIND_PEER_ERROR:
                    reason = ctypes.string_at(self.event.data, self.event.len)
                    end = {"peer_error": {"code": self.event.code, "reason": reason.decode()}}
                    return {"events": events, "end": end, "sent": sent}
                self._record(events)
        if not request["eof"]:
            return {"events": events, "end": "open", "sent": sent}
        self.lib.fw_session_end_of_input(self.state, ev)
        self._drain(sent)
        if self.event.kind == KIND_FATAL:
            return {"events": events, "end": {"error": self.event.code}, "sent": sent}
        return {"events": events, "end": "clean", "sent": sent}


def python_result(reply: Result) -> Result:
    """The reference adapter's reply in the shape CLibrary gives."""
    events = [
        {"error": event["error"]["code"]} if "error" in event else event
        for event in reply["events"]
    ]
    if reply["status"] == "error":
        end: Any = {"error": reply["error"]["code"]}
    else:
        end = reply["end"]
    result = {"events": events, "end": end}
    if "sent" in reply:
        result["sent"] = bytes.fromhex(reply["sent"])
    return result


def sent_frames(framing: Framing, sent: bytes) -> list[tuple[int, bytes]]:
    """What a session sent, frame by frame: an ERROR by its code alone (its reason is free)."""
    decoder = Decoder(framing, Limits(1 << 20, 1 << 24))
    decoder.feed(sent[len(PREFACE) :])
    decoder.feed_eof()
    frames: list[tuple[int, bytes]] = [(-1, sent[: len(PREFACE)])]
    try:
        while (event := decoder.next_event()) is not NEED_DATA and event is not END:
            assert isinstance(event, Message)
            code_only = event.type == ERROR
            frames.append((event.type, event.payload[:2] if code_only else event.payload))
    except RemoteProtocolError as error:
        frames.append((-2, str(error.code).encode()))
    return frames


# --- random inputs ---------------------------------------------------------------------

SHOWN = 10
"""Disagreements printed in full; the rest are counted."""


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def frame(rng: random.Random, framing: Framing, max_frame: int) -> bytes:
    """One frame, usually valid, sometimes a control frame or a reserved type or flag."""
    kind = rng.choices(
        (
            rng.randrange(FIRST_DATA, 0x100),
            rng.randrange(HELLO, PONG + 1),
            rng.randrange(FIRST_DATA),
        ),
        weights=(75, 20, 5),
    )[0]
    flags = rng.randrange(16) << 4 if kind >= FIRST_DATA else 0
    if chance(rng, 0.3):
        flags |= rng.choice((0x02, 0x04, 0x06))
    if chance(rng, 0.02):
        flags |= 0x08
    checksum = chance(rng, 0.5)
    flags |= 0x01 if checksum else 0
    size = rng.choice((0, 1, 8, rng.randrange(0, 64), rng.randrange(0, max_frame + 64)))
    if kind in (PING, PONG) and chance(rng, 0.8):
        size = 8
    payload = bytes(rng.getrandbits(8) if chance(rng, 0.7) else 0 for _ in range(size))
    if kind == ERROR and size >= len(b"ER") and chance(rng, 0.8):  # an ERROR with a UTF-8 reason
        payload = rng.choice((100, 203, 305, 999)).to_bytes(2, "big") + b"why" * (size // 3)
    if kind == HELLO:
        payload = hello_payload(rng)
    data = b"FW\x01" + bytes((flags, kind)) + len(payload).to_bytes(4, "big") + payload
    if checksum:
        data += crc32c(data).to_bytes(4, "big")
    if framing is Framing.DELIMITED:
        return cobs_encode(data) + b"\x00" + (b"\x00" if chance(rng, 0.05) else b"")
    return data


def hello_payload(rng: random.Random) -> bytes:
    settings = [(1, rng.choice((256, 1024, 1 << 20))), (2, rng.choice((0, 256, 1 << 24)))]
    if chance(rng, 0.2):
        settings.append((rng.randrange(3, 9), rng.getrandbits(32)))
    if chance(rng, 0.1):
        settings.append(settings[0])
    rng.shuffle(settings)
    return b"".join(
        ident.to_bytes(2, "big") + value.to_bytes(4, "big") for ident, value in settings
    )


def damage(rng: random.Random, data: bytes) -> bytes:
    """A few random faults: a flipped bit, a byte in or out, a zero, a cut."""
    buf = bytearray(data)
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        if not buf:
            break
        at = rng.randrange(len(buf))
        fault = rng.randrange(5)
        if fault == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif fault == 1:
            buf.insert(at, rng.getrandbits(8))
        elif fault == 2:  # noqa: PLR2004 - one of five faults
            del buf[at]
        elif fault == 3:  # noqa: PLR2004
            buf[at] = 0
        else:
            del buf[at:]
    return bytes(buf)


def split(rng: random.Random, data: bytes) -> list[bytes]:
    chunks, at = [], 0
    while at < len(data):
        size = rng.choice((1, rng.randrange(1, 16), len(data)))
        chunks.append(data[at : at + size])
        at += size
    return chunks


def limits(rng: random.Random, assemble: bool) -> dict[str, int]:
    max_message = rng.choice(MESSAGE_LIMITS if assemble else (0, *MESSAGE_LIMITS))
    return {"max_frame_size": rng.choice(FRAME_LIMITS), "max_message_size": max_message}


def decode_request(rng: random.Random) -> tuple[Result, bytes]:
    framing = rng.choice(tuple(FRAMINGS))
    assemble = chance(rng, 0.8)
    lim = limits(rng, assemble)
    data = b"".join(frame(rng, framing, lim["max_frame_size"]) for _ in range(rng.randrange(5)))
    data = damage(rng, data)
    if chance(rng, 0.05):
        data = rng.randbytes(rng.randrange(64))
    request = {
        "framing": framing,
        "limits": lim,
        "hunting": framing is Framing.DELIMITED and chance(rng, 0.2),
        "assemble": assemble,
        "eof": chance(rng, 0.9),
    }
    return request, data


def session_request(rng: random.Random) -> tuple[Result, bytes]:
    framing = rng.choice(tuple(FRAMINGS))
    lim = limits(rng, True)
    preface = PREFACE[:4] + (b"D" if framing is Framing.DELIMITED else b"L") + PREFACE[5:]
    frames = [frame(rng, framing, lim["max_frame_size"]) for _ in range(rng.randrange(5))]
    if chance(rng, 0.8):  # usually a HELLO first, as a peer sends it
        data = b"FW\x01\x00\x01" + (12).to_bytes(4, "big") + hello_payload(rng)[:12]
        frames.insert(0, cobs_encode(data) + b"\x00" if framing is Framing.DELIMITED else data)
    data = damage(rng, preface + b"".join(frames))
    request = {"framing": framing, "limits": lim, "eof": chance(rng, 0.9)}
    return request, data


def adapter_request(request: Result, data: bytes, rng: random.Random) -> Result:
    return {
        **request,
        "framing": request["framing"].value,
        "chunks": [chunk.hex() for chunk in split(rng, data)],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library")
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=0.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--session-share", type=float, default=0.3)
    args = parser.parse_args(argv)
    c_lib, reference = CLibrary(args.library), ReferenceAdapter()
    rng = random.Random(args.seed)
    start = time.monotonic()
    counts = {"decode": 0, "session": 0}
    disagreements = 0
    for index in range(args.inputs):
        if args.seconds and time.monotonic() - start > args.seconds:
            break
        kind = "session" if rng.random() < args.session_share else "decode"
        request, data = (session_request if kind == "session" else decode_request)(rng)
        c_chunks = split(rng, data)
        if kind == "decode":
            ours = c_lib.decode(request, c_chunks)
            theirs = python_result(reference.decode(adapter_request(request, data, rng)))
        else:
            ours = c_lib.session(request, c_chunks)
            theirs = python_result(reference.session(adapter_request(request, data, rng)))
            ours["sent"] = sent_frames(request["framing"], ours["sent"])
            theirs["sent"] = sent_frames(request["framing"], theirs["sent"])
        counts[kind] += 1
        if ours != theirs:
            disagreements += 1
            if disagreements <= SHOWN:
                print(f"DISAGREE #{index} {kind} {request} input {data.hex()}")
                print(f"  C:      {ours}")
                print(f"  Python: {theirs}")
    total = counts["decode"] + counts["session"]
    elapsed = time.monotonic() - start
    print(
        f"differential: {total} inputs ({counts['decode']} decoder, {counts['session']} session)"
        f" in {elapsed:.0f} s, seed {args.seed}: {disagreements} disagreements"
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
