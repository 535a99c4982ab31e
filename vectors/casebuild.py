"""The vector suite and the helpers that build its cases (used by the modules of gen/).

The helpers turn a hand-stated expectation (which frame is faulty, what the spec says is
delivered before and after it) into a case in the vector format of schema.json.

"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from specdata import error_registry

from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    FRAMINGS,
    LENGTH_PREFIXED,
    delimit,
    frame,
    nonzero_bytes,
    on_wire,
)

SUITE_VERSION = "1.4.0"
Json = dict[str, Any]

DEFAULT_LIMITS: Json = {"max_frame_size": 1_048_576, "max_message_size": 16_777_216}
SMALL_LIMITS: Json = {"max_frame_size": 256, "max_message_size": 1024}
CEILING = 1 << 30
SHORT = {LENGTH_PREFIXED: "lpf", DELIMITED: "dlm"}

GROUPS = {
    "header": "Header fields: magic, version, flags, types, and the order of header checks "
    "(sections 3.1-3.4, 3.7).",
    "length-limits": "The length field, frame and message size limits, and the protocol "
    "ceiling (sections 3.5, 7.1).",
    "crc": "The CRC-32C trailer (section 3.6).",
    "cobs": "COBS encoding and decoding at block boundaries (section 4.2.1).",
    "delimited": "Delimited framing: delimiters, length checks, encoded size bound, "
    "resynchronisation and hunting (sections 4.2.2, 4.2.3, 4.3).",
    "continuation": "Messages longer than one frame, errors inside a message and their "
    "recovery, streaming delivery (section 5).",
    "eof": "End of input at every offset of a frame and of a message (FW-LPF-4, "
    "FW-DLM-5, FW-MSG-11).",
    "encode": "Exact canonical encoder output, and its decoding (sections 3, 4, 5.1).",
    "session": "Sessions over stream sockets: preface, HELLO, ERROR, PING/PONG, clean "
    "end, failing a connection, deadlines (section 6, 7.2).",
    "late-reading": "Input handed over in several chunks before any event is read: the "
    "bounds count the frame in progress only (FW-DLM-4; adapter protocol version 2, "
    "FW-CNF-34).",
}


# --------------------------------------------------------------------------- the suite


class Suite:
    """Collects the cases of every group and gives each its stable id from ids.json."""

    def __init__(self, ids_path: Path) -> None:
        self.ids: dict[str, str] = (
            json.loads(ids_path.read_text(encoding="utf-8")) if ids_path.exists() else {}
        )
        self.groups: dict[str, list[Json]] = {name: [] for name in GROUPS}
        self.keys_seen: set[str] = set()
        self.error_names = {entry.name for entry in error_registry()}

    def stable_id(self, key: str) -> str:
        """The id recorded for `key`, or a fresh random one never used before."""
        if key not in self.ids:
            taken = set(self.ids.values())
            new_id = f"fw-{secrets.token_hex(4)}"
            while new_id in taken:
                new_id = f"fw-{secrets.token_hex(4)}"
            self.ids[key] = new_id
        return self.ids[key]

    def add(self, group: str, key: str, case: Json) -> None:
        """Add one case; its key (group/key) names it in ids.json and must be unique."""
        full_key = f"{group}/{key}"
        if full_key in self.keys_seen:
            raise ValueError(f"duplicate case key {full_key}")
        self.keys_seen.add(full_key)
        self.groups[group].append({"id": self.stable_id(full_key), **case})

    def write(self, out_dir: Path) -> None:
        """Write the group files and ids.json into `out_dir`."""
        for group, cases in self.groups.items():
            document = {
                "suite": "framewire-vectors",
                "suite_version": SUITE_VERSION,
                "spec_version": "1",
                "group": group,
                "description": GROUPS[group],
                "cases": cases,
            }
            dump(out_dir / f"{group}.json", document)
        dump(out_dir / "ids.json", dict(sorted(self.ids.items())))


def dump(path: Path, document: object) -> None:
    """Write JSON in the committed layout: 1-space indentation, UTF-8, final newline."""
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------- event helpers


def message(type_: int = DATA, payload: bytes = b"", app: int = 0) -> Json:
    """An expected whole-message event."""
    return {"message": {"type": type_, "flags": app, "payload": payload.hex()}}


def piece(payload: bytes, *, first: bool, last: bool, type_: int = DATA, app: int = 0) -> Json:
    """An expected streaming piece (assemble: false)."""
    return {
        "piece": {
            "type": type_,
            "flags": app,
            "payload": payload.hex(),
            "first": first,
            "last": last,
        }
    }


def error(name: str) -> Json:
    """An expected recoverable error event, or a fatal end."""
    return {"error": name}


CLEAN = "clean"
OPEN = "open"


def errors_in(events: Iterable[Json], end: object) -> list[str]:
    """The error names a case expects, in order (events first, then the end)."""
    names = [event["error"] for event in events if "error" in event]
    if isinstance(end, dict) and "error" in end:
        names.append(end["error"])
    return names


def tags_for(group: str, framing: str, names: list[str], extra: Iterable[str]) -> list[str]:
    """The automatic tags (group, framing, valid/invalid, error names) plus `extra`."""
    tags = [group, framing, "invalid" if names else "valid", *names, *extra]
    return list(dict.fromkeys(tags))


# ------------------------------------------------------------------- case builders


def decode(
    suite: Suite,
    group: str,
    key: str,
    description: str,
    statements: list[str],
    *,
    framing: str,
    data: bytes,
    events: list[Json],
    end: object,
    limits: Json | None = None,
    eof: bool = True,
    hunting: bool = False,
    assemble: bool = True,
    tags: Iterable[str] = (),
    level: str = "MUST",
    chunks: list[int] | None = None,
    read: str | None = None,
) -> None:
    """Add one decode case; `read` "end": no event is read before the last chunk is in
    (FW-CNF-34)."""
    names = errors_in(events, end)
    extra = list(tags)
    if hunting or not assemble:
        extra.append("optional")
    case: Json = {
        "description": description,
        "statements": list(dict.fromkeys(statements)),
        "level": level,
        "tags": tags_for(group, framing, names, extra),
        "kind": "decode",
        "framing": framing,
        "limits": limits or SMALL_LIMITS,
        "input": data.hex(),
    }
    if chunks is not None:
        if sum(chunks) != len(data):
            raise ValueError(f"{key}: chunks do not add up to the input")
        case["chunks"] = chunks
    case.update(
        {
            "eof": eof,
            "hunting": hunting,
            "assemble": assemble,
        }
    )
    if read is not None:
        case["read"] = read
    case["expect"] = {"events": events, "end": end}
    suite.add(group, f"{key}/{SHORT[framing]}", case)


def frame_fault(
    suite: Suite,
    group: str,
    key: str,
    description: str,
    statements: list[str],
    *,
    bad: bytes,
    name: str,
    limits: Json | None = None,
    tags: Iterable[str] = (),
    framings: Iterable[str] = FRAMINGS,
) -> None:
    """A faulty frame between two good ones, in each framing.

    Length-prefixed: the first message is delivered, then the fatal error, and nothing
    after it (FW-LPF-3). Delimited: the error is reported, the frame dropped, and the
    frame after it decoded as usual (FW-DLM-6, FW-DLM-7).
    """
    before = frame(DATA, b"before")
    after = frame(DATA, b"after")
    for framing in framings:
        end: object
        if framing == LENGTH_PREFIXED:
            data = before + bad + after
            events, end = [message(DATA, b"before")], error(name)
            rules = [*statements, "FW-LPF-3"]
        else:
            data = delimit(before, bad, after)
            events = [message(DATA, b"before"), error(name), message(DATA, b"after")]
            end, rules = CLEAN, [*statements, "FW-DLM-6", "FW-DLM-7"]
        decode(
            suite,
            group,
            key,
            description,
            rules,
            framing=framing,
            data=data,
            events=events,
            end=end,
            limits=limits,
            tags=tags,
        )


class Fault(NamedTuple):
    """One faulty frame and the error the spec names for it: a row for frame_faults."""

    key: str
    description: str
    statements: list[str]
    bad: bytes
    name: str


def frame_faults(
    suite: Suite,
    group: str,
    faults: Iterable[Fault],
    *,
    limits: Json | None = None,
    tags: Iterable[str] = (),
    framings: Iterable[str] = FRAMINGS,
) -> None:
    """frame_fault for each row, with the same limits, tags and framings."""
    tags, framings = list(tags), list(framings)
    for fault in faults:
        frame_fault(
            suite,
            group,
            fault.key,
            fault.description,
            fault.statements,
            bad=fault.bad,
            name=fault.name,
            limits=limits,
            tags=tags,
            framings=framings,
        )


def valid_frames(
    suite: Suite,
    group: str,
    key: str,
    description: str,
    statements: list[str],
    *,
    frames: list[bytes],
    events: list[Json],
    limits: Json | None = None,
    tags: Iterable[str] = (),
) -> None:
    """Valid frames, in each framing: every event delivered, then a clean end."""
    for framing in FRAMINGS:
        decode(
            suite,
            group,
            key,
            description,
            statements,
            framing=framing,
            data=on_wire(framing, *frames),
            events=events,
            end=CLEAN,
            limits=limits,
            tags=tags,
        )


def header_only(
    suite: Suite,
    group: str,
    key: str,
    description: str,
    statements: list[str],
    *,
    length: int,
    end: object,
    limits: Json,
    prefix: bytes = b"",
    events: list[Json] | None = None,
    cont: bool = False,
) -> None:
    """Length-prefixed: a header announcing `length`, with no payload and no end of input.

    The decision must come from the 9 header bytes alone (FW-HDR-3, FW-LEN-4): an error
    at once, or `open` (waiting for the payload) when the length is acceptable.
    """
    decode(
        suite,
        group,
        key,
        description,
        statements,
        framing=LENGTH_PREFIXED,
        data=prefix + frame(DATA, length=length, cont=cont),
        events=events or [],
        end=end,
        limits=limits,
        eof=False,
        tags=["header-only", "boundary"],
    )


def corrupt_trailer(data: bytes) -> bytes:
    """Flip the lowest bit of the last trailer byte: the one fault is a wrong CRC."""
    return data[:-1] + bytes([data[-1] ^ 0x01])


def payload_for_last_piece(size: int) -> bytes:
    """A non-zero payload that makes the frame's last COBS piece exactly `size` bytes.

    The length field is 00 00 HI LO: while HI is zero the last piece is LO + payload,
    after that HI LO + payload (LO not zero). Both candidates are checked, not assumed.
    """
    for length_bytes in (1, 2):
        payload = nonzero_bytes(size - length_bytes)
        if len(frame(DATA, payload).split(b"\x00")[-1]) == size:
            return payload
    raise AssertionError(f"no payload gives a last COBS piece of {size} bytes")
