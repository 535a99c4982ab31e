"""The rule of the fast paths (framewire._codec.fast_readers), stated as a property.

For any buffered bytes and any reader state reached by decoding, a fast path returns a
prefix of what the general reader returns from that state, and the general reader,
taking over where the fast path stopped, returns the rest: the same events, the same
end (waiting, the end of input, or the same error). Every fast path is checked on its
own: the one of next_event(), the batched run on each receive loop (pure Python and
compiled), and the run's two pure-Python loops called directly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from helpers.codec import raw_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import Decoder, Framing, Limits, RemoteProtocolError
from framewire._codec.checks import ADMIT_ALL, Admission
from framewire._codec.schema import FIRST_APPLICATION_TYPE
from framewire.conformance.wire import FLAG_M, FLAG_N, FLAG_R
from framewire.events import Sentinel
from framewire.session import _ADMISSIONS, SessionState

SMALL = Limits(max_frame_size=256, max_message_size=600)
"""Limits under which the largest frame taken caps the snapshot window."""

data_frames = st.one_of(
    st.builds(
        lambda frame_type, payload, app, checksum: raw_frame(
            frame_type, payload, flags=app << 4, checksum=checksum
        ),
        st.integers(0x40, 0xFF),
        st.binary(max_size=300),
        st.integers(0, 15),
        st.booleans(),
    ),
    st.builds(
        lambda p: raw_frame(0x41, p, flags=0x20),
        st.binary(min_size=1000, max_size=5000),
    ),
)
"""What the fast paths take: whole single-frame data messages (the large ones over SMALL's
limits, and too large for the snapshot loop's first window)."""

unusual_frames = st.sampled_from(
    [
        raw_frame(0x03, b"12345678"),  # PING: a control frame
        raw_frame(0x01, bytes(8)),  # HELLO: not accepted in a session's OPEN state
        raw_frame(0x50, b"first", flags=FLAG_M) + raw_frame(0x50, b"last", flags=FLAG_N),
        raw_frame(0x50, b"first", flags=FLAG_M),  # a message left in progress
        raw_frame(0x40, b"last", flags=FLAG_N),  # a continuation with no start
        raw_frame(0x40, b"bad crc", checksum=True, crc=0),
        raw_frame(0x40, b"bad magic", magic=b"XX"),
        raw_frame(0x40, b"bad version", version=9),
        raw_frame(0x40, b"reserved", flags=FLAG_R),
        raw_frame(0x40, length=100_000),  # over SMALL's limits and any window
        raw_frame(0x40, b"\x05" * 300),  # over SMALL's frame limit only
    ]
)
"""Where a fast path may stop: what the general reader takes in other ways."""

streams = st.builds(
    lambda run, stop, rest: [*run, stop, *rest],
    st.lists(data_frames, max_size=12),
    unusual_frames,
    st.lists(st.one_of(data_frames, unusual_frames), max_size=4),
)
"""A run of data frames, then one frame a fast path must stop at, then anything."""

Event = Any
Outcome = tuple[list[Event], str]


def _general(decoder: Decoder) -> Outcome:
    """Every event of the general reader from the decoder's state, and how it stopped."""
    reader: Any = decoder._reader
    events: list[Event] = []
    try:
        while not isinstance(event := reader.general_event(), Sentinel):
            events.append(event)
    except RemoteProtocolError as error:
        return events, error.name
    return events, event.name


def _compiled_loop() -> Callable[..., int]:
    from framewire._codec.fastpath import decode_run  # noqa: PLC0415 - `make venv` builds it

    return decode_run


def _first(fast: Any, found: list[Event]) -> None:
    event = fast.first()
    if event is not None:
        found.append(event)


def _run_pure(fast: Any, found: list[Event]) -> None:
    fast.compiled_run = None
    fast.run(found)


def _run_compiled(fast: Any, found: list[Event]) -> None:
    fast.compiled_run = _compiled_loop()
    fast.run(found)


def _in_place(fast: Any, found: list[Event]) -> None:
    fast.take_in_place(found.append, sys.maxsize)


def _small_messages(fast: Any, found: list[Event]) -> None:
    fast.take_small_messages(found)


FAST_PATHS: dict[str, tuple[Callable[[Any, list[Event]], None], bool]] = {
    "first": (_first, False),
    "run, pure": (_run_pure, False),
    "run, compiled": (_run_compiled, True),
    "in place": (_in_place, False),
    "small messages": (_small_messages, True),
}
"""Each fast path, and whether it takes only an assembling reader's input (it builds
Messages; run() sends a streaming reader's frames to the in-place loop)."""


ADMISSIONS = [ADMIT_ALL, _ADMISSIONS[SessionState.OPEN]]
"""The bare codec's admission, and a session's once it is open (FW-SES-6)."""


class Setup(NamedTuple):
    """A reader's state, before a fast path or the general reader runs."""

    limits: Limits
    admission: Admission
    assemble: bool
    warm_up: int
    """Events the general reader returns first."""
    eof: bool


def _decoder(setup: Setup, data: bytes) -> Decoder:
    """A decoder fed `data`, in the state that `setup` describes."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, setup.limits, assemble=setup.assemble, recover=False)
    decoder.admit(setup.admission)
    decoder.feed(data)
    if setup.eof:
        decoder.feed_eof()
    reader: Any = decoder._reader
    for _ in range(setup.warm_up):
        if isinstance(reader.general_event(), Sentinel):
            break
    return decoder


@pytest.mark.parametrize("path", sorted(FAST_PATHS))
@settings(max_examples=100, deadline=None)
@given(
    pieces=streams,
    cut=st.one_of(st.just(0), st.integers(1, 40)),
    limits=st.sampled_from([Limits(), SMALL]),
    admission=st.sampled_from(ADMISSIONS),
    assemble=st.booleans(),
    warm_up=st.integers(0, 14),
    eof=st.booleans(),
)
def test_a_fast_path_returns_a_prefix_of_the_general_readers_events(
    path: str,
    *,
    pieces: list[bytes],
    cut: int,
    limits: Limits,
    admission: Admission,
    assemble: bool,
    warm_up: int,
    eof: bool,
) -> None:
    fast_path, assembling_only = FAST_PATHS[path]
    setup = Setup(limits, admission, assemble or assembling_only, warm_up, eof)
    data = b"".join(pieces)
    data = data[: max(len(data) - cut, 0)]  # the last frame may be partial
    try:
        expected = _general(_decoder(setup, data))
        decoder = _decoder(setup, data)
    except RemoteProtocolError:
        return  # the warm-up met an error: the reader has failed, no fast path runs
    reader: Any = decoder._reader
    if not reader.fast:
        return  # a fast path runs only in the state where `fast` is true
    taken: list[Event] = []
    fast_path(reader.fast_paths, taken)
    rest, end = _general(decoder)
    assert (taken + rest, end) == expected
    # Data messages only: a control message ends a batch (Decoder.next_events), so that
    # a session acts on it before anything after it.
    assert all(event.type >= FIRST_APPLICATION_TYPE for event in taken)
