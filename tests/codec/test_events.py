"""Events follow one discipline: a common base, immutable, equal only to the same kind."""

from __future__ import annotations

import dataclasses

import pytest

from framewire.errors import ErrorCode, RemoteProtocolError
from framewire.events import (
    Event,
    FrameDropped,
    Message,
    PeerClosed,
    PeerHello,
    Piece,
    PingReceived,
    PongReceived,
)

DROPPED = FrameDropped(RemoteProtocolError(ErrorCode.BAD_MAGIC, "x", recoverable=True))
EVERY_KIND: list[Event] = [
    Message(0x40, b"12345678", 0),
    Piece(0x40, 0, b"12345678", True, True),
    DROPPED,
    PeerHello(1024, 4096),
    PingReceived(b"12345678"),
    PongReceived(b"12345678"),
    PeerClosed(),
]


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda event: type(event).__name__)
def test_every_event_derives_from_event_and_is_never_falsy(event: Event) -> None:
    assert isinstance(event, Event)
    assert bool(event)


def test_different_kinds_with_equal_fields_are_unequal() -> None:
    ping: object = PingReceived(b"12345678")
    closed: object = PeerClosed()
    assert ping != PongReceived(b"12345678")
    assert closed != ()
    for event in EVERY_KIND:
        assert [other for other in EVERY_KIND if other == event] == [event]


def test_tuple_events_equal_only_their_own_type() -> None:
    message = Message(0x40, b"abc", 3)
    assert message == Message(0x40, b"abc", 3)
    assert message != (0x40, b"abc", 3)
    assert not message == (0x40, b"abc", 3)  # noqa: SIM201 -- __eq__ itself is under test
    assert Piece(0x40, 0, b"", True, True) != (0x40, 0, b"", True, True)
    assert hash(message) == hash(Message(0x40, b"abc", 3))
    assert (message.type, message.payload, message.flags) == (0x40, b"abc", 3)


@pytest.mark.parametrize("event", EVERY_KIND[2:], ids=lambda event: type(event).__name__)
def test_dataclass_events_are_frozen_and_slotted(event: Event) -> None:
    assert not hasattr(event, "__dict__")
    fields = dataclasses.fields(event)  # type: ignore[arg-type]
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, fields[0].name, None)


def test_tuple_events_are_immutable() -> None:
    message = Message(0x40, b"abc")
    with pytest.raises(AttributeError):
        message.type = 0x41  # type: ignore[misc]
    assert not hasattr(message, "__dict__")


def test_a_repr_shows_a_payload_whole_up_to_32_bytes_then_cuts_it() -> None:
    """A log line or a failed test stays readable: 32 payload bytes whole, beyond that
    their first 32 and the size."""
    assert repr(Message(0x40, b"a" * 32)) == f"Message(type=64, payload={b'a' * 32!r}, flags=0)"
    cut = f"{b'b' * 32!r}...<33 bytes>"
    assert repr(Message(0x40, b"b" * 33)) == f"Message(type=64, payload={cut}, flags=0)"
    assert repr(Piece(0x40, 0, b"c" * 33, True, False)).count("...<33 bytes>") == 1
