"""Judging adapter replies and live transcripts against what the vectors expect.

Pure functions: each returns None when the observation matches the vector, or one line
saying the first difference. Replies are validated field by field first: an adapter that
leaves out a required field or writes a wrong type raises MalformedReplyError (FW-CNF-21).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from framewire.conformance import wire
from framewire.conformance.adapter_client import AdapterFaultError
from framewire.conformance.vectors import JSON, Case, Registry

HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
SHOWN_HEX_DIGITS = 48
MAX_TYPE, MAX_APP_FLAGS, MAX_CODE = 255, 15, 65535
MAX_LIMIT = (1 << 32) - 1
PING_HEX_DIGITS = 16  # a PING carries 8 bytes (FW-PNG-1)


class MalformedReplyError(AdapterFaultError):
    """A reply that lacks a required field or has one of the wrong type."""

    def __init__(self, detail: str) -> None:
        super().__init__("malformed reply", detail)


def _field(obj: Any, name: str, kind: type, where: str) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedReplyError(f"{where}: field {name!r} missing or not {kind.__name__}")
    return value


def hex_field(obj: Mapping[str, Any], name: str, where: str) -> str:
    """A reply's field that must hold lowercase hex (FW-CNF-9)."""
    value: str = _field(obj, name, str, where)
    if not HEX.match(value):
        raise MalformedReplyError(f"{where}: {name!r} is not lowercase hex")
    return value


def _int(obj: Mapping[str, Any], name: str, top: int, where: str) -> int:
    value: int = _field(obj, name, int, where)
    if not 0 <= value <= top:
        raise MalformedReplyError(f"{where}: {name!r} = {value} out of range 0..{top}")
    return value


def _message(obj: Mapping[str, Any], where: str) -> dict[str, JSON]:
    return {
        "type": _int(obj, "type", MAX_TYPE, where),
        "flags": _int(obj, "flags", MAX_APP_FLAGS, where),
        "payload": hex_field(obj, "payload", where),
    }


def error_name(obj: Any, registry: Registry, where: str) -> str:
    """The registry name of a reported ``{"code", "name"}`` error, checked (FW-ERR-7).

    A code outside the registry, or a name that is not the code's name, is a wrong answer
    from the implementation, not a malformed reply: it comes back as ``"?code/name"`` so
    that the comparison with the expected name fails and shows both.
    """
    code = _int(obj, "code", MAX_CODE, where)
    name = obj.get("name")
    entry = registry.by_code(code)
    if entry is None or (name is not None and name != entry.name):
        return f"?{code}/{name}"
    return entry.name


def normalize_events(events: Any, registry: Registry) -> list[dict[str, JSON]]:
    """The reply's events in the vectors' own form, so that they compare with ==."""
    if not isinstance(events, list):
        raise MalformedReplyError("'events' missing or not a list")
    normalized: list[dict[str, JSON]] = []
    for index, event in enumerate(events):
        where = f"event {index}"
        if not isinstance(event, dict) or len(event) != 1:
            raise MalformedReplyError(f"{where}: not an object with one key")
        ((key, body),) = event.items()
        if key == "message":
            normalized.append({"message": _message(body, where)})
        elif key == "piece":
            piece = _message(body, where)
            piece["first"] = _field(body, "first", bool, where)
            piece["last"] = _field(body, "last", bool, where)
            normalized.append({"piece": piece})
        elif key == "error":
            normalized.append({"error": error_name(body, registry, where)})
        elif key == "hello":  # a session's control events (FW-CNF-35)
            limits = {name: _int(body, name, MAX_LIMIT, where) for name in LIMIT_NAMES}
            normalized.append({"hello": limits})
        elif key == "ping":
            normalized.append({"ping": _ping_data(body, where)})
        else:
            raise MalformedReplyError(f"{where}: unknown event {key!r}")
    return normalized


LIMIT_NAMES = ("max_frame_size", "max_message_size")


def _ping_data(value: Any, where: str) -> str:
    if not isinstance(value, str) or not HEX.match(value) or len(value) != PING_HEX_DIGITS:
        raise MalformedReplyError(f"{where}: a ping event is not 8 bytes of hex")
    return value


def short(value: Any) -> str:
    """A compact rendering for a difference line: long hex strings are cut."""
    text = str(value)
    return re.sub(
        f"[0-9a-f]{{{SHOWN_HEX_DIGITS + 1},}}",
        lambda m: f"{m.group()[:SHOWN_HEX_DIGITS]}...({len(m.group()) // 2} bytes)",
        text,
    )


def compare_events(expected: Sequence[JSON], got: Sequence[JSON]) -> str | None:
    """The first difference between two event lists, or None."""
    for index, (want, have) in enumerate(zip(expected, got, strict=False)):
        if want != have:
            return f"event {index}: expected {short(want)}, got {short(have)}"
    if len(expected) != len(got):
        extra = got[len(expected) :] or expected[len(got) :]
        which = "unexpected" if len(got) > len(expected) else "missing"
        return f"{which} events from index {min(len(got), len(expected))}: {short(extra)}"
    return None


def reply_end(reply: Mapping[str, Any], registry: Registry) -> JSON:
    """The end of a result or error reply, in the vectors' form."""
    if reply["status"] == "error":
        return {"error": error_name(reply.get("error"), registry, "error")}
    end = reply.get("end")
    if end in ("clean", "open"):
        return end
    if isinstance(end, dict) and "peer_error" in end:
        body = end["peer_error"]
        return {
            "peer_error": {
                "code": _int(body, "code", MAX_CODE, "peer_error"),
                "reason": _field(body, "reason", str, "peer_error"),
            }
        }
    raise MalformedReplyError(f"'end' is {end!r}")


def check_decode(case: Case, reply: Mapping[str, Any], registry: Registry) -> str | None:
    """Judge a decode reply (FW-CNF-13, FW-CNF-14)."""
    expect = case.raw["expect"]
    events = normalize_events(reply.get("events"), registry)
    end = reply_end(reply, registry)
    return compare_events(expect["events"], events) or _compare_end(expect["end"], end)


def check_encode(case: Case, reply: Mapping[str, Any]) -> str | None:
    """Judge an encode reply byte for byte (FW-CNF-15)."""
    if reply["status"] == "error":
        return f"the encoder refused a valid message: {short(reply.get('error'))}"
    output = hex_field(reply, "output", "encode reply")
    want = case.raw["expect"]["output"]
    if output == want:
        return None
    first = next(
        (
            i // 2
            for i in range(0, min(len(want), len(output)), 2)
            if want[i : i + 2] != output[i : i + 2]
        ),
        min(len(want), len(output)) // 2,
    )
    return (
        f"output differs from byte {first}: expected {short(want[first * 2 :])}, "
        f"got {short(output[first * 2 :])} ({len(output) // 2} bytes, expected {len(want) // 2})"
    )


def check_session(
    case: Case,
    reply: Mapping[str, Any],
    registry: Registry,
    *,
    check_sending: bool = True,
    unreported: frozenset[str] = frozenset(),
) -> str | None:
    """Judge a session reply: delivered messages, the bytes sent, the end (FW-CNF-17/18),
    and, with CHECK_SENDING (version 2), whether the sending side is done (FW-CNF-37).
    Expected control events of a kind in UNREPORTED are not expected (FW-CNF-35)."""
    expect = case.raw["expect"]
    expected_events = [e for e in expect["events"] if unreported.isdisjoint(e)]
    events = normalize_events(reply.get("events"), registry)
    sent = bytes.fromhex(hex_field(reply, "sent", "session reply"))
    end = reply_end(reply, registry)
    messages = [item["message"] for item in expect["sent"] if "message" in item]
    return (
        compare_events(expected_events, events)
        or check_output(
            sent,
            case.framing,
            expect["hello"],
            messages=messages,
            sent=expect["sent"],
            registry=registry,
        )
        or _compare_hello_frame(expect.get("hello_frame"), sent, case.framing)
        or _compare_end(expect["end"], end)
        or (compare_sending(reply, end) if check_sending else None)
    )


def compare_sending(reply: Mapping[str, Any], end: JSON) -> str | None:
    """FW-CNF-37: the sending side is done exactly when the session failed."""
    sending = _field(reply, "sending", str, "session reply")
    if sending not in ("open", "done"):
        raise MalformedReplyError(f"session reply: 'sending' is {sending!r}")
    failed = isinstance(end, dict)
    want = "done" if failed else "open"
    if sending == want:
        return None
    return f"sending: expected {want!r} after end {short(end)}, got {sending!r} (FW-CNF-37)"


def _compare_hello_frame(expected: str | None, sent: bytes, framing: str) -> str | None:
    """FW-HEL-8 (SHOULD cases only): the HELLO right after the preface, byte for byte;
    in delimited framing after any lone 0x00, which FW-DLM-1 allows there."""
    if expected is None:
        return None
    start = wire.PREFACE_SIZE
    while framing == wire.DELIMITED and sent[start : start + 1] == b"\x00":
        start += 1
    got = sent[start : start + len(expected) // 2].hex()
    return None if got == expected else f"HELLO frame: expected {expected}, got {short(got)}"


def _compare_end(expected: JSON, got: JSON) -> str | None:
    return None if expected == got else f"end: expected {short(expected)}, got {short(got)}"


def check_output(
    data: bytes,
    framing: str,
    hello_limits: Mapping[str, int],
    *,
    messages: Sequence[Mapping[str, JSON]],
    sent: Sequence[Mapping[str, str]],
    registry: Registry,
    echo_prefix: bool = False,
) -> str | None:
    """Judge everything a peer sent (FW-CNF-18, FW-CNF-29).

    It must be: the preface of FRAMING; a HELLO announcing HELLO_LIMITS; then the data
    MESSAGES in order, the PONGs of SENT in order, and the ERROR of SENT (if any) as the
    very last frame. Echoes and PONGs may interleave (a PONG is sent as soon as possible).
    With ECHO_PREFIX (a live session that ends in an error), the echoes may stop early:
    an echo races with the failure that ends the connection, but it is never wrong.
    """
    transcript = wire.read_transcript(data, framing)
    items = transcript.items
    problem = _check_structure(transcript) or _check_hello(items, hello_limits)
    if problem:
        return problem
    rest = items[1:]
    got_messages = [
        {"type": i[1], "flags": i[2], "payload": _bytes(i[3]).hex()}
        for i in rest
        if i[0] == "message"
    ]
    want_messages = [dict(m) for m in messages]
    if echo_prefix:
        want_messages = want_messages[: len(got_messages)]
    problem = compare_events(want_messages, got_messages)
    if problem:
        return f"echoes: {problem}"
    got_pongs = [_bytes(i[1]).hex() for i in rest if i[0] == "pong"]
    want_pongs = [item["pong"] for item in sent if "pong" in item]
    if got_pongs != want_pongs:
        return f"PONGs: expected {want_pongs}, got {got_pongs}"
    want_errors = [registry.by_name(item["error"]).code for item in sent if "error" in item]
    return _check_error_frame(rest, want_errors)


def normal_output(data: bytes, framing: str) -> list[JSON]:
    """What `check_output` judges of a peer's output, as a list that compares with ==.

    Two outputs with the same normal form pass and fail the same expectations: the
    frames in order, the HELLO by the two settings FW-CNF-18 checks (defaults filled in),
    an ERROR by its code and whether its reason is valid (FW-ERR-2), not by its text.
    """
    transcript = wire.read_transcript(data, framing)
    problem = _check_structure(transcript)
    items: list[JSON] = []
    for item in transcript.items:
        if item[0] == "hello":
            settings = item[1]
            assert isinstance(settings, dict)
            items.append(
                ["hello", settings[wire.SETTING_MAX_FRAME], settings[wire.SETTING_MAX_MESSAGE]]
            )
        elif item[0] == "error":
            items.append(["error", item[1], _valid_reason(_bytes(item[2]))])
        else:
            items.append([_shown(value) for value in item])
    return [*items, ["problem", problem]] if problem else items


def _shown(value: object) -> JSON:
    return value.hex() if isinstance(value, bytes) else value


def _bytes(value: object) -> bytes:
    assert isinstance(value, bytes)
    return value


def _check_structure(transcript: wire.Transcript) -> str | None:
    if len(transcript.preface) < wire.PREFACE_SIZE:
        return f"output ends inside the preface: {transcript.preface.hex()!r}"
    if transcript.problems:
        return f"malformed output: {short(transcript.problems[0])}"
    if transcript.tail:
        return f"output ends inside a frame: {short(transcript.tail.hex())}"
    return None


def _check_hello(items: Sequence[tuple[object, ...]], limits: Mapping[str, int]) -> str | None:
    if not items or items[0][0] != "hello":
        return f"first frame is not a HELLO: {short(items[:1])}"
    announced = items[0][1]
    wanted = {
        wire.SETTING_MAX_FRAME: limits["max_frame_size"],
        wire.SETTING_MAX_MESSAGE: limits["max_message_size"],
    }
    if not isinstance(announced, dict) or any(
        announced.get(ident) != value for ident, value in wanted.items()
    ):
        return f"HELLO announces {announced}, expected {wanted}"
    return None


def _check_error_frame(rest: Sequence[tuple[object, ...]], want_codes: list[int]) -> str | None:
    """No frame but echoes and PONGs, except the one expected ERROR, sent last."""
    others = [i for i in rest if i[0] not in ("message", "pong")]
    if not others:
        return f"no ERROR frame sent, expected code {want_codes[0]}" if want_codes else None
    if others[0][0] != "error":
        return f"unexpected frame sent: {short(others[0])}"
    _, code, reason = others[0]
    if not _valid_reason(_bytes(reason)):
        return f"ERROR reason is not UTF-8 of at most 254 bytes (FW-ERR-2): {reason!r}"
    if want_codes != [code] or len(others) != 1:
        return f"sent ERROR {code} {short(others[1:])}, expected ERROR codes {want_codes}"
    if rest[-1] is not others[0]:
        return "frames were sent after the ERROR frame (FW-ERR-3, FW-SES-3)"
    return None


def _valid_reason(reason: bytes) -> bool:
    try:
        reason.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(reason) <= wire.MAX_REASON_BYTES
