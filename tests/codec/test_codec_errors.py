"""Bad input: every error in the right order, at once, whatever the chunking, and nothing
delivered before it lost (spec 3, 4, 5, 7)."""

from __future__ import annotations

import tracemalloc

import pytest
from helpers.codec import decode, framed, raw_frame, summarise
from helpers.strategies import chunkings, data_messages, framings, limits
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import (
    END,
    NEED_DATA,
    Decoder,
    Encoder,
    Framing,
    Limits,
    Message,
    RemoteProtocolError,
    UsageError,
)
from framewire._codec.schema import FLAG_M, FLAG_N, FLAG_R

SMALL = Limits(max_frame_size=256, max_message_size=512)

# One fault each; the name is the error FW-HDR-6 says comes first.
HEADER_FAULTS = [
    ("bad-magic", raw_frame(0x40, b"x", magic=b"FX")),
    ("bad-magic", raw_frame(0x40, b"x", magic=b"fw", version=9, flags=FLAG_R)),
    ("unsupported-version", raw_frame(0x40, b"x", version=2)),
    ("unsupported-version", raw_frame(0x00, b"x", version=0, flags=FLAG_R)),
    ("reserved-flag", raw_frame(0x40, b"x", flags=FLAG_R)),
    ("reserved-flag", raw_frame(0x03, b"12345678", flags=0x10)),
    ("reserved-flag", raw_frame(0x00, b"x", flags=FLAG_R)),
    ("reserved-type", raw_frame(0x00, b"x")),
    ("reserved-type", raw_frame(0x05, b"x")),
    ("reserved-type", raw_frame(0x3F, b"x", flags=FLAG_M)),
    ("fragmented-control", raw_frame(0x03, b"12345678", flags=FLAG_M)),
    ("fragmented-control", raw_frame(0x02, b"\x00\x64", flags=FLAG_N)),
    ("frame-too-large", raw_frame(0x40, b"x" * 257)),
    ("frame-too-large", raw_frame(0x01, b"x" * 257)),
    ("fragmented-control", raw_frame(0x01, b"x" * 257, flags=FLAG_M)),
    ("unexpected-continuation", raw_frame(0x40, b"x", flags=FLAG_N)),
    ("checksum-mismatch", raw_frame(0x40, b"x", checksum=True, crc=0)),
    ("checksum-mismatch", raw_frame(0x40, b"", checksum=True, crc=1)),
]


@pytest.mark.parametrize(("name", "frame"), HEADER_FAULTS)
def test_frame_faults_length_prefixed(name: str, frame: bytes) -> None:
    good = raw_frame(0x40, b"before")
    result = decode(Decoder(Framing.LENGTH_PREFIXED, SMALL), [good + frame + good])
    assert result.events == [("Message", 0x40, b"before", 0)]
    assert result.outcome == name


@pytest.mark.parametrize(("name", "frame"), HEADER_FAULTS)
def test_frame_faults_delimited_recover(name: str, frame: bytes) -> None:
    good = raw_frame(0x40, b"ok")
    wire = framed(Framing.DELIMITED, good, frame, good)
    result = decode(Decoder(Framing.DELIMITED, SMALL), [wire])
    message = ("Message", 0x40, b"ok", 0)
    assert result.events == [message, ("dropped", name, False), message]
    assert result.outcome == "end"


@pytest.mark.parametrize("framing", list(Framing))
@pytest.mark.parametrize("length", [2**32 - 1, 2**30 + 1, 2**30, 2**20 + 1])
def test_huge_length_rejected_at_once_without_allocating(framing: Framing, length: int) -> None:
    """FW-LEN-3/4, FW-LIM-3: decided from the 9 header bytes, nothing sized from length."""
    header = raw_frame(0x40, length=length)
    decoder = Decoder(framing, Limits())
    capacity = decoder.capacity
    tracemalloc.start()
    try:
        if framing is Framing.LENGTH_PREFIXED:
            decoder.feed(header)
            with pytest.raises(RemoteProtocolError) as caught:
                decoder.next_event()
        else:
            result = decode(decoder, [framed(framing, header)])
            assert result.events == [("dropped", "frame-too-large", False)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if framing is Framing.LENGTH_PREFIXED:
        assert caught.value.name == "frame-too-large"
        assert caught.value.statement == ("FW-LEN-3" if length > 2**30 else "FW-LIM-3")
        assert decoder.capacity == 0  # failed: the buffer is given back
    assert capacity <= 64 * 1024
    assert peak < 256 * 1024


def test_allowed_large_frame_is_not_preallocated_whole() -> None:
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(2**30, 0))
    decoder.feed(raw_frame(0x40, length=2**30))
    assert decoder.next_event() is NEED_DATA
    view = decoder.get_buffer(65536)
    assert len(view) <= 8 * 1024 * 1024
    assert decoder.capacity <= 8 * 1024 * 1024


def _eof_expectation(boundaries: list[tuple[int, bool]], cut: int) -> str:
    """Outcome of the input ending at `cut`: boundaries are (end offset, inside message)."""
    for end, inside in boundaries:
        if cut == end:
            return "truncated-message" if inside else "end"
    return "truncated-frame"


@pytest.mark.parametrize("framing", list(Framing))
def test_eof_at_every_offset(framing: Framing) -> None:
    """FW-LPF-4, FW-DLM-5, FW-MSG-11: clean only at a boundary outside a message."""
    frames = [
        raw_frame(0x40, b"one", checksum=True),
        raw_frame(0x41, b"ab\x00c", flags=FLAG_M | 0x20, checksum=True),
        raw_frame(0x41, b"de", flags=FLAG_N | 0x20),
    ]
    inside = [False, True, False]
    wire = b""
    boundaries = [(0, False)]
    for frame, in_message in zip(frames, inside, strict=True):
        wire += framed(framing, frame)
        boundaries.append((len(wire), in_message))
    complete = [("Message", 0x40, b"one", 0), ("Message", 0x41, b"ab\x00cde", 2)]
    for cut in range(len(wire) + 1):
        result = decode(Decoder(framing), [wire[:cut]])
        assert result.outcome == _eof_expectation(boundaries, cut), cut
        delivered = 0 if cut < boundaries[1][0] else 1 if cut < boundaries[3][0] else 2
        assert result.events == complete[:delivered], cut


# The message rules of 5.3 and their recovery in delimited framing (FW-MSG-12..14).
START = raw_frame(0x40, b"aa", flags=FLAG_M)
MIDDLE = raw_frame(0x40, b"bb", flags=FLAG_M | FLAG_N)
LAST = raw_frame(0x40, b"cc", flags=FLAG_N)
SINGLE = raw_frame(0x42, b"single")
MESSAGE_CASES = [
    # (frames, fatal error in length-prefixed, events in the delimited codec)
    ([START, MIDDLE, LAST], None, [("Message", 0x40, b"aabbcc", 0)]),
    (
        [LAST, SINGLE],
        "unexpected-continuation",
        [("dropped", "unexpected-continuation", False), ("Message", 0x42, b"single", 0)],
    ),
    (
        [START, SINGLE, LAST],
        "message-interrupted",
        [
            ("dropped", "message-interrupted", True),
            ("Message", 0x42, b"single", 0),
            ("dropped", "unexpected-continuation", False),
        ],
    ),
    (
        [START, raw_frame(0x41, b"x", flags=FLAG_N), LAST],
        "continuation-mismatch",
        [("dropped", "continuation-mismatch", True), ("dropped", "unexpected-continuation", False)],
    ),
    (
        [START, raw_frame(0x40, b"x", flags=FLAG_N | 0x10), SINGLE],
        "continuation-mismatch",
        [("dropped", "continuation-mismatch", True), ("Message", 0x42, b"single", 0)],
    ),
    (
        [
            START,
            raw_frame(0x40, b"x" * 250, flags=FLAG_M | FLAG_N),
            raw_frame(0x40, b"y" * 250, flags=FLAG_M | FLAG_N),
            raw_frame(0x40, b"z" * 100, flags=FLAG_N),
            SINGLE,
        ],
        "message-too-large",
        [("dropped", "message-too-large", True), ("Message", 0x42, b"single", 0)],
    ),
    (
        [START, raw_frame(0x40, b"bb", flags=FLAG_N, checksum=True, crc=7), LAST, SINGLE],
        "checksum-mismatch",
        [
            ("dropped", "checksum-mismatch", True),
            ("dropped", "unexpected-continuation", False),
            ("Message", 0x42, b"single", 0),
        ],
    ),
    # FW-HDR-7 vs FW-HDR-8: the message rules come from the header in length-prefixed
    # framing, but after the integrity checks in delimited framing.
    (
        [START, raw_frame(0x42, b"single", checksum=True, crc=1), LAST],
        "message-interrupted",
        [("dropped", "checksum-mismatch", True), ("dropped", "unexpected-continuation", False)],
    ),
    (
        [START, raw_frame(0x40, b"b", flags=FLAG_N | FLAG_R), LAST],
        "reserved-flag",
        [("dropped", "reserved-flag", True), ("dropped", "unexpected-continuation", False)],
    ),
    (  # a damaged control frame drops the message in progress too (FW-DLM-6)
        [START, raw_frame(0x03, b"12345678", checksum=True, crc=0), LAST],
        "checksum-mismatch",
        [("dropped", "checksum-mismatch", True), ("dropped", "unexpected-continuation", False)],
    ),
    (  # an intact control frame inside a message is delivered at once (FW-MSG-6)
        [START, raw_frame(0x03, b"12345678"), LAST],
        None,
        [("Message", 0x03, b"12345678", 0), ("Message", 0x40, b"aacc", 0)],
    ),
]


@pytest.mark.parametrize(("frames", "fatal", "recovered"), MESSAGE_CASES)
def test_message_rules(
    frames: list[bytes], fatal: str | None, recovered: list[tuple[object, ...]]
) -> None:
    lp = decode(Decoder(Framing.LENGTH_PREFIXED, SMALL), [framed(Framing.LENGTH_PREFIXED, *frames)])
    assert lp.outcome == (fatal or "end")
    assert lp.events == [event for event in recovered if event[0] == "Message"][: len(lp.events)]
    dl = decode(Decoder(Framing.DELIMITED, SMALL), [framed(Framing.DELIMITED, *frames)])
    assert dl.events == recovered
    assert dl.outcome == "end"


def test_interrupting_frame_too_large_gives_one_error() -> None:
    """Spec 3.7: one frame gives at most one error. After message-interrupted the new
    start frame is itself above the maximum message size: it is dropped silently."""
    limits = Limits(max_frame_size=1024, max_message_size=256)
    frames = [START, raw_frame(0x42, b"x" * 300), SINGLE]
    result = decode(Decoder(Framing.DELIMITED, limits), [framed(Framing.DELIMITED, *frames)])
    assert result.events == [
        ("dropped", "message-interrupted", True),
        ("Message", 0x42, b"single", 0),
    ]


def test_message_rules_fatal_in_delimited_without_recovery() -> None:
    decoder = Decoder(Framing.DELIMITED, SMALL, recover=False)
    result = decode(decoder, [framed(Framing.DELIMITED, SINGLE, LAST, SINGLE)])
    assert result.events == [("Message", 0x42, b"single", 0)]
    assert result.outcome == "unexpected-continuation"


def test_truncated_message_at_boundary() -> None:
    result = decode(Decoder(), [START + MIDDLE])
    assert (result.events, result.outcome) == ([], "truncated-message")


def test_failure_is_permanent_and_the_same() -> None:
    decoder = Decoder()
    decoder.feed(SINGLE + raw_frame(0x40, magic=b"XX") + SINGLE)
    assert decoder.next_event() == Message(0x42, b"single", 0)
    with pytest.raises(RemoteProtocolError) as first:
        decoder.next_event()
    for call in (
        decoder.next_event,
        decoder.feed_eof,
        lambda: decoder.feed(b"x"),
        lambda: decoder.get_buffer(10),
        decoder.next_events,
    ):
        with pytest.raises(RemoteProtocolError) as again:
            call()
        assert again.value is first.value


def test_misuse_is_a_local_error() -> None:
    decoder = Decoder()
    decoder.feed_eof()
    with pytest.raises(UsageError, match="already ended"):
        decoder.feed(b"x")
    with pytest.raises(UsageError, match="FW-DLM-8"):
        Decoder(Framing.LENGTH_PREFIXED, hunting=True)
    fresh = Decoder()
    with pytest.raises(UsageError, match="beyond the buffer"):
        fresh.buffer_updated(len(fresh.get_buffer(16)) + 1)
    with pytest.raises(UsageError, match=r"max_frame_size 255 .*FW-LIM-2"):
        Limits(max_frame_size=255)
    with pytest.raises(UsageError, match=r"max_message_size 100 .*FW-LIM-2"):
        Limits(max_message_size=100)
    assert Limits(max_message_size=0).max_message_size == 0


@settings(max_examples=200)
@given(
    st.data(),
    framings,
    limits(),
    st.lists(
        st.one_of(
            st.binary(max_size=40),
            data_messages().map(lambda m: Encoder(checksum=True, max_frame_size=256).encode(m)),
        ),
        max_size=5,
    ),
)
def test_garbage_gives_only_protocol_errors_and_the_same_result_however_split(
    data: st.DataObject, framing: Framing, receiver: Limits, pieces: list[bytes]
) -> None:
    """FW-ERR-8: arbitrary input gives events, a RemoteProtocolError or a clean end; never
    another exception, never a hang; and the result does not depend on the chunking."""
    wire = b"".join(pieces)
    whole = decode(Decoder(framing, receiver), [wire])
    chunks = data.draw(chunkings(wire))
    assert decode(Decoder(framing, receiver), chunks) == whole
    assert decode(Decoder(framing, receiver), chunks, drain_each=False) == whole


@settings(max_examples=100)
@given(framings, limits(), st.lists(st.binary(min_size=1, max_size=300), max_size=12))
def test_buffering_stays_within_one_frame(
    framing: Framing, receiver: Limits, chunks: list[bytes]
) -> None:
    """FW-LIM-4 / FW-DLM-4: after draining, at most one (encoded) frame is held."""
    decoder = Decoder(framing, receiver)
    bound = (
        receiver.encoded_frame_bound
        if framing is Framing.DELIMITED
        else 13 + receiver.max_frame_size
    )
    for chunk in chunks:
        decoder.feed(chunk)
        try:
            list(decoder.events())
        except RemoteProtocolError:
            break  # invalid input: the decoder failed for good and takes no more (FW-ERR-8)
        assert decoder.buffered <= bound


@given(framings, st.lists(data_messages(), min_size=1, max_size=5), st.integers(0, 4))
def test_events_delivered_before_a_fatal_error(
    framing: Framing, messages: list[Message], bad_index: int
) -> None:
    encoder = Encoder(framing, max_frame_size=256)
    bad = framed(framing, raw_frame(0x40, b"!", version=7))
    encoded = [encoder.encode(message) for message in messages]
    bad_index = min(bad_index, len(encoded))
    wire = b"".join(encoded[:bad_index]) + bad + b"".join(encoded[bad_index:])
    decoder = Decoder(framing, Limits(256, 0), recover=False)
    result = decode(decoder, [wire])
    assert result.events == [summarise(m) for m in messages[:bad_index]]
    assert result.outcome == "unsupported-version"


def test_next_events_matches_next_event() -> None:
    encoder = Encoder(max_frame_size=256)
    wire = b"".join(
        [
            encoder.encode(Message(0x40 + i % 3, bytes([i]) * (i * 7 % 300), i % 16))
            for i in range(50)
        ]
        + [encoder.ping(b"12345678"), Encoder(checksum=True).encode(Message(0x50, b"c"))]
    )
    one = Decoder(Framing.LENGTH_PREFIXED, Limits(256, 0))
    batched = Decoder(Framing.LENGTH_PREFIXED, Limits(256, 0))
    expected = decode(one, [wire, raw_frame(0x40, magic=b"??")])
    got: list[object] = []
    for chunk in (wire[:1000], wire[1000:]):
        batched.feed(chunk)
        while batch := batched.next_events():
            got.extend(summarise(event) for event in batch)
    batched.feed(raw_frame(0x40, magic=b"??"))
    assert got == expected.events
    with pytest.raises(RemoteProtocolError) as caught:
        batched.next_events()
    assert caught.value.name == expected.outcome == "bad-magic"
    # An error after some events waits for the next call.
    late = Decoder()
    late.feed(encoder.encode(Message(0x40, b"a")) * 3 + raw_frame(0x40, magic=b"??"))
    assert late.next_events() == [Message(0x40, b"a")] * 3
    with pytest.raises(RemoteProtocolError) as late_error:
        late.next_events()
    assert late_error.value.name == "bad-magic"
    assert Decoder().next_events() == []
    ended = Decoder()
    ended.feed_eof()
    assert ended.next_events() == []
    assert ended.next_event() is END


def test_buffer_follows_received_bytes_and_shrinks_after_a_huge_frame() -> None:
    """A large frame is received in place (FW-LIM-3 passed), then the memory goes back."""
    size = 9 * 1024 * 1024
    frame = Encoder(max_frame_size=16 * 1024 * 1024).encode(Message(0x40, b"\x01" * size))
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(16 * 1024 * 1024, 0))
    fed = 0
    while fed < len(frame):
        view = decoder.get_buffer(65536)
        assert len(view) <= decoder.capacity <= 2 * (fed + 4 * 1024 * 1024 + 65536)
        count = min(len(view), len(frame) - fed)
        view[:count] = frame[fed : fed + count]
        decoder.buffer_updated(count)
        fed += count
        event = decoder.next_event()
    assert event == Message(0x40, b"\x01" * size)
    decoder.get_buffer(100)
    assert decoder.capacity <= 64 * 1024
