"""The decisions both transports share: addresses and deadlines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framewire import Deadlines, Limits
from framewire._io.transport import checked_options
from framewire.addresses import format_address, parse_address
from framewire.deadlines import DeadlineKind, DeadlineTracker
from framewire.errors import UsageError
from framewire.options import Options


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:7000", ("127.0.0.1", 7000)),
        ("[::1]:80", ("::1", 80)),
        ("7000", ("127.0.0.1", 7000)),
        ("localhost:0", ("localhost", 0)),
        ("unix:/tmp/fw.sock", "/tmp/fw.sock"),
        ("./fw.sock", "./fw.sock"),
    ],
)
def test_parse_address(text: str, address: object) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["host:port", ":80", "1.2.3.4:70000", "unix:", "a:-1"])
def test_bad_addresses_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_address(text)


@given(
    host=st.sampled_from(["127.0.0.1", "::1", "localhost", "fe80::1"]),
    port=st.integers(0, 65535),
)
def test_format_then_parse_round_trips(host: str, port: int) -> None:
    assert parse_address(format_address((host, port))) == (host, port)


def test_deadlines_must_be_positive() -> None:
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="deadline"):
            Deadlines(frame=bad)


def test_handshake_deadline_runs_from_the_opening_and_stops_at_hello() -> None:
    tracker = DeadlineTracker(Deadlines(handshake=10.0, frame=30.0), opened_at=100.0)
    assert tracker.next_expiry() == (110.0, DeadlineKind.HANDSHAKE)
    tracker.observe(105.0, handshake_done=True, frame_partial=False, frame_start=0)
    assert tracker.next_expiry() is None


def test_frame_deadline_waits_for_the_handshake() -> None:
    """Spec 7.2: the frame deadline runs after the handshake; before, only the handshake's."""
    tracker = DeadlineTracker(Deadlines(handshake=5.0, frame=1.0), opened_at=0.0)
    tracker.observe(0.5, handshake_done=False, frame_partial=True, frame_start=0)  # half a HELLO
    assert tracker.next_expiry() == (5.0, DeadlineKind.HANDSHAKE)


def test_frame_deadline_runs_from_the_first_partial_read_not_each_read() -> None:
    tracker = DeadlineTracker(Deadlines(handshake=None, frame=2.0), opened_at=0.0)
    tracker.observe(1.0, handshake_done=True, frame_partial=True, frame_start=0)
    tracker.observe(
        2.5, handshake_done=True, frame_partial=True, frame_start=0
    )  # more bytes, same frame
    assert tracker.next_expiry() == (3.0, DeadlineKind.FRAME)
    tracker.observe(
        2.9, handshake_done=True, frame_partial=False, frame_start=0
    )  # the frame completed
    assert tracker.next_expiry() is None


@given(call=st.floats(0, 100), frame_start=st.floats(0, 100))
def test_the_earliest_deadline_binds_and_a_tie_fails_the_connection(
    call: float, frame_start: float
) -> None:
    tracker = DeadlineTracker(Deadlines(handshake=None, frame=1.0), opened_at=0.0)
    tracker.observe(frame_start, handshake_done=True, frame_partial=True, frame_start=0)
    expiry = tracker.next_expiry(call_deadline=call)
    assert expiry is not None
    assert expiry[0] == min(call, frame_start + 1.0)
    expected = DeadlineKind.FRAME if frame_start + 1.0 <= call else DeadlineKind.CALL
    assert expiry[1] is expected
    assert expected.fails_connection is (expected is DeadlineKind.FRAME)


def test_no_message_limit_requires_streaming() -> None:
    with pytest.raises(UsageError, match="FW-LIM-5"):
        checked_options(Options(limits=Limits(max_message_size=0)), streaming=False)
    unlimited = Options(limits=Limits(max_message_size=0))
    assert checked_options(unlimited, streaming=True).limits.max_message_size == 0
    assert checked_options(None, streaming=False) == Options()
