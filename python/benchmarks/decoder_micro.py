"""Micro-benchmark: the length-prefixed Decoder against a minimal struct framer, in memory.

Both receive the same stream of small frames in 64 KiB chunks through a recv_into-style
buffer API and produce one (type, payload) object per message, so the ratio isolates the
decoder's per-message cost from any socket. Run: .venv/bin/python python/benchmarks/decoder_micro.py
"""

from __future__ import annotations

import statistics
import sys
import time

from framewire import NEED_DATA, Decoder, Encoder, Framing, Limits, Message
from framewire._codec import schema
from framewire.session import Session

CHUNK = 64 * 1024
MESSAGES = 200_000
_HEADER = schema.HEADER_STRUCT  # the layout, from the schemas
HEADER_SIZE = schema.HEADER_SIZE  # bound to a local in the framer loop: as cheap as a literal


def struct_framer(chunks: list[bytes]) -> int:
    """A hand-written framer: one unpack per header, bytes() of the payload, no checks
    beyond the length; like next_events(), it hands over a list of messages per chunk."""
    buf = bytearray(4 * CHUNK)
    view = memoryview(buf)
    rpos = wpos = 0
    count = 0
    unpack = _HEADER.unpack_from
    header_size = HEADER_SIZE
    for chunk in chunks:
        messages = []
        if len(buf) - wpos < len(chunk):
            live = wpos - rpos
            view[:live] = view[rpos:wpos]
            rpos, wpos = 0, live
        view[wpos : wpos + len(chunk)] = chunk
        wpos += len(chunk)
        while wpos - rpos >= header_size:
            _, _, _, frame_type, length = unpack(buf, rpos)
            end = rpos + header_size + length
            if end > wpos:
                break
            messages.append((frame_type, bytes(view[rpos + header_size : end])))
            rpos = end
        count += len(messages)
    return count


def framewire_decoder(chunks: list[bytes]) -> int:
    """The Framewire decoder through its get_buffer()/buffer_updated() API."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits())
    count = 0
    next_event = decoder.next_event
    for chunk in chunks:
        view = decoder.get_buffer(len(chunk))
        view[: len(chunk)] = chunk
        decoder.buffer_updated(len(chunk))
        while next_event() is not NEED_DATA:
            count += 1
    return count


def framewire_batched(chunks: list[bytes]) -> int:
    """The Framewire decoder with next_events(): one call per chunk, not per message."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits())
    count = 0
    for chunk in chunks:
        view = decoder.get_buffer(len(chunk))
        view[: len(chunk)] = chunk
        decoder.buffer_updated(len(chunk))
        count += len(decoder.next_events())
    return count


def _open_session() -> Session:
    session = Session()
    session.receive_data(Encoder.preface(Framing.LENGTH_PREFIXED) + Encoder().hello(Limits()))
    while session.next_event() is not NEED_DATA:
        pass
    return session


def session_one_by_one(chunks: list[bytes]) -> int:
    """A Session (all session checks) with one next_event() call per message."""
    session = _open_session()
    count = 0
    next_event = session.next_event
    for chunk in chunks:
        view = session.get_buffer(len(chunk))
        view[: len(chunk)] = chunk
        session.buffer_updated(len(chunk))
        while next_event() is not NEED_DATA:
            count += 1
    return count


def session_batched(chunks: list[bytes]) -> int:
    """A Session with next_events(): one call per chunk."""
    session = _open_session()
    count = 0
    for chunk in chunks:
        view = session.get_buffer(len(chunk))
        view[: len(chunk)] = chunk
        session.buffer_updated(len(chunk))
        count += len(session.next_events())
    return count


def main() -> int:
    """Print messages/s of both framers and their ratio for 16 and 256-byte payloads."""
    print(f"python {sys.version.split()[0]}, {MESSAGES} messages, {CHUNK}-byte chunks")
    for size in (16, 64, 256):
        stream = Encoder().encode(Message(0x40, b"x" * size)) * MESSAGES
        chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
        runs = {
            "struct": struct_framer,
            "next_event": framewire_decoder,
            "next_events": framewire_batched,
            "Session.next_event": session_one_by_one,
            "Session.next_events": session_batched,
        }
        rates: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(7):
            for name, run in runs.items():
                started = time.perf_counter()
                if run(chunks) != MESSAGES:
                    raise AssertionError(f"{name} lost messages")
                rates[name].append(MESSAGES / (time.perf_counter() - started))
        base = statistics.median(rates["struct"])
        line = f"{size:4d} B: struct {base / 1e6:.2f} M msg/s"
        for name in list(runs)[1:]:
            ours = statistics.median(rates[name])
            line += f"\n      {name:20s} {ours / 1e6:.2f} M msg/s (ratio {ours / base:.2f})"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
