"""Delimited framing: COBS (against the wire oracle's, written from spec 4.2.1),
resynchronisation, hunting, the encoded-size bound (spec 4.2)."""

from __future__ import annotations

import pytest
from helpers.codec import decode, framed, raw_frame
from helpers.strategies import chunkings
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import Decoder, Encoder, Framing, Limits, Message
from framewire._codec.checksum import CHECK_VALUE, crc32c
from framewire._codec.cobs_codec import (
    CobsDecodeError,
    cobs_decode,
    cobs_encode,
    encoded_size_bound,
)
from framewire.conformance import wire

DELIMITED = Framing.DELIMITED


def test_crc32c_check_values() -> None:
    assert crc32c(b"123456789") == CHECK_VALUE == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == CHECK_VALUE


@pytest.mark.parametrize("size", [0, 1, 253, 254, 255, 256, 507, 508, 509, 762])
@pytest.mark.parametrize("fill", [b"\x01", b"\x00", b"\xff"])
def test_cobs_boundaries_are_canonical(size: int, fill: bytes) -> None:
    data = fill * size
    encoded = cobs_encode(data)
    assert encoded == wire.cobs_encode(data)
    assert b"\x00" not in encoded
    assert len(encoded) <= encoded_size_bound(size)
    assert cobs_decode(encoded) == data


def test_cobs_254_block_has_no_trailing_empty_block() -> None:
    """FW-COB-1 exactly at the 254-byte block, and FW-COB-3's non-canonical form accepted."""
    data = b"a" * 254
    assert cobs_encode(data) == b"\xff" + data
    assert cobs_decode(b"\xff" + data + b"\x01") == data
    assert cobs_encode(data + b"\x00") == b"\xff" + data + b"\x01\x01"


@given(st.binary(max_size=1200))
def test_cobs_matches_reference(data: bytes) -> None:
    assert cobs_encode(data) == wire.cobs_encode(data)
    assert cobs_decode(cobs_encode(data)) == data


@given(st.binary(min_size=1, max_size=600).map(lambda b: b.replace(b"\x00", b"\x07")))
def test_cobs_decoder_rejects_every_overrun(encoded: bytes) -> None:
    expected = wire.cobs_decode(encoded)
    if expected is None:
        with pytest.raises(CobsDecodeError):
            cobs_decode(encoded)
    else:
        assert cobs_decode(encoded) == expected


def test_empty_frames_are_ignored_and_lone_delimiters_allowed() -> None:
    frame = framed(DELIMITED, raw_frame(0x40, b"hi"))
    result = decode(Decoder(DELIMITED), [b"\x00\x00" + frame + b"\x00" + frame])
    assert result.events == [("Message", 0x40, b"hi", 0)] * 2
    assert result.outcome == "end"


def test_length_mismatch_and_cobs_invalid() -> None:
    short = cobs_encode(wire.frame(wire.DATA)[:4]) + b"\x00"
    longer = cobs_encode(raw_frame(0x40, b"abc") + b"!") + b"\x00"
    shorter = cobs_encode(raw_frame(0x40, b"abc")[:-1]) + b"\x00"
    bad_magic_short = cobs_encode(b"XX") + b"\x00"  # shorter than a header: checked first
    overrun = b"\x05ab\x00"
    ok = framed(DELIMITED, raw_frame(0x40, b"ok"))
    result = decode(Decoder(DELIMITED), [short + longer + shorter + bad_magic_short + overrun + ok])
    assert result.events == [
        ("dropped", "length-mismatch", False),
        ("dropped", "length-mismatch", False),
        ("dropped", "length-mismatch", False),
        ("dropped", "length-mismatch", False),
        ("dropped", "cobs-invalid", False),
        ("Message", 0x40, b"ok", 0),
    ]


def test_checksum_checked_after_length() -> None:
    frame = raw_frame(0x40, b"abc", checksum=True, crc=0)
    result = decode(Decoder(DELIMITED), [framed(DELIMITED, frame[:-1])])
    assert result.events == [("dropped", "length-mismatch", False)]


@settings(max_examples=50)
@given(st.data(), st.binary(max_size=300))
def test_resynchronises_after_garbage(data: st.DataObject, garbage: bytes) -> None:
    """FW-DLM-6/7: garbage costs at most the frame it lands in; later frames decode."""
    encoder = Encoder(DELIMITED, checksum=True)
    good = encoder.encode(Message(0x40, b"\x00payload\x00", 3))
    wire = good + garbage + b"\x00" + good
    result = decode(Decoder(DELIMITED), data.draw(chunkings(wire)))
    messages = [event for event in result.events if event[0] == "Message"]
    assert messages[0] == messages[-1] == ("Message", 0x40, b"\x00payload\x00", 3)
    assert result.outcome == "end"


def test_hunting_discards_up_to_the_first_delimiter() -> None:
    good = Encoder(DELIMITED).encode(Message(0x40, b"x"))
    tail_of_a_frame = good[3:]
    hunted = decode(Decoder(DELIMITED, hunting=True), [tail_of_a_frame + good])
    assert hunted.events == [("Message", 0x40, b"x", 0)]
    not_hunting = decode(Decoder(DELIMITED), [tail_of_a_frame + good])
    assert not_hunting.events[0][0] == "dropped"
    assert decode(Decoder(DELIMITED, hunting=True), [b"\x01\x02"]).outcome == "end"


def test_encoded_bound_rejects_at_once_and_skips() -> None:
    """FW-DLM-4: more than E encoded bytes without a delimiter: frame-too-large at once,
    the rest up to the next 0x00 is skipped without being buffered."""
    limits = Limits(max_frame_size=256)
    bound = limits.encoded_frame_bound
    assert bound == encoded_size_bound(13 + 256) == 13 + 256 + 1 + (13 + 256) // 254
    decoder = Decoder(DELIMITED, limits)
    decoder.feed(b"\x01" * bound)
    assert list(decoder.events()) == []
    decoder.feed(b"\x01")
    (dropped,) = decoder.events()
    assert dropped.error.name == "frame-too-large"  # type: ignore[union-attr]
    decoder.feed(b"\x01" * 100_000)
    assert list(decoder.events()) == []
    assert decoder.buffered == 0
    decoder.feed(b"\x00" + framed(DELIMITED, raw_frame(0x40, b"after")))
    assert list(decoder.events()) == [Message(0x40, b"after", 0)]


def test_default_encoded_bound() -> None:
    """Spec 7.1: 1,052,718 bytes for the default maximum frame size."""
    assert Limits().encoded_frame_bound == 13 + 2**20 + 1 + (13 + 2**20) // 254 == 1_052_718


def test_truncated_after_last_delimiter_unless_skipping() -> None:
    assert decode(Decoder(DELIMITED), [b"\x02a"]).outcome == "truncated-frame"
    limits = Limits(max_frame_size=256)
    skipping = Decoder(DELIMITED, limits)
    result = decode(skipping, [b"\x01" * (limits.encoded_frame_bound + 5)])
    assert result.events == [("dropped", "frame-too-large", False)]
    assert result.outcome == "end"


def test_huge_feed_without_delimiter_is_not_buffered() -> None:
    """FW-DLM-4 holds even when one feed() brings megabytes without a 0x00."""
    limits = Limits(max_frame_size=256)
    decoder = Decoder(DELIMITED, limits)
    decoder.feed(b"\x05" * 10_000_000)
    assert decoder.buffered <= limits.encoded_frame_bound + 1
    (dropped,) = decoder.events()
    assert dropped.error.name == "frame-too-large"  # type: ignore[union-attr]
    decoder.feed(b"\x05" * 10_000_000 + b"\x00" + framed(DELIMITED, raw_frame(0x40, b"ok")))
    assert decoder.buffered < 100
    assert list(decoder.events()) == [Message(0x40, b"ok", 0)]
    hunting = Decoder(DELIMITED, limits, hunting=True)
    hunting.feed(b"\x07" * 1_000_000)
    assert hunting.buffered == 0


BUFFER_TYPES = {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}


@pytest.mark.parametrize("kind", list(BUFFER_TYPES))
@pytest.mark.parametrize("hunting", [False, True])
def test_bound_holds_whatever_buffer_type_is_fed(kind: str, hunting: bool) -> None:
    """FW-DLM-4 / FW-LIM-4 hold for every kind of buffer feed() accepts: a memoryview of
    8 MiB with no 0x00 is cut to one byte over the bound, as bytes and bytearray are."""
    limits = Limits(1024, 2048)
    wrap = BUFFER_TYPES[kind]
    decoder = Decoder(DELIMITED, limits, hunting=hunting)
    decoder.feed(wrap(b"\x05" * 8 * 2**20))
    assert decoder.buffered <= limits.encoded_frame_bound + 1
    assert decoder.capacity <= limits.encoded_frame_bound + 1
    expected = [] if hunting else [("dropped", "frame-too-large", False)]
    tail = b"\x00" + framed(DELIMITED, raw_frame(0x40, b"ok"))
    result = decode(decoder, [wrap(tail)])
    assert result.events == [*expected, ("Message", 0x40, b"ok", 0)]
    assert result.outcome == "end"


@pytest.mark.parametrize("before", ["nothing", "a frame"])
def test_bound_counts_only_the_frame_in_progress_when_feeds_are_not_drained(before: str) -> None:
    """FW-DLM-4 bounds the encoded bytes after the last 0x00, even when the bytes before it
    are still buffered because feed() was called again before reading the events: an
    oversized frame fails with frame-too-large and the frames around it decode.

    The late-reading vectors (read: "end", FW-CNF-34) check the same through the adapter;
    this test drives the decoder directly."""
    limits = Limits(256, 1024)
    bound = limits.encoded_frame_bound
    filler = bytes(index % 254 + 2 for index in range(bound + 30))  # no 0x00, no 0x01
    first = wire.delimit(wire.frame(wire.DATA, b"first")) if before == "a frame" else b"\x00"
    last = wire.delimit(wire.frame(wire.DATA, b"last"))
    chunks = [first + filler[:100], filler[100:], b"\x00" + last]
    result = decode(Decoder(DELIMITED, limits), chunks, drain_each=False)
    expected_first = [("Message", wire.DATA, b"first", 0)] if before == "a frame" else []
    assert result.events == [
        *expected_first,
        ("dropped", "frame-too-large", False),
        ("Message", wire.DATA, b"last", 0),
    ]
    assert result.outcome == "end"
