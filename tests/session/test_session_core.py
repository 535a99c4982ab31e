"""The sans-I/O session (spec 6): handshake, HELLO, PING/PONG, ERROR, close, failures."""

from __future__ import annotations

import pytest
from helpers.codec import framed, raw_frame
from helpers.strategies import chunkings, data_messages, framings
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import (
    END,
    NEED_DATA,
    Decoder,
    Encoder,
    ErrorCode,
    Framing,
    Limits,
    LocalFailureError,
    Message,
    PeerClosed,
    PeerError,
    PeerHello,
    PingReceived,
    PongReceived,
    RemoteProtocolError,
    UsageError,
)
from framewire.conformance import wire
from framewire.events import Sentinel
from framewire.options import Options
from framewire.session import Session, SessionState

LP = Framing.LENGTH_PREFIXED


def hello_frame(*settings: tuple[int, int]) -> bytes:
    return raw_frame(wire.HELLO, wire.hello_payload(*settings))


def peer_bytes(framing: Framing, *frames: bytes, preface: bytes | None = None) -> bytes:
    """What a peer sends: its preface, then frames in `framing`."""
    return (Encoder.preface(framing) if preface is None else preface) + framed(framing, *frames)


def drain(session: Session) -> list[object]:
    events: list[object] = []
    while not isinstance(event := session.next_event(), Sentinel):
        events.append(event)
    return events


def sent_frames(session: Session) -> list[Message]:
    """Everything the session queued after its preface, decoded (control frames included)."""
    data = session.data_to_send()
    framing = session.framing
    assert data.startswith(Encoder.preface(framing))
    decoder = Decoder(framing, Limits(2**30, 0))
    decoder.feed(data[8:])
    return list(decoder.events())  # type: ignore[arg-type]


def pair(framing: Framing, a_limits: Limits | None = None) -> tuple[Session, Session]:
    a = Session(Options(framing, limits=a_limits or Limits()))
    b = Session(Options(framing, checksum=True))
    b.receive_data(a.data_to_send())
    a.receive_data(b.data_to_send())
    assert drain(a) == [PeerHello(2**20, 2**24)]
    hello = drain(b)
    limits = a_limits or Limits()
    assert hello == [PeerHello(limits.max_frame_size, limits.max_message_size)]
    return a, b


@pytest.mark.parametrize("framing", list(Framing))
def test_handshake_and_exchange(framing: Framing) -> None:
    a, b = pair(framing, Limits(256, 1000))
    assert a.state is b.state is SessionState.OPEN
    assert a.handshake_done
    assert b.handshake_done
    b.send(Message(0x40, b"x" * 700, 2))
    wire = b.data_to_send()
    # FW-HEL-5: split to a's MAX_FRAME_SIZE of 256.
    decoder = Decoder(framing, Limits(256, 0), assemble=False)
    decoder.feed(wire)
    assert [len(f.payload) for f in decoder.events()] == [256, 256, 188]  # type: ignore[union-attr]
    a.receive_data(wire)
    assert drain(a) == [Message(0x40, b"x" * 700, 2)]
    with pytest.raises(UsageError, match="MAX_MESSAGE_SIZE"):
        b.send(Message(0x40, b"x" * 1001))


def test_first_bytes_are_preface_then_hello() -> None:
    session = Session(Options(Framing.DELIMITED, limits=Limits(4096, 0)))
    data = session.data_to_send()
    assert data[:8] == b"\x89FW1D\r\n\x1a"
    decoder = Decoder(Framing.DELIMITED)
    decoder.feed(data[8:])
    (hello,) = decoder.events()
    assert hello == Message(0x01, wire.hello_payload((1, 4096), (2, 0)), 0)
    assert session.data_to_send() == b""


@pytest.mark.parametrize("offset", range(8))
def test_bad_preface_at_each_byte_fails_at_once_without_error_frame(offset: int) -> None:
    session = Session(Options(LP))
    session.data_to_send()
    preface = bytearray(Encoder.preface(LP))
    preface[offset] ^= 0x20
    session.receive_data(bytes(preface[: offset + 1]))  # nothing after the bad byte
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.name == "bad-preface"
    assert session.state is SessionState.FAILED
    assert session.data_to_send() == b""  # FW-PRE-2: no ERROR frame


def test_framing_mismatch_is_bad_preface() -> None:
    session = Session(Options(LP))
    session.receive_data(Encoder.preface(Framing.DELIMITED))
    with pytest.raises(RemoteProtocolError, match="bad-preface"):
        session.next_event()


@pytest.mark.parametrize(
    "received",
    [b"", b"\x89FW", Encoder.preface(LP), Encoder.preface(LP) + hello_frame()[:5]],
)
def test_end_before_hello_is_handshake_incomplete(received: bytes) -> None:
    session = Session(Options(LP))
    session.data_to_send()
    session.receive_data(received)
    session.receive_eof()
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.name == "handshake-incomplete"
    assert sent_frames_after_failure(session) == []


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("reads", ["preface and frame in one read", "preface read apart"])
def test_delimited_bound_holds_from_the_first_read(kind: type[bytes], reads: str) -> None:
    """FW-DLM-4 / FW-LIM-4 through the session: a preface and 8 MiB with no 0x00 keep at
    most one byte over the encoded-frame bound, whatever buffer type carries them and
    whether or not the preface comes in the same read (the session hands the rest of a
    read that completes the preface to the decoder as a memoryview)."""
    limits = Limits(1024, 2048)
    session = Session(Options(Framing.DELIMITED, limits=limits))
    received = Encoder.preface(Framing.DELIMITED) + b"\x05" * 8 * 2**20
    one_read = reads == "preface and frame in one read"
    chunks = [received] if one_read else [received[:8], received[8:]]
    for chunk in chunks:
        session.receive_data(kind(chunk))
    assert session.receive_capacity <= limits.encoded_frame_bound + 1
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.name == "frame-too-large"


def sent_frames_after_failure(session: Session) -> list[Message]:
    decoder = Decoder(session.framing)
    decoder.feed(session.data_to_send())
    return list(decoder.events())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hello", "accepted"),
    [
        (hello_frame(), PeerHello(2**20, 2**24)),
        (hello_frame((2, 0), (1, 256)), PeerHello(256, 0)),
        (hello_frame((1, 2**30), (2, 2**32 - 1)), PeerHello(2**30, 2**32 - 1)),
        (hello_frame((0x7777, 5), (1, 300)), PeerHello(300, 2**24)),  # FW-HEL-4
    ],
)
def test_hello_settings(hello: bytes, accepted: PeerHello) -> None:
    session = Session(Options(LP))
    session.receive_data(peer_bytes(LP, hello))
    assert drain(session) == [accepted]
    assert session.peer_limits == accepted


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01\x00\x00\x01",  # not a multiple of 6
        wire.hello_payload((1, 300), (1, 300)),  # duplicate
        wire.hello_payload((1, 255)),
        wire.hello_payload((1, 2**30 + 1)),
        wire.hello_payload((2, 255)),
        wire.hello_payload((9, 1), (9, 2)),  # duplicate unknown setting
    ],
)
def test_malformed_hello(payload: bytes) -> None:
    session = Session(Options(LP))
    session.data_to_send()
    session.receive_data(peer_bytes(LP, raw_frame(0x01, payload)))
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert (caught.value.name, caught.value.statement) == ("malformed-control", "FW-HEL-3")
    (error,) = sent_frames_after_failure(session)
    assert error.type == 0x02
    assert error.payload[:2] == (303).to_bytes(2, "big")


@pytest.mark.parametrize(
    "first",
    [
        raw_frame(0x40, b"data"),
        raw_frame(0x40, b"data", flags=0x02),
        raw_frame(0x03, b"12345678"),
        raw_frame(0x04, b"12345678"),
    ],
)
def test_unexpected_before_hello(first: bytes) -> None:
    session = Session(Options(LP))
    session.data_to_send()
    session.receive_data(peer_bytes(LP, first))
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.name == "unexpected-message"
    (error,) = sent_frames_after_failure(session)
    assert error.payload[:2] == (302).to_bytes(2, "big")


@pytest.mark.parametrize("framing", list(Framing))
def test_second_hello_is_unexpected(framing: Framing) -> None:
    session = Session(Options(framing))
    session.receive_data(peer_bytes(framing, hello_frame(), raw_frame(0x40, b"m"), hello_frame()))
    assert session.next_event() == PeerHello(2**20, 2**24)
    assert session.next_event() == Message(0x40, b"m", 0)
    with pytest.raises(RemoteProtocolError, match="unexpected-message"):
        session.next_event()


def test_ping_gets_pong_before_queued_data() -> None:
    a, _ = pair(LP)
    a.send(Message(0x40, b"queued"))
    a.receive_data(framed(LP, raw_frame(0x03, b"PINGDATA")))
    assert drain(a) == [PingReceived(b"PINGDATA")]
    decoder = Decoder(LP)
    decoder.feed(a.data_to_send())
    assert list(decoder.events()) == [Message(0x04, b"PINGDATA"), Message(0x40, b"queued")]


def test_ping_round_trip_and_unsolicited_pong_ignored() -> None:
    a, b = pair(Framing.DELIMITED)
    data = a.ping()
    assert a.pings_outstanding == 1
    b.receive_data(a.data_to_send())
    assert drain(b) == [PingReceived(data)]
    a.receive_data(b.data_to_send() + framed(Framing.DELIMITED, raw_frame(0x04, b"stranger")))
    assert drain(a) == [PongReceived(data)]  # FW-PNG-3: the stranger PONG is ignored
    assert a.pings_outstanding == 0


@pytest.mark.parametrize("frame_type", [0x03, 0x04])
@pytest.mark.parametrize("size", [0, 7, 9])
def test_ping_pong_of_wrong_size(frame_type: int, size: int) -> None:
    a, _ = pair(LP)
    a.receive_data(framed(LP, raw_frame(frame_type, b"p" * size)))
    with pytest.raises(RemoteProtocolError) as caught:
        a.next_event()
    assert (caught.value.name, caught.value.statement) == ("malformed-control", "FW-PNG-1")
    (error,) = sent_frames_after_failure(a)
    assert error.type == 0x02


def test_error_received_fails_without_reply() -> None:
    a, _ = pair(LP)
    a.send(Message(0x40, b"queued but not yet sent"))
    a.receive_data(framed(LP, raw_frame(0x40, b"before"), raw_frame(0x02, b"\x00\x6cbad crc")))
    assert a.next_event() == Message(0x40, b"before")
    with pytest.raises(PeerError) as caught:
        a.next_event()
    assert (caught.value.code, caught.value.name, caught.value.reason) == (
        108,
        "checksum-mismatch",
        "bad crc",
    )
    assert a.data_to_send() == b""  # FW-ERR-3: no ERROR in reply
    assert a.sending_done  # FW-CLS-6: nothing more is sent after a failure
    with pytest.raises(PeerError) as again:
        a.next_event()
    assert again.value is caught.value
    with pytest.raises(PeerError) as on_send:  # FW-CLS-6: refused, with the peer's error
        a.send(Message(0x40, b"late"))
    assert on_send.value is caught.value


def test_error_as_first_frame_with_unknown_code() -> None:
    session = Session(Options(LP))
    session.data_to_send()
    session.receive_data(peer_bytes(LP, raw_frame(0x02, b"\x12\x34")))
    with pytest.raises(PeerError) as caught:
        session.next_event()
    assert (caught.value.code, caught.value.name, caught.value.reason) == (0x1234, None, "")


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x00\x64\xff\xfe"])
def test_malformed_error_sends_nothing(payload: bytes) -> None:
    a, _ = pair(LP)
    a.receive_data(framed(LP, raw_frame(0x02, payload)))
    with pytest.raises(RemoteProtocolError) as caught:
        a.next_event()
    assert (caught.value.name, caught.value.statement) == ("malformed-control", "FW-ERR-4")
    assert a.data_to_send() == b""


@pytest.mark.parametrize("error_payload", [b"\x00\x61", b""])
def test_after_the_peers_error_only_owed_pongs_go_out(error_payload: bytes) -> None:
    """FW-ERR-3, FW-ERR-4, FW-PNG-6: a PING before the peer's ERROR (valid or malformed) is
    answered; our own PING and data, queued and not yet sent, are not."""
    a, _ = pair(LP)
    a.ping(b"our ping")
    a.send(Message(0x40, b"queued"))
    a.receive_data(framed(LP, raw_frame(0x03, b"PINGDATA"), raw_frame(0x02, error_payload)))
    with pytest.raises((PeerError, RemoteProtocolError)):
        drain(a)
    decoder = Decoder(LP)
    decoder.feed(a.data_to_send())
    assert list(decoder.events()) == [Message(0x04, b"PINGDATA")]


@pytest.mark.parametrize("framing", list(Framing))
def test_clean_close_both_directions(framing: Framing) -> None:
    a, b = pair(framing)
    b.send(Message(0x40, b"last words"))
    b.close_write()
    assert b.sending_done
    with pytest.raises(UsageError, match="FW-CLS-6"):
        b.send(Message(0x40, b"too late"))
    a.receive_data(b.data_to_send())
    a.receive_eof()
    assert drain(a) == [Message(0x40, b"last words"), PeerClosed()]
    assert a.state is SessionState.PEER_DONE
    assert a.next_event() is END
    a.send(Message(0x41, b"reply"))  # FW-CLS-3: the other direction stays open
    a.close_write()
    b.receive_data(a.data_to_send())
    b.receive_eof()
    assert drain(b) == [Message(0x41, b"reply"), PeerClosed()]


def test_no_pong_after_we_closed() -> None:
    a, _ = pair(LP)
    a.close_write()
    a.receive_data(framed(LP, raw_frame(0x03, b"12345678")))
    assert drain(a) == [PingReceived(b"12345678")]
    assert a.data_to_send() == b""


@pytest.mark.parametrize(
    ("tail", "name"),
    [
        (raw_frame(0x40, b"abc")[:-1], "truncated-frame"),
        (raw_frame(0x40, b"abc", flags=0x02), "truncated-message"),
    ],
)
def test_truncation_after_hello(tail: bytes, name: str) -> None:
    a, _ = pair(LP)
    a.receive_data(tail)
    a.receive_eof()
    with pytest.raises(RemoteProtocolError) as caught:
        a.next_event()
    assert caught.value.name == name
    assert sent_frames_after_failure(a) == []  # registry: no ERROR frame for truncation


def test_frame_error_queues_error_frame_and_is_permanent() -> None:
    a, _ = pair(Framing.DELIMITED, Limits(256, 0))
    a.receive_data(framed(Framing.DELIMITED, raw_frame(0x40, b"x", checksum=True, crc=5)))
    with pytest.raises(RemoteProtocolError) as caught:
        a.next_event()
    assert caught.value.name == "checksum-mismatch"
    assert not caught.value.recoverable  # FW-DLM-9
    (error,) = sent_frames_after_failure(a)
    assert error.payload[:2] == (108).to_bytes(2, "big")
    assert error.payload[2:].decode().startswith("FW-CRC-3")
    with pytest.raises(RemoteProtocolError) as again:
        a.next_events()
    assert again.value is caught.value
    with pytest.raises(RemoteProtocolError) as on_ping:  # the failure, not a misuse
        a.ping()
    assert on_ping.value is caught.value
    a.receive_data(b"ignored after failure")  # FW-SES-3: discarded


def test_fail_with_a_str_where_the_code_goes_names_the_order() -> None:
    a, _ = pair(LP)
    with pytest.raises(TypeError, match=r"fail\(code, detail\)"):
        a.fail("frame deadline expired")  # type: ignore[arg-type]
    assert a.data_to_send() == b""  # nothing failed, nothing queued
    a.send(Message(0x40, b"still open"))


def test_frame_in_progress_tells_a_partial_preface() -> None:
    """A transport's question before the handshake: has part of the preface arrived?
    (The shipped transports ask it after the HELLO only, FW-LIM-9, so no vector shows it.)"""
    session = Session(Options(LP))
    answers = [session.frame_in_progress]  # nothing yet
    for byte in Session(Options(LP)).data_to_send()[:2]:  # the preface's first two bytes
        session.receive_data(bytes([byte]))
        assert session.next_event() is NEED_DATA
        answers.append(session.frame_in_progress)
    assert answers == [False, True, True]


def test_receive_capacity_counts_the_buffer_the_preface_is_read_into() -> None:
    """What a session costs in memory includes the buffer get_buffer() lends for the
    preface (read apart from the frames), beside the decoder's own."""
    session = Session(Options(LP))
    idle = session.receive_capacity
    view = session.get_buffer()
    assert len(view) > 0
    assert session.receive_capacity == idle + len(view)


def test_fail_with_timeout_queues_error_304() -> None:
    assert not pair(LP)[0].frame_in_progress
    a, _ = pair(LP)
    a.receive_data(raw_frame(0x40, b"abc") + raw_frame(0x40, b"abc")[:4])
    assert drain(a) == [Message(0x40, b"abc")]
    assert a.frame_in_progress  # after NEED_DATA: part of a frame is in
    with pytest.raises(LocalFailureError) as caught:
        a.fail(ErrorCode.TIMEOUT, "frame deadline of 30 s expired (FW-LIM-6)")
    assert caught.value.code is ErrorCode.TIMEOUT
    (error,) = sent_frames_after_failure(a)
    assert error.payload[:2] == (304).to_bytes(2, "big")
    with pytest.raises(LocalFailureError) as again:
        a.fail()
    assert again.value is caught.value


def test_send_rules() -> None:
    session = Session(Options(LP))
    with pytest.raises(UsageError, match="FW-SES-2"):
        session.send(Message(0x40, b"early"))
    with pytest.raises(UsageError, match="FW-SES-2"):
        session.ping()
    a, _ = pair(LP)
    with pytest.raises(UsageError, match="type 0x03 is not a data type"):
        a.send(Message(0x03, b"12345678"))
    with pytest.raises(UsageError, match="FW-FLG-2"):  # Message() refuses 16 itself
        a.send(Message._make((0x40, b"", 16)))
    writer = a.start_message(0x40, 1)
    with pytest.raises(UsageError, match="FW-MSG-5"):
        a.send(Message(0x41, b"interleaved"))
    with pytest.raises(UsageError, match="FW-CLS-1"):
        a.close_write()
    writer.write(b"part one, ")
    writer.end(b"part two")
    with pytest.raises(UsageError):
        writer.write(b"after the end")
    a.close_write()


def test_streamed_message_limits_and_delivery() -> None:
    a, b = pair(LP, Limits(256, 600))
    writer = b.start_message(0x40)
    writer.write(b"a" * 300)
    with pytest.raises(UsageError, match="MAX_MESSAGE_SIZE"):
        writer.write(b"b" * 301)
    writer.end(b"c" * 300)
    a.receive_data(b.data_to_send())
    assert drain(a) == [Message(0x40, b"a" * 300 + b"c" * 300)]


@settings(max_examples=60, deadline=None)
@given(st.data(), framings, st.lists(data_messages(), max_size=4))
def test_session_input_any_chunking(
    data: st.DataObject, framing: Framing, messages: list[Message]
) -> None:
    """The same events whatever the split of the peer's bytes, preface included."""
    peer = Session(Options(framing, checksum=True))
    me = Session(Options(framing, limits=Limits(256, 0)))
    peer.receive_data(me.data_to_send())
    assert drain(peer) == [PeerHello(256, 0)]
    ping = peer.ping()
    for message in messages:
        peer.send(message)
    peer.close_write()
    wire = peer.data_to_send()
    events: list[object] = []
    for chunk in data.draw(chunkings(wire)):
        view = me.get_buffer(len(chunk) or 1)
        size = min(len(view), len(chunk))
        view[:size] = chunk[:size]
        me.buffer_updated(size)
        if size < len(chunk):
            me.receive_data(chunk[size:])
        events.extend(drain(me))
    me.receive_eof()
    events.extend(drain(me))
    expected = [PeerHello(2**20, 2**24), PingReceived(ping), *messages, PeerClosed()]
    assert events == expected


def test_next_events_batches_and_defers_errors() -> None:
    a, b = pair(LP)
    for index in range(5):
        b.send(Message(0x40, bytes([index])))
    a.receive_data(b.data_to_send() + framed(LP, raw_frame(0x02, b"\x01\x31oops")))
    batch = a.next_events()
    assert batch == [Message(0x40, bytes([index])) for index in range(5)]
    with pytest.raises(PeerError):
        a.next_events()
    c, d = pair(LP)
    assert c.next_events() == []
    assert c.next_event() is NEED_DATA
    d.ping(b"pingpong")
    c.receive_data(d.data_to_send())
    assert c.next_events() == [PingReceived(b"pingpong")]


@settings(max_examples=100)
@given(
    st.data(),
    framings,
    st.booleans(),
    st.lists(
        st.one_of(
            st.binary(max_size=30),
            st.sampled_from(
                [
                    raw_frame(0x03, b"12345678"),
                    raw_frame(0x04, b"12345678"),
                    raw_frame(0x02, b"\x00\x64why"),
                    raw_frame(0x40, b"data", flags=0x02),
                    raw_frame(0x40, b"data", flags=0x04),
                    hello_frame(),
                ]
            ),
        ),
        max_size=6,
    ),
)
def test_session_garbage_gives_only_protocol_outcomes(
    data: st.DataObject, framing: Framing, with_hello: bool, pieces: list[bytes]
) -> None:
    """FW-ERR-8 for a session: any input gives events, a clean end, RemoteProtocolError or
    PeerError; at most one ERROR frame is sent, and nothing after it."""
    session = Session(Options(framing, limits=Limits(256, 1024)))
    session.data_to_send()
    body = (hello_frame(),) if with_hello else ()
    wire = peer_bytes(framing, *body) + b"".join(
        framed(framing, piece) if data.draw(st.booleans()) else piece for piece in pieces
    )
    failure: RemoteProtocolError | PeerError | None = None
    try:
        for chunk in data.draw(chunkings(wire)):
            session.receive_data(chunk)
            drain(session)
        session.receive_eof()
        drain(session)
    except (RemoteProtocolError, PeerError) as error:
        failure = error
        assert session.state is SessionState.FAILED
    sent = Decoder(framing, Limits(2**30, 0))
    sent.feed(session.data_to_send())
    frames = list(sent.events())
    errors = [frame for frame in frames if isinstance(frame, Message) and frame.type == 0x02]
    # one ERROR when our side failed the session with a code that sends one (FW-ERR-1),
    # none after a clean end or the peer's own ERROR (FW-ERR-3)
    if isinstance(failure, RemoteProtocolError) and failure.code.sends_error_frame:
        assert [int.from_bytes(error.payload[:2], "big") for error in errors] == [failure.code]
        assert frames[-1] is errors[0]
    else:
        assert errors == []
