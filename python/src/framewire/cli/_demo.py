"""``python -m framewire.cli._demo`` (``make demo``): one frame explained, then a real exchange.

It first takes one frame apart byte by byte (the frame of the home page), drawn from what
``framewire inspect`` reads in it. Then, for each framing, it starts an echo server on
127.0.0.1 (a free port) and connects a client that checksums its frames; the client sends
a short message and one larger than the server's frame size (so it travels as several
frames and comes back whole), checks liveness with PING, and a raw socket announces an
oversized frame to show the ERROR the server answers with. Everything goes over real TCP
sockets; nothing is simulated. The output names no port and no timing, so it is the same
on every run and the guide can show it as it is. The exit status is 1 if any step did not
give what the line says.
"""

from __future__ import annotations

import socket
import sys

from framewire._codec import schema
from framewire._codec.cobs_codec import cobs_encode
from framewire._codec.units import binary_size
from framewire.cli._annotate import diagram, inspect_stream
from framewire.deadlines import Deadlines
from framewire.decoder import Decoder
from framewire.encoder import Encoder
from framewire.errors import ErrorCode
from framewire.events import Message, Sentinel
from framewire.framing import Framing, Limits
from framewire.options import Options
from framewire.sync import Channel, connect, serve

SERVER_LIMITS = Limits(max_frame_size=1024)
"""The server takes frames of at most 1 KiB, so a 5000-byte message needs 5 frames."""
DEADLINES = Deadlines(handshake=5.0, frame=5.0, linger=0.5)
OVERSIZED = 2 * 1024 * 1024
"""What the misbehaving raw peer announces: 2 MiB, above the server's 1 KiB frames."""
FIRST_FRAME = Message(0x40, b"hello")
"""The frame the home page takes apart."""

NEXT_STEPS = (
    "Next: read spec/guide/index.md, or run `make docs` and open http://127.0.0.1:8000/guide/",
    "      try the command line: `.venv/bin/framewire --help` (or activate the venv:"
    " `. .venv/bin/activate`)",
)


class DemoStepError(Exception):
    """A step of the demo did not give what it shows."""


def _echo(channel: Channel) -> None:
    for message in channel:
        channel.send(message)


def _check(condition: bool, what: str) -> str:
    if not condition:
        raise DemoStepError(what)
    return what


def show_one_frame(out: list[str]) -> None:
    """The bytes of one frame, each field bracketed and named (as on the home page)."""
    data = Encoder().encode(FIRST_FRAME)
    (report,) = inspect_stream(data, Framing.LENGTH_PREFIXED, Limits())
    out.append(
        f"One frame: the message of type 0x{FIRST_FRAME.type:02x} with the payload "
        f"{FIRST_FRAME.payload.decode()!r}, in length-prefixed framing:"
    )
    out.append("")
    out += [f"  {line}" for line in diagram(report)]


def _oversized_header(framing: Framing, length: int) -> bytes:
    """A lone header announcing ``length`` payload bytes, framed for ``framing``."""
    header = schema.HEADER_STRUCT.pack(schema.MAGIC, schema.VERSION, 0, 0x40, length)
    return header if framing is Framing.LENGTH_PREFIXED else cobs_encode(header) + b"\x00"


def _error_code_answered(address: tuple[str, int], framing: Framing) -> int | None:
    """A raw socket announces a frame above the server's limit; the code of its ERROR."""
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
            code: int = schema.ERROR_CODE_STRUCT.unpack_from(event.payload)[0]
            return code
    return None


def run_framing(framing: Framing, out: list[str]) -> None:
    """One server, one checksumming client, one misbehaving raw peer, in ``framing``."""
    with serve(
        ("127.0.0.1", 0), _echo, options=Options(framing, SERVER_LIMITS), deadlines=DEADLINES
    ) as server:
        address = server.address
        assert not isinstance(address, str)
        out.append(f"{framing.value} framing, an echo server on 127.0.0.1:")
        options = Options(framing, checksum=True)
        with connect(address, options=options, deadlines=DEADLINES) as client:
            peer = client.peer_limits
            assert peer is not None
            out.append(
                f"  handshake done: the server accepts frames of up to {peer.max_frame_size} "
                f"bytes{binary_size(peer.max_frame_size)}"
            )
            hello = Message(0x40, b"hello, framewire", flags=3)
            client.send(hello)
            out.append(
                _check(
                    client.recv(timeout=5.0) == hello,
                    f"  {hello.payload.decode()!r} went out with a CRC-32C trailer and came "
                    "back intact",
                )
            )
            big = Message(0x41, bytes(range(250)) * 20)
            frames = len(Encoder(framing, max_frame_size=peer.max_frame_size).encode_frames(big))
            client.send(big)
            out.append(
                _check(
                    client.recv(timeout=5.0) == big,
                    f"  a {len(big.payload)}-byte message went out as {frames} frames and came "
                    "back whole",
                )
            )
            client.ping(timeout=5.0)
            out.append("  a PING came back as a PONG")
        code = _error_code_answered(address, framing)
        out.append(
            _check(
                code == ErrorCode.FRAME_TOO_LARGE,
                f"  a raw peer announced a {OVERSIZED}-byte frame: refused at its header, "
                f"ERROR {int(ErrorCode.FRAME_TOO_LARGE)} "
                f"({ErrorCode.FRAME_TOO_LARGE.wire_name})",
            )
        )


def main() -> int:
    """Print one frame taken apart, then run the exchange in both framings."""
    lines: list[str] = []
    show_one_frame(lines)
    try:
        for framing in Framing:
            lines.append("")
            run_framing(framing, lines)
    except DemoStepError as failed:
        print("\n".join(lines))
        print(f"demo FAILED: not true: {failed}", file=sys.stderr)
        return 1
    lines += ["", *NEXT_STEPS]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
