"""A large file sent as a stream of bounded, checksummed frames, and received as a stream."""

import hashlib
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from framewire import Limits, Options
from framewire.sync import StreamingChannel, connect, serve

FILE = 0x50  # our application type for "the content of a file"
PIECE = 64 * 1024
# No limit on a message's size, so this receiver MUST stream (FW-LIM-5); frames stay small.
RECEIVER = Options(limits=Limits(max_frame_size=PIECE, max_message_size=0))


def receive_files(directory: Path, report: list[str]) -> Callable[[StreamingChannel], None]:
    """A handler that writes each incoming message to a file piece by piece: never a whole
    file in memory."""

    def receive(channel: StreamingChannel) -> None:
        pieces = largest = 0
        digest = hashlib.sha256()
        with open(directory / "received.bin", "wb") as out:
            while (piece := channel.recv_piece()) is not None:  # one checked frame's payload
                out.write(piece.payload)
                digest.update(piece.payload)
                pieces, largest = pieces + 1, max(largest, len(piece.payload))
        report.append(f"receiver: {pieces} pieces, largest {largest} bytes")
        report.append(f"receiver: sha256 {digest.hexdigest()[:16]}")

    return receive


with tempfile.TemporaryDirectory() as name:
    directory = Path(name)
    source = directory / "video.bin"
    source.write_bytes(random.Random(7).randbytes(5 * 1024 * 1024))  # 5 MiB
    report: list[str] = []
    receiver = receive_files(directory, report)
    with (
        serve(("127.0.0.1", 0), receiver, options=RECEIVER, streaming=True) as server,
        connect(server.address, options=Options(checksum=True)) as channel,  # CRC-32C
    ):
        assert channel.peer_limits is not None
        print("sender: receiver accepts frames of", channel.peer_limits.max_frame_size)
        with channel.start_message(FILE) as message, source.open("rb") as file:
            while piece := file.read(100_000):  # pieces of any size: frames are cut to fit
                message.write(piece)
    # The client's close() waited for the receiver's end: the handler has returned.
    print("sender:   sha256", hashlib.sha256(source.read_bytes()).hexdigest()[:16])
    print(*report, sep="\n")
    print("files equal:", (directory / "received.bin").read_bytes() == source.read_bytes())
