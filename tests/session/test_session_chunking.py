"""What a session sends, and how it ends, does not depend on how its input is cut (FW-CNF-12,
FW-PNG-6): any transcript, fed whole, byte by byte or in random pieces, through every
receive path of the reference adapter, gives the same reply.

The transcripts mix what changes a session's output: data messages, PINGs, PONGs, the
peer's ERROR (valid or malformed), a faulty frame, lone delimiters, and an input cut short.
"""

from __future__ import annotations

from helpers.strategies import chunkings
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire.conformance import wire
from framewire.conformance.adapter import SESSION_PATHS, ReferenceAdapter

PIECES: dict[str, bytes] = {
    "data": wire.frame(wire.DATA, b"echo"),
    "first": wire.frame(wire.DATA, b"par", more=True),
    "last": wire.frame(wire.DATA, b"ts", cont=True),
    "ping": wire.frame(wire.PING, b"aaaaaaaa"),
    "ping-crc": wire.frame(wire.PING, b"bbbbbbbb", checksum=True),
    "pong": wire.frame(wire.PONG, b"cccccccc"),
    "error": wire.frame(wire.ERROR, wire.error_payload(97, b"")),
    "error-empty": wire.frame(wire.ERROR, b""),
    "error-not-utf8": wire.frame(wire.ERROR, wire.error_payload(100, b"\xff")),
    "bad-magic": wire.frame(wire.DATA, b"x", magic=b"FV"),
    "short-ping": wire.frame(wire.PING, b"abc"),
    "hello-again": wire.frame(wire.HELLO),
}
LIMITS = {"max_frame_size": 256, "max_message_size": 1024}


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    """(framing, what the other peer sends, whether it half-closes after it)."""
    framing = draw(st.sampled_from(wire.FRAMINGS))
    names = draw(st.lists(st.sampled_from(sorted(PIECES)), max_size=6))
    data = wire.preface(framing) + wire.on_wire(framing, wire.frame(wire.HELLO))
    for name in names:
        if framing == wire.DELIMITED and draw(st.booleans()):
            data += b"\x00"  # a lone delimiter (FW-DLM-10)
        data += wire.on_wire(framing, PIECES[name])
    cut = draw(st.integers(0, 3))  # end of input inside the last frame, sometimes
    return framing, data[: len(data) - cut] if cut < len(data) else data, draw(st.booleans())


def reply(framing: str, chunks: list[bytes], eof: bool, path: str) -> dict[str, object]:
    adapter = ReferenceAdapter()
    request = {
        "op": "session",
        "framing": framing,
        "limits": LIMITS,
        "chunks": [chunk.hex() for chunk in chunks],
        "eof": eof,
        "receive": path,
    }
    return adapter.session(request)


@settings(max_examples=300, deadline=None)
@given(transcript=transcripts(), data=st.data())
def test_session_output_does_not_depend_on_chunking(
    receive_loop: str, transcript: tuple[str, bytes, bool], data: st.DataObject
) -> None:
    """On each receive loop: the pure-Python one through every receive path, the compiled
    one through those that reach it (the batched ones)."""
    framing, sent_by_peer, eof = transcript
    expected = reply(framing, [sent_by_peer], eof, SESSION_PATHS[0])
    assert expected["status"] != "crashed", expected
    chunks = data.draw(chunkings(sent_by_peer))
    for path in SESSION_PATHS:
        if receive_loop == "compiled" and not path.endswith("+next_events"):
            continue
        got = reply(framing, chunks, eof, path)
        assert got == expected, (path, [chunk.hex() for chunk in chunks])


def test_ping_then_error_in_one_read_still_sends_the_pong() -> None:
    """The fuzzer's minimised case: PING then the peer's ERROR in one chunk, and byte by
    byte: the PONG is sent both ways (FW-PNG-6)."""
    framing = wire.LENGTH_PREFIXED
    data = wire.preface(framing) + wire.on_wire(
        framing, wire.frame(wire.HELLO), PIECES["ping"], PIECES["error"]
    )
    whole = reply(framing, [data], True, SESSION_PATHS[0])
    one_by_one = reply(framing, [data[i : i + 1] for i in range(len(data))], True, SESSION_PATHS[0])
    assert whole == one_by_one
    assert str(whole["sent"]).endswith(wire.on_wire(framing, wire.frame(wire.PONG, b"a" * 8)).hex())
