"""Write the conformance vectors as C tables (firmware/vector_table.h) for the C runner.

Why: the same cases must run on the host and on an emulated microcontroller that has no
file system and no JSON parser, so the JSON files become constant data compiled into the
image. Session cases that need a clock (``live-only``, with deadlines) are left out: the
firmware has no time source the runner could drive. So are the cases that only an adapter
of protocol version 2 plays (FW-CNF-38: reading late, the peer's HELLO and PINGs as events,
messages the application sends): the runner plays each case as a version 1 adapter does.

Usage: python3 c/tools/gen_vectors.py VECTORS_DIR OUTPUT.c
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Case = dict[str, Any]

_FRAMING = {"length-prefixed": "VT_LENGTH_PREFIXED", "delimited": "VT_DELIMITED"}
VERSION_2_FIELDS = ("read", "control", "send")
"""The case fields of adapter protocol version 2 (FW-CNF-38); the runner plays version 1."""


class Writer:
    """Collects the byte arrays a table points at, each under a fresh name."""

    def __init__(self, codes: dict[str, int]) -> None:
        self.codes = codes
        self.arrays: list[str] = []

    def _name(self, prefix: str) -> str:
        return f"{prefix}{len(self.arrays)}"

    def bytes_(self, hex_text: str) -> str:
        data = bytes.fromhex(hex_text)
        if not data:
            return "{0, 0}"
        name = self._name("b")
        body = ",".join(str(byte) for byte in data)
        self.arrays.append(f"static const uint8_t {name}[{len(data)}] = {{{body}}};")
        return f"{{{name}, {len(data)}u}}"

    def array(self, ctype: str, items: list[str]) -> str:
        if not items:
            return "0"
        name = self._name("a")
        self.arrays.append(f"static const {ctype} {name}[{len(items)}] = {{{', '.join(items)}}};")
        return name

    def event(self, event: dict[str, Any]) -> str:
        if "error" in event:
            return f"{{VT_ERROR, 0, 0, 0, 0, {self.codes[event['error']]}u, {{0, 0}}}}"
        kind, body = (
            ("VT_MESSAGE", event["message"]) if "message" in event else ("VT_PIECE", event["piece"])
        )
        first, last = int(body.get("first", False)), int(body.get("last", False))
        payload = self.bytes_(body["payload"])
        return f"{{{kind}, {body['type']}u, {body['flags']}u, {first}u, {last}u, 0u, {payload}}}"

    def end(self, end: str | dict[str, Any]) -> str:
        if end == "clean":
            return "{VT_END_CLEAN, 0u, {0, 0}}"
        if end == "open":
            return "{VT_END_OPEN, 0u, {0, 0}}"
        assert isinstance(end, dict)
        if "error" in end:
            return f"{{VT_END_ERROR, {self.codes[end['error']]}u, {{0, 0}}}}"
        peer = end["peer_error"]
        reason = self.bytes_(peer["reason"].encode().hex())
        return f"{{VT_END_PEER_ERROR, {peer['code']}u, {reason}}}"

    def events(self, events: list[dict[str, Any]]) -> tuple[str, int]:
        return self.array("struct vt_event", [self.event(e) for e in events]), len(events)


def _must(case: Case) -> int:
    return int(case["level"] == "MUST")


def decode_row(out: Writer, case: Case) -> str:
    limits = case["limits"]
    chunks = case.get("chunks") or []
    chunk_array = out.array("uint32_t", [f"{size}u" for size in chunks])
    events, count = out.events(case["expect"]["events"])
    return (
        f'{{"{case["id"]}", {_FRAMING[case["framing"]]}, {int(case.get("hunting", False))}u, '
        f"{int(case.get('assemble', True))}u, {int(case.get('eof', True))}u, {_must(case)}u, "
        f"{limits['max_frame_size']}u, {limits['max_message_size']}u, {out.bytes_(case['input'])}, "
        f"{chunk_array}, {len(chunks)}u, {events}, {count}u, {out.end(case['expect']['end'])}}}"
    )


def encode_row(out: Writer, case: Case) -> str:
    message, options = case["message"], case["options"]
    return (
        f'{{"{case["id"]}", {_FRAMING[case["framing"]]}, {int(options["checksum"])}u, '
        f"{_must(case)}u, {options['max_frame_size']}u, {message['type']}u, {message['flags']}u, "
        f"{out.bytes_(message['payload'])}, {out.bytes_(case['expect']['output'])}}}"
    )


def sent_item(out: Writer, item: dict[str, str]) -> str:
    if "error" in item:
        return f"{{1u, {out.codes[item['error']]}u, {{0}}}}"
    pong = ", ".join(str(byte) for byte in bytes.fromhex(item["pong"]))
    return f"{{0u, 0u, {{{pong}}}}}"


def session_row(out: Writer, case: Case) -> str:
    limits, expect = case["limits"], case["expect"]
    events, count = out.events(expect["events"])
    sent = out.array("struct vt_sent", [sent_item(out, item) for item in expect["sent"]])
    return (
        f'{{"{case["id"]}", {_FRAMING[case["framing"]]}, {int(case.get("eof", True))}u, '
        f"{_must(case)}u, {limits['max_frame_size']}u, {limits['max_message_size']}u, "
        f"{out.bytes_(case['input'])}, {out.bytes_(expect.get('hello_frame', ''))}, "
        f"{events}, {count}u, {sent}, {len(expect['sent'])}u, {out.end(expect['end'])}}}"
    )


def cases(vectors: Path) -> Iterator[Case]:
    for path in sorted(vectors.glob("*.json")):
        document = json.loads(path.read_text())
        if isinstance(document, dict) and document.get("suite") == "framewire-vectors":
            yield from document["cases"]


def generate(vectors: Path) -> str:
    codes = {
        e["name"]: e["code"] for e in json.loads((vectors / "errors.json").read_text())["errors"]
    }
    out = Writer(codes)
    rows: dict[str, list[str]] = {"decode": [], "encode": [], "session": []}
    for case in cases(vectors):
        if case["kind"] == "session" and "live-only" in case["tags"]:
            continue
        if any(field in case for field in VERSION_2_FIELDS):
            continue
        builder = {"decode": decode_row, "encode": encode_row, "session": session_row}[case["kind"]]
        rows[case["kind"]].append(builder(out, case))
    lines = [
        "/* Generated by c/tools/gen_vectors.py from the vectors/ JSON files: do not edit. */",
        '#include "vector_table.h"',
        "",
        *out.arrays,
        "",
    ]
    for kind, ctype in (
        ("decode", "vt_decode_case"),
        ("encode", "vt_encode_case"),
        ("session", "vt_session_case"),
    ):
        lines.append(f"const struct {ctype} vt_{kind}_cases[] = {{")
        lines.extend(f"    {row}," for row in rows[kind])
        lines.append("};")
        lines.append(f"const size_t vt_{kind}_case_count = {len(rows[kind])}u;")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    vectors, output = Path(argv[1]), Path(argv[2])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(generate(vectors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
