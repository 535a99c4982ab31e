"""A large file sent as a stream of bounded, checksummed frames, and received as a stream."""

import hashlib
import random
import socket
import tempfile
import threading
from pathlib import Path

from framewire import NEED_DATA, Fragment, Limits, Options, PeerClosed, RemoteProtocolError
from framewire.session import Session
from framewire.sync import connect

FILE = 0x50  # our application type for "the content of a file"
PIECE = 64 * 1024
# No limit on a message's size, so this receiver MUST stream (FW-LIM-5); frames stay small.
RECEIVER_LIMITS = Limits(max_frame_size=PIECE, max_message_size=0)


def receive_files(listener: socket.socket, directory: Path, report: list[str]) -> None:
    """Write each incoming message to a file piece by piece: never a whole file in memory."""
    sock, _ = listener.accept()
    session = Session(Options(limits=RECEIVER_LIMITS), assemble=False)
    sock.sendall(session.data_to_send())  # our preface and HELLO
    pieces = largest = 0
    digest = hashlib.sha256()
    with sock, open(directory / "received.bin", "wb") as out:
        try:
            while not isinstance(event := session.next_event(), PeerClosed):
                if event is NEED_DATA:
                    data = sock.recv(PIECE)
                    if data:
                        session.receive_data(data)
                    else:
                        session.receive_eof()
                elif isinstance(event, Fragment):  # one whole, checked frame's payload
                    out.write(event.payload)
                    digest.update(event.payload)
                    pieces, largest = pieces + 1, max(largest, len(event.payload))
        except RemoteProtocolError:
            sock.sendall(session.data_to_send())  # the ERROR frame the session queued
            raise
        session.close()  # we have nothing to send: half-close, after the clean end
        sock.sendall(session.data_to_send())
        sock.shutdown(socket.SHUT_WR)
    report.append(f"receiver: {pieces} pieces, largest {largest} bytes")
    report.append(f"receiver: sha256 {digest.hexdigest()[:16]}")


with tempfile.TemporaryDirectory() as name:
    directory = Path(name)
    source = directory / "video.bin"
    source.write_bytes(random.Random(7).randbytes(5 * 1024 * 1024))  # 5 MiB
    report: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        receiver = threading.Thread(target=receive_files, args=(listener, directory, report))
        receiver.start()
        with connect(listener.getsockname()[:2], Options(checksum=True)) as channel:  # CRC-32C
            assert channel.peer_limits is not None
            print("sender: receiver accepts frames of", channel.peer_limits.max_frame_size)
            with channel.send_stream(FILE) as outgoing, source.open("rb") as file:
                while chunk := file.read(100_000):  # any chunk size: frames are cut to fit
                    outgoing.write(chunk)
        receiver.join()
    print("sender:   sha256", hashlib.sha256(source.read_bytes()).hexdigest()[:16])
    print(*report, sep="\n")
    print("files equal:", (directory / "received.bin").read_bytes() == source.read_bytes())
