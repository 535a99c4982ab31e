"""The worked examples of spec/examples.md (Appendix B) against two independent sources.

1. Every ``example: <name>`` hex block of the page must equal what the stand-alone
   computation in ``spec_examples.py`` (bytes from the wire oracle) produces, so the page
   cannot drift from its definition.
2. The reference codec must decode each block into the example's messages, fed whole
   and one byte at a time, and must encode those messages back into the same bytes.
3. Two reference sessions, given the session example's inputs, must deliver its events
   and send its bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.spec_examples import A_SETTINGS, B_SETTINGS, EXAMPLES, PING_DATA, Example, hex_block

from framewire import (
    END,
    NEED_DATA,
    Decoder,
    Encoder,
    Framing,
    Limits,
    Message,
    PeerClosed,
    PeerHello,
    PingReceived,
    PongReceived,
)
from framewire.conformance import wire
from framewire.options import Options
from framewire.session import Session

EXAMPLES_PAGE = Path(__file__).resolve().parents[2] / "spec" / "examples.md"
BLOCK_RE = re.compile(r'^```text title="example: ([a-z0-9-]+)"\n(.*?)\n```$', re.M | re.S)
DEFAULT_MAX_MESSAGE = wire.DEFAULT_SETTINGS[wire.SETTING_MAX_MESSAGE]


def page_blocks() -> dict[str, str]:
    """Each titled example block of the page, by name (a name given twice fails)."""
    blocks: dict[str, str] = {}
    for name, body in BLOCK_RE.findall(EXAMPLES_PAGE.read_text(encoding="utf-8")):
        assert name not in blocks, f"example {name} appears twice on the page"
        blocks[name] = body
    return blocks


def frames_part(example: Example) -> bytes:
    """The frame bytes of an example: a session's bytes start with the preface."""
    return example.wire[wire.PREFACE_SIZE :] if example.session else example.wire


def expected_messages(example: Example) -> list[Message]:
    return [Message(m.type, m.payload, m.flags) for m in example.messages]


def decode(example: Example, pieces: list[bytes]) -> list[object]:
    decoder = Decoder(Framing(example.framing))
    events: list[object] = []
    for piece in pieces:
        decoder.feed(piece)
        events.extend(decoder.events())
    decoder.feed_eof()
    events.extend(decoder.events())
    events.append(decoder.next_event())
    return events


# --- the page against the independent computation --------------------------------------


def test_page_has_exactly_the_computed_examples() -> None:
    assert sorted(page_blocks()) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_page_block_equals_independent_computation(name: str) -> None:
    assert page_blocks()[name] == hex_block(EXAMPLES[name].wire)


@pytest.mark.parametrize("runs", [1, 2])
def test_oracle_cobs_is_canonical_at_the_254_byte_boundary(runs: int) -> None:
    data = b"\x01" * (wire.FULL_BLOCK * runs)
    assert wire.cobs_encode(data) == (b"\xff" + b"\x01" * wire.FULL_BLOCK) * runs  # FW-COB-1


# --- the reference codec against the examples ------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_codec_decodes_example_whole_and_byte_by_byte(name: str) -> None:
    example = EXAMPLES[name]
    data = frames_part(example)
    expected = [*expected_messages(example), END]
    assert decode(example, [data]) == expected
    assert decode(example, [data[i : i + 1] for i in range(len(data))]) == expected


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_codec_encodes_example_messages_into_the_example_bytes(name: str) -> None:
    example = EXAMPLES[name]
    framing = Framing(example.framing)
    encoder = Encoder(framing, checksum=example.checksum)
    if example.chunks:
        # A streaming sender cut this message: one frame per chunk, N and M by position.
        (message,) = example.messages
        last = len(example.chunks) - 1
        encoded = b"".join(
            encoder.frame(
                message.flags << wire.APPLICATION_FLAGS_SHIFT
                | (wire.FLAG_N if i > 0 else 0)
                | (wire.FLAG_M if i < last else 0),
                message.type,
                chunk,
            )
            for i, chunk in enumerate(example.chunks)
        )
    else:
        encoded = b"".join(encoder.encode(m) for m in expected_messages(example))
    if example.session:
        encoded = Encoder.preface(framing) + encoded
    assert encoded == example.wire


# --- the whole session (B.6) with two reference sessions --------------------------------


def handshake_size(example: Example) -> int:
    """Bytes of the preface and the HELLO that open a session example."""
    return wire.PREFACE_SIZE + wire.HEADER_SIZE + len(example.messages[0].payload)


def all_events(session: Session) -> list[object]:
    events: list[object] = []
    while (event := session.next_event()) not in (END, NEED_DATA):
        events.append(event)
    events.append(event)
    return events


def test_session_example_is_what_two_reference_sessions_exchange() -> None:
    a_wire, b_wire = EXAMPLES["session-a-to-b"], EXAMPLES["session-b-to-a"]
    a_data, b_data = a_wire.messages[1], b_wire.messages[2]
    a_limits = Limits(
        max_frame_size=A_SETTINGS[wire.SETTING_MAX_FRAME],
        max_message_size=A_SETTINGS[wire.SETTING_MAX_MESSAGE],
    )
    b_limits = Limits(
        max_frame_size=B_SETTINGS[wire.SETTING_MAX_FRAME],
        max_message_size=B_SETTINGS[wire.SETTING_MAX_MESSAGE],
    )
    a = Session(Options(Framing.LENGTH_PREFIXED, limits=a_limits))
    b = Session(Options(Framing.LENGTH_PREFIXED, limits=b_limits))

    # Each announces both of its limits, defaults included (FW-HEL-8): the example's bytes.
    a_sent = a.data_to_send()
    assert a_sent == a_wire.wire[: handshake_size(a_wire)]
    assert b.data_to_send() == b_wire.wire[: handshake_size(b_wire)]
    assert b_limits.max_message_size == DEFAULT_MAX_MESSAGE
    a.receive_data(b_wire.wire[: handshake_size(b_wire)])
    assert all_events(a) == [PeerHello(b_limits.max_frame_size, DEFAULT_MAX_MESSAGE), NEED_DATA]

    a.send(Message(a_data.type, a_data.payload, a_data.flags))
    a_sent += a.data_to_send()
    a.ping(PING_DATA)
    a.close_write()
    a_sent += a.data_to_send()
    assert a_sent == a_wire.wire

    b.receive_data(a_sent)
    b.receive_eof()
    assert all_events(b) == [
        PeerHello(a_limits.max_frame_size, a_limits.max_message_size),
        Message(a_data.type, a_data.payload, a_data.flags),
        PingReceived(PING_DATA),
        PeerClosed(),
        END,
    ]
    b.send(Message(b_data.type, b_data.payload, b_data.flags))
    b.close_write()
    assert b.data_to_send() == b_wire.wire[handshake_size(b_wire) :]  # PONG, then the data

    a.receive_data(b_wire.wire[handshake_size(b_wire) :])
    a.receive_eof()
    assert all_events(a) == [
        PongReceived(PING_DATA),
        Message(b_data.type, b_data.payload, b_data.flags),
        PeerClosed(),
        END,
    ]
