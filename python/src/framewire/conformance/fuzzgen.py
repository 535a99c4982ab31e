"""Random adapter requests for the differential fuzzer (`framewire.conformance.fuzzdiff`).

Why: the vectors pin down the cases someone thought of; inputs built at random reach the
ones nobody did. Every request is one the adapter protocol defines (spec 10.3): decode and
session requests with inputs that are vectors' inputs mutated (bits flipped, bytes
inserted, deleted, overwritten, cut short, spliced from other vectors) or frame sequences
synthesised in either framing (valid headers with random flags, types and lengths,
checksums right or wrong, COBS or not, control frames), under random limits and random
chunkings; and encode requests with valid messages only (FW-CNF-15).

All bytes come from the wire oracle (`wire`), never from the implementation under test
(FW-CNF-4). Everything is drawn from one `random.Random`, so a seed reproduces a run.
Inputs stay far below a mebibyte: a receiver may hold less memory than its limits allow
and then fail with `internal-error` (FW-LIM-10), a lawful difference not looked for here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from framewire.conformance import wire
from framewire.conformance.runner import VERSION_2_FIELDS
from framewire.conformance.vectors import LIVE_ONLY_TAG, Case, Registry, cut

FRAME_LIMITS = (256, 257, 300, 512, 1024, 4096, 65536, 1 << 20, 1 << 30)
MESSAGE_LIMITS = (0, 256, 300, 1000, 1024, 4096, 65536, 1 << 24, (1 << 32) - 1)
MIN_LIMIT = 256  # FW-LIM-2
ENCODE_SPLITS = (1, 2, 3, 7, 100, 254, 255, 256, 257, 1024, 1 << 20, 1 << 30)
PING_SIZE = 8
PING_FLOOD = 5000
SEND_SIZES = (0, 8, 200)
"""Payload sizes of the messages a session's application sends (FW-CNF-36): below the
smallest MAX_MESSAGE_SIZE a peer may announce, so that no send is refused for its size."""
"""PINGs in a flood: their PONGs fill more than 64 KiB, a small device's whole send buffer."""
MAX_HELLO_SETTINGS = 42  # FW-HEL-10
MAX_CHUNK_CUTS = 16
BYTEWISE_MAX = 600
"""Longest input ever cut into single bytes (each byte is one chunk in the JSON request)."""
NEAR_LIMIT_MOST = 4096
"""Largest payload built to sit at a limit: inputs stay small, so larger limits are reached
by lengths in headers only."""
SETTING_IDS = (wire.SETTING_MAX_FRAME, wire.SETTING_MAX_MESSAGE)
HELLO_VALUES = (0, 1, 255, 256, 300, 1024, 1 << 20, 1 << 30, (1 << 30) + 1, (1 << 32) - 1)
"""Setting values in and out of the ranges of FW-LIM-2; a valid HELLO uses those in range
for both settings."""
VALID_HELLO_VALUES = (256, 1024, 1 << 20, 1 << 30)
MUTATIONS = ("flip", "insert", "delete", "overwrite", "truncate", "splice", "repeat")
INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x40, 0x7F, 0x80, 0xFE, 0xFF)
FRAME_FAULTS = ("none", "crc", "length", "flags", "magic", "version")
FRAME_FAULT_WEIGHTS = (89, 4, 3, 2, 1, 1)
"""How often a synthesised frame carries each fault, in percent."""
DELIMITER_FAULTS = ("none", "raw", "undelimited")
DELIMITER_FAULT_WEIGHTS = (94, 3, 3)
"""How often a delimited frame is not COBS-encoded, or has no delimiter, in percent."""
UNREGISTERED_CODES = (0, 999, 1000, 65535)


@dataclass(frozen=True)
class Request:
    """One generated request: what every implementation is sent, in the same chunks.

    ``data`` is the input (decode, session) or the message payload (encode); ``cuts`` are
    the offsets where the input is cut into chunks. ``pick`` chooses the receive path of
    each adapter that offers several (FW-CNF-31), so a run covers them all.
    """

    kind: str
    source: str
    fields: Mapping[str, Any]
    data: bytes
    cuts: tuple[int, ...] = ()
    pick: int = 0
    note: str = field(default="", compare=False)

    @property
    def chunks(self) -> tuple[bytes, ...]:
        """The input cut at ``cuts``."""
        return cut(self.data, self.cuts)

    def body(self, receive: str | None = None) -> dict[str, Any]:
        """The request's fields as the adapter protocol sends them (without op and seq)."""
        fields = dict(self.fields)
        if self.kind == "encode":
            fields["message"] = {**fields["message"], "payload": self.data.hex()}
            return fields
        fields["chunks"] = [chunk.hex() for chunk in self.chunks]
        if receive is not None:
            fields["receive"] = receive
        return fields

    @property
    def shrinkable(self) -> bool:
        """Whether any input of fewer bytes is still a request the protocol defines: not so
        for a control message to encode, whose payload has a layout (FW-CNF-15)."""
        return self.kind != "encode" or self.fields["message"]["type"] >= wire.DATA

    def with_input(self, data: bytes, cuts: Sequence[int]) -> Request:
        """The same request with other input bytes and cut points."""
        return replace(self, data=data, cuts=tuple(cuts))

    def with_limits(self, max_frame_size: int, max_message_size: int) -> Request:
        """The same decode or session request under other limits."""
        limits = {"max_frame_size": max_frame_size, "max_message_size": max_message_size}
        return replace(self, fields={**self.fields, "limits": limits})


class Generator:
    """Draws requests at random, reproducibly from a seed."""

    def __init__(self, seed: int | str, cases: Sequence[Case], registry: Registry) -> None:
        self.rng = random.Random(seed)
        self.error_codes = [entry.code for entry in registry.entries] + list(UNREGISTERED_CODES)
        self.donors = [
            case
            for case in cases
            if case.kind in ("decode", "session")
            and LIVE_ONLY_TAG not in case.tags
            and "deadlines" not in case.raw
        ]
        self.sources: tuple[tuple[str, Callable[[], Request], int], ...] = (
            ("vector-mutant", self.vector_mutant, 35),
            ("frames-decode", self.frames_decode, 25),
            ("frames-session", self.frames_session, 25),
            ("encode", self.encode, 15),
        )

    def next(self) -> Request:
        """One request, from a source drawn by weight."""
        weights = [weight for _, _, weight in self.sources]
        _, make, _ = self.rng.choices(self.sources, weights)[0]
        return make()

    def chance(self, probability: float) -> bool:
        """True with PROBABILITY."""
        return self.rng.random() < probability

    # -- sources ---------------------------------------------------------------------

    def vector_mutant(self) -> Request:
        """A decode or session vector's input, mutated, in a random chunking."""
        rng = self.rng
        case = rng.choice(self.donors)
        data = case.input
        if self.chance(0.9):
            data = self.mutate(data)
        limits = case.raw["limits"] if self.chance(0.8) else self.limits()
        fields: dict[str, Any] = {
            "case": case.id,
            "framing": case.framing,
            "limits": limits,
            "eof": case.eof if self.chance(0.9) else not case.eof,
        }
        if case.kind == "decode":
            fields["hunting"] = bool(case.raw.get("hunting", False))
            fields["assemble"] = bool(case.raw.get("assemble", True))
        fields |= {name: case.raw[name] for name in VERSION_2_FIELDS if name in case.raw}
        return self._request(case.kind, "vector-mutant", fields, data, note=case.id)

    def frames_decode(self) -> Request:
        """Frames built at random for a decoder, in either framing."""
        rng = self.rng
        framing = rng.choice(wire.FRAMINGS)
        limits = self.limits()
        data = self.frames(framing, limits, rng.randint(0 if self.chance(0.1) else 1, 6))
        hunting = framing == wire.DELIMITED and self.chance(0.15)
        if hunting:  # what a receiver that joins a stream late sees first (FW-DLM-8)
            data = rng.randbytes(rng.randint(0, 20)) + data
        fields = {
            "case": "fuzz",
            "framing": framing,
            "limits": limits,
            "eof": self.chance(0.9),
            "hunting": hunting,
            "assemble": self.chance(0.8),
        } | self.late()
        return self._request("decode", "frames-decode", fields, self.maybe_mutate(data))

    def frames_session(self) -> Request:
        """What a peer might send a session: a preface, a HELLO, frames, maybe an ERROR."""
        rng = self.rng
        framing = rng.choice(wire.FRAMINGS)
        limits = self.limits()
        data = bytearray()
        if self.chance(0.95):
            data += self.preface(framing)
        if self.chance(0.9):
            data += wire.on_wire(framing, self.frame(wire.HELLO, self.hello_payload()))
        data += self.frames(framing, limits, rng.randint(0, 5))
        # Version 2 (FW-CNF-34 to 36): read late, report the peer's HELLO, send messages.
        fields: dict[str, Any] = {"case": "fuzz", "framing": framing, "limits": limits}
        if self.chance(0.03):  # more PONGs owed than a small send queue holds (FW-SEC-2)
            pings = [self.frame(wire.PING, self.nonzero(PING_SIZE)) for _ in range(PING_FLOOD)]
            data += wire.on_wire(framing, *pings)
        else:  # read late, a send queue need not hold them all: no flood then
            fields |= self.late()
        if self.chance(0.15):
            data += wire.on_wire(framing, self.frame(wire.ERROR, self.error_payload()))
        fields["eof"] = self.chance(0.9)
        if self.chance(0.5):
            fields["control"] = True
        if self.chance(0.3):
            fields["send"] = [
                {
                    "type": rng.randint(wire.DATA, 0xFF),
                    "flags": rng.randint(0, 15),
                    "payload": self.payload(rng.choice(SEND_SIZES), exact=True).hex(),
                }
                for _ in range(rng.randint(1, 2))
            ]
        return self._request("session", "frames-session", fields, self.maybe_mutate(bytes(data)))

    def encode(self) -> Request:
        """A valid message (FW-CNF-15) to encode, split at a random frame size."""
        rng = self.rng
        if self.chance(0.8):
            type_ = rng.randint(wire.DATA, 0xFF)
            flags = rng.randint(0, 15)
            payload = (
                self.cobs_blocks()
                if self.chance(0.15)
                else self.payload(rng.choice((0, 8, 300, 1200)))
            )
            split = rng.choice(ENCODE_SPLITS) if self.chance(0.7) else rng.randint(1, 600)
        else:
            type_ = rng.choice((wire.HELLO, wire.ERROR, wire.PING, wire.PONG))
            flags = 0
            payload = {
                wire.HELLO: lambda: self.hello_payload(valid=True),
                wire.ERROR: lambda: self.error_payload(valid=True),
            }.get(type_, lambda: self.payload(PING_SIZE, exact=True))()
            split = max(len(payload), rng.choice(ENCODE_SPLITS))  # control frames never split
        fields = {
            "case": "fuzz",
            "framing": rng.choice(wire.FRAMINGS),
            "message": {"type": type_, "flags": flags},
            "options": {"checksum": self.chance(0.5), "max_frame_size": split},
        }
        return Request("encode", "encode", fields, payload)

    # -- pieces ------------------------------------------------------------------------

    def _request(
        self, kind: str, source: str, fields: Mapping[str, Any], data: bytes, note: str = ""
    ) -> Request:
        rng = self.rng
        return Request(
            kind, source, fields, data, self.cuts(len(data)), rng.randrange(1 << 16), note
        )

    def late(self) -> dict[str, str]:
        """Sometimes the field that reads no event before the last chunk (FW-CNF-34)."""
        return {"read": "end"} if self.chance(0.25) else {}

    def limits(self) -> dict[str, int]:
        """Limits within the ranges of FW-LIM-2, mostly small ones that inputs can reach."""
        rng = self.rng
        frame = rng.choice(FRAME_LIMITS) if self.chance(0.8) else rng.randint(MIN_LIMIT, 5000)
        message = rng.choice(MESSAGE_LIMITS) if self.chance(0.8) else rng.randint(MIN_LIMIT, 9000)
        return {"max_frame_size": frame, "max_message_size": message}

    def cuts(self, length: int) -> tuple[int, ...]:
        """Where to cut an input of LENGTH bytes: whole, every byte, or random places."""
        rng = self.rng
        how = rng.choices(("whole", "bytes", "random"), (30, 10, 60))[0]
        if length <= 1 or how == "whole":
            return ()
        if how == "bytes" and length <= BYTEWISE_MAX:
            return tuple(range(1, length))
        count = rng.randint(1, min(MAX_CHUNK_CUTS, length - 1))
        return tuple(sorted(rng.sample(range(1, length), count)))

    def payload(self, around: int, *, exact: bool = False) -> bytes:
        """Random bytes: exactly AROUND of them, or a length drawn near AROUND."""
        rng = self.rng
        size = around if exact else max(0, around + rng.randint(-around // 2 - 2, around // 2 + 2))
        # with no zero byte, COBS cuts the frame into full 254-byte blocks
        return self.nonzero(size) if self.chance(0.3) else rng.randbytes(size)

    def nonzero(self, size: int) -> bytes:
        """SIZE random bytes, none of them zero."""
        return self.rng.randbytes(size).replace(b"\x00", b"\x01")

    def cobs_blocks(self) -> bytes:
        """Bytes with no zero, of about a whole number of full COBS blocks: where an encoder
        may add a needless empty block (FW-COB-1) and a decoder must take it (FW-COB-3)."""
        rng = self.rng
        return self.nonzero(wire.FULL_BLOCK * rng.randint(1, 3) + rng.randint(-6, 2))

    def preface(self, framing: str) -> bytes:
        """The preface of FRAMING, or now and then the other framing's."""
        if self.chance(0.05):
            return wire.preface(self.rng.choice(wire.FRAMINGS))
        return wire.preface(framing)

    def hello_payload(self, *, valid: bool = False) -> bytes:
        """HELLO settings: the two known ones, unknown ids; unless VALID, sometimes values out
        of range, repeated ids, too many settings (FW-HEL-10), a cut payload."""
        rng = self.rng
        valid = valid or self.chance(0.7)
        count = rng.choice((0, 1, 2, 2, 2, 3)) if valid or self.chance(0.7) else rng.randint(40, 44)
        ids = list(SETTING_IDS) + [rng.randint(3, 0xFFFF) for _ in range(max(0, count - 2))]
        rng.shuffle(ids)
        if valid:
            ids = list(dict.fromkeys(ids))[:MAX_HELLO_SETTINGS]
        values = VALID_HELLO_VALUES if valid else HELLO_VALUES
        payload = wire.hello_payload(*((i, rng.choice(values)) for i in ids[:count]))
        if not valid and self.chance(0.05):
            payload = payload[: rng.randint(0, len(payload))]
        return payload

    def error_payload(self, *, valid: bool = False) -> bytes:
        """An ERROR: a code and a UTF-8 reason; broken now and then unless VALID."""
        rng = self.rng
        reason = "".join(rng.choice("ab é€😀\n") for _ in range(rng.choice((0, 5, 60, 90))))
        encoded = reason.encode()[: wire.MAX_REASON_BYTES]
        while encoded:  # cut at a character boundary
            try:
                encoded.decode()
                break
            except UnicodeDecodeError:
                encoded = encoded[:-1]
        payload = wire.error_payload(rng.choice(self.error_codes), encoded)
        if not valid and self.chance(0.1):
            payload = rng.choice((payload[:1], payload + b"\xff\xfe", payload + b"x" * 260))
        return payload

    def frame(self, type_: int, payload: bytes, **overrides: Any) -> bytes:
        """One frame, with a checksum now and then, and now and then a fault in it."""
        rng = self.rng
        options: dict[str, Any] = {"checksum": self.chance(0.4), **overrides}
        fault = rng.choices(FRAME_FAULTS, FRAME_FAULT_WEIGHTS)[0]
        if fault == "crc":
            options |= {"crc": rng.getrandbits(32), "checksum": True}
        elif fault == "length":
            options["length"] = max(0, len(payload) + rng.choice((-1, 1, 2, 1000, 1 << 20)))
        elif fault == "flags":
            options["raw_flags"] = rng.randrange(256)
        elif fault == "magic":
            options["magic"] = rng.choice((b"FX", b"fw", b"\x00W"))
        elif fault == "version":
            options["version"] = rng.choice((0, 2, 0xFF))
        return wire.frame(type_, payload, **options)

    def message_frames(self, limits: Mapping[str, int]) -> list[bytes]:
        """A data message in one or more frames, the continuation flags mostly right."""
        rng = self.rng
        type_ = rng.randint(wire.DATA, 0xFF)
        app = rng.randint(0, 15) if self.chance(0.5) else 0
        count = rng.choice((1, 1, 1, 2, 3, 4))
        sizing = rng.choices(("small", "frame", "message", "cobs"), (74, 9, 9, 8))[0]
        size = min(limits["max_frame_size"], NEAR_LIMIT_MOST) + rng.randint(-2, 1)
        if sizing == "message":  # the frames add up to about the message limit
            size = min(limits["max_message_size"] or size, NEAR_LIMIT_MOST) // count
            size = max(0, size + rng.randint(-2, 2))
        frames = []
        for index in range(count):
            more, cont = index < count - 1, index > 0
            if self.chance(0.05):
                more, cont = self.chance(0.5), self.chance(0.5)
            this_type = type_ if self.chance(0.97) else rng.randint(wire.DATA, 0xFF)
            payload = {"small": lambda: self.payload(40), "cobs": self.cobs_blocks}.get(
                sizing, lambda: self.payload(size, exact=True)
            )()
            frames.append(self.frame(this_type, payload, app=app, more=more, cont=cont))
        return frames

    def control_frame(self) -> bytes:
        """A PING, PONG, HELLO, ERROR or reserved-type frame, mostly well laid out."""
        rng = self.rng
        type_ = rng.choice((wire.PING, wire.PING, wire.PONG, wire.HELLO, wire.ERROR, 0, 5, 0x3F))
        if type_ in (wire.PING, wire.PONG):
            payload = self.payload(PING_SIZE, exact=self.chance(0.9))
        elif type_ == wire.HELLO:
            payload = self.hello_payload()
        elif type_ == wire.ERROR:
            payload = self.error_payload()
        else:
            payload = self.payload(4)
        return self.frame(type_, payload, app=rng.randint(0, 15) if self.chance(0.05) else 0)

    def frames(self, framing: str, limits: Mapping[str, int], count: int) -> bytes:
        """COUNT messages or control frames in FRAMING, with framing-level faults sometimes."""
        rng = self.rng
        frames: list[bytes] = []
        for _ in range(count):
            if self.chance(0.6):
                frames += self.message_frames(limits)
            else:
                frames.append(self.control_frame())
        if framing == wire.LENGTH_PREFIXED:
            return b"".join(frames)
        out = bytearray(b"\x00" if self.chance(0.1) else b"")
        for one in frames:
            fault = rng.choices(DELIMITER_FAULTS, DELIMITER_FAULT_WEIGHTS)[0]
            if fault == "raw":
                out += one + b"\x00"  # not COBS-encoded
            elif fault == "undelimited":
                out += wire.cobs_encode(one)  # runs into the next frame
            else:
                out += wire.cobs_encode(one) + b"\x00" * rng.choice((1, 1, 1, 1, 2))
        return bytes(out)

    def maybe_mutate(self, data: bytes) -> bytes:
        """Synthesised input, damaged a little a third of the time."""
        return self.mutate(data) if self.chance(0.3) else data

    def mutate(self, data: bytes) -> bytes:
        """One to four random mutations: flip, insert, delete, overwrite, cut, splice."""
        rng = self.rng
        out = bytearray(data)
        for _ in range(rng.choice((1, 1, 1, 2, 3, 4))):
            where = rng.randint(0, len(out))
            last = max(0, min(where, len(out) - 1))
            op = rng.choice(MUTATIONS)
            if op == "flip" and out:
                out[last] ^= 1 << rng.randrange(8)
            elif op == "insert":
                out[where:where] = bytes([rng.choice((*INTERESTING_BYTES, rng.randrange(256)))])
            elif op == "delete":
                del out[last : where + rng.randint(1, 4)]
            elif op == "overwrite" and out:
                out[last] = rng.choice(INTERESTING_BYTES)
            elif op == "truncate":
                del out[where:]
            elif op == "splice":
                donor = rng.choice(self.donors).input
                start = rng.randint(0, len(donor))
                out[where:where] = donor[start : start + rng.randint(1, 64)]
            else:  # "repeat"
                start = rng.randint(0, len(out))
                out[where:where] = out[start : start + rng.randint(1, 16)]
        return bytes(out)


__all__ = ["Generator", "Request"]
