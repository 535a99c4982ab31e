"""Shared hypothesis strategies for Framewire tests (importable by every test module)."""

from __future__ import annotations

from hypothesis import strategies as st

from framewire import Framing, Limits, Message
from framewire._codec.schema import FIRST_APPLICATION_TYPE, MAX_APP_FLAGS, MAX_TYPE, MIN_LIMIT

framings = st.sampled_from(list(Framing))

data_types = st.integers(FIRST_APPLICATION_TYPE, MAX_TYPE)
app_flags = st.integers(0, MAX_APP_FLAGS)

# Payloads are biased towards the boundaries that matter: COBS blocks (254), zero runs,
# and multiples of the smallest frame size (256).
payloads = st.one_of(
    st.binary(max_size=600),
    st.integers(0, 1100).map(bytes),
    st.sampled_from([0, 1, 253, 254, 255, 256, 257, 508, 512, 513]).flatmap(
        lambda size: st.sampled_from([b"\x00" * size, b"\xa5" * size, bytes(range(256)) * 2]).map(
            lambda pattern: (pattern * (size // max(len(pattern), 1) + 1))[:size]
        )
    ),
)


@st.composite
def data_messages(draw: st.DrawFn) -> Message:
    """An application data message (types 0x40-0xFF) with any flags and payload."""
    return Message(draw(data_types), draw(payloads), draw(app_flags))


ping_messages = st.builds(
    Message, st.sampled_from([3, 4]), st.binary(min_size=8, max_size=8), st.just(0)
)

small_frame_sizes = st.sampled_from([MIN_LIMIT, MIN_LIMIT + 1, 300, 512, 1024])


@st.composite
def limits(draw: st.DrawFn) -> Limits:
    """Small receiver limits, so multi-frame messages and limit errors are common."""
    frame = draw(small_frame_sizes)
    message = draw(st.sampled_from([0, MIN_LIMIT, 1000, 4096, 1 << 24]))
    return Limits(max_frame_size=frame, max_message_size=message)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (any order, out-of-range ones clamped)."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    pieces = []
    previous = 0
    for point in [*points, len(data)]:
        pieces.append(data[previous:point])
        previous = point
    return pieces


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """`data` whole, one byte at a time, or split at random points."""
    mode = draw(st.sampled_from(["whole", "bytes", "random"]))
    if mode == "whole":
        return [data]
    if mode == "bytes":
        return [data[i : i + 1] for i in range(len(data))]
    cuts = draw(st.lists(st.integers(0, max(len(data), 0)), max_size=12))
    return split_at(data, cuts)
