"""``python -m framewire.demo`` (``make demo``): a real Framewire exchange on loopback.

For each framing it starts an echo server on 127.0.0.1 (a free port), connects a
client that checksums its frames, sends a short message and one larger than the
server's frame size (so it travels as several frames and comes back whole), then lets a
raw socket announce an oversized frame and shows the ERROR the server answers with.
Everything goes over real TCP sockets; nothing is simulated.
"""

from __future__ import annotations

import socket
import sys

from framewire import schema
from framewire.cobs_codec import cobs_encode
from framewire.codec import Decoder, Encoder, Framing, Limits
from framewire.errors import ErrorCode
from framewire.events import Message, Sentinel
from framewire.sync import Channel, connect, serve
from framewire.transport import Deadlines, format_address

SERVER_LIMITS = Limits(max_frame_size=1024)
"""The server takes frames of at most 1 KiB, so a 5000-byte message needs 5 frames."""
DEADLINES = Deadlines(handshake=5.0, frame=5.0, linger=0.5)
OVERSIZED = 2 * 1024 * 1024
"""What the misbehaving raw peer announces: 2 MiB, above the server's 1 KiB frames."""


def _echo(channel: Channel) -> None:
    for message in channel:
        channel.send(message)


def _oversized_header(framing: Framing, length: int) -> bytes:
    """A lone header announcing ``length`` payload bytes, framed for ``framing``."""
    header = schema.HEADER_STRUCT.pack(schema.MAGIC, schema.VERSION, 0, 0x40, length)
    return header if framing is Framing.LENGTH_PREFIXED else cobs_encode(header) + b"\x00"


def _show_oversized_frame_refused(address: tuple[str, int], framing: Framing) -> str:
    """A raw socket announces a frame above the server's limit; return the ERROR it gets."""
    with socket.create_connection(address, timeout=5.0) as sock:
        sock.sendall(Encoder.preface(framing) + Encoder(framing).hello(Limits()))
        sock.sendall(_oversized_header(framing, OVERSIZED))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    decoder = Decoder(framing, recover=False)
    decoder.feed(received[schema.PREFACE_SIZE :])
    decoder.feed_eof()
    while not isinstance(event := decoder.next_event(), Sentinel):
        if isinstance(event, Message) and event.type == schema.TYPE_ERROR:
            (code,) = schema.ERROR_CODE_STRUCT.unpack_from(event.payload)
            reason = event.payload[schema.ERROR_CODE_SIZE :].decode("utf-8")
            entry = ErrorCode.lookup(code)
            return f"ERROR {code} ({entry.wire_name if entry else 'unknown'}): {reason}"
    return "no ERROR frame"


def run_framing(framing: Framing, out: list[str]) -> None:
    """One server, one checksumming client, one misbehaving raw peer, in ``framing``."""
    with serve(
        ("127.0.0.1", 0), _echo, framing=framing, limits=SERVER_LIMITS, deadlines=DEADLINES
    ) as server:
        address = server.address
        assert not isinstance(address, str)
        out.append(f"[{framing.value}] echo server on {format_address(address)}")
        with connect(address, framing=framing, checksum=True, deadlines=DEADLINES) as client:
            peer = client.peer_limits
            assert peer is not None
            out.append(
                f"  handshake done: server accepts frames up to {peer.max_frame_size} bytes, "
                f"messages up to {peer.max_message_size} bytes"
            )
            hello = Message(0x40, b"hello, framewire", flags=3)
            client.send(hello)
            echoed = client.recv(timeout=5.0)
            out.append(
                f"  sent {hello.payload!r} with CRC-32C, echoed back intact: {echoed == hello}"
            )
            big = Message(0x41, bytes(range(250)) * 20)
            frames = len(Encoder(framing, max_frame_size=peer.max_frame_size).encode_frames(big))
            client.send(big)
            echoed = client.recv(timeout=5.0)
            out.append(
                f"  sent a {len(big.payload)}-byte message as {frames} frames; "
                f"received back whole: {echoed == big}"
            )
            rtt = client.ping(timeout=5.0)
            out.append(f"  PING answered by PONG in {rtt * 1000:.2f} ms")
        refusal = _show_oversized_frame_refused(address, framing)
        out.append(f"  a raw peer announces a {OVERSIZED}-byte frame; the server answers {refusal}")


def main() -> int:
    """Run the demo in both framings and print what happened."""
    lines: list[str] = []
    for framing in Framing:
        run_framing(framing, lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
