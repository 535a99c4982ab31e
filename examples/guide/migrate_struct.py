"""Migration: from a hand-written struct length prefix to Framewire, on one server."""

import socket
import struct
import threading

from framewire import Encoder, Framing, Message
from framewire.sync import Channel


# --8<-- [start:before]
def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed inside a message")
        data += chunk
    return bytes(data)


def legacy_send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack("!I", len(payload)) + payload)


def legacy_recv(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!I", recv_exactly(sock, 4))  # any length, even 4 GiB
    return recv_exactly(sock, length)  # no deadline: a slow peer holds us forever


# --8<-- [end:before]


# --8<-- [start:after]
def framewire_handler(sock: socket.socket) -> None:
    with Channel(sock) as channel:  # the same connected socket, now with a session
        for message in channel:  # limits and deadlines are checked for us
            channel.send(Message(message.type, message.payload.upper()))


# --8<-- [end:after]


# --8<-- [start:both]
# b"\x89FW1L\r\n\x1a": a legacy 4-byte length never starts with 0x89 (that is > 2 GiB)
PREFACE = Encoder.preface(Framing.LENGTH_PREFIXED)


def handle(sock: socket.socket) -> None:
    """During the migration one port serves both: peek at the first byte to choose."""
    sock.settimeout(10.0)  # a peer that sends nothing must not hold the thread forever
    if sock.recv(1, socket.MSG_PEEK) == PREFACE[:1]:
        framewire_handler(sock)
    else:
        with sock:
            legacy_send(sock, legacy_recv(sock).upper())


# --8<-- [end:both]


with socket.create_server(("127.0.0.1", 0)) as listener:
    address = listener.getsockname()[:2]

    def accept_two() -> None:
        for _ in range(2):
            threading.Thread(target=handle, args=(listener.accept()[0],)).start()

    threading.Thread(target=accept_two).start()
    with socket.create_connection(address) as old_client:  # a client not yet migrated
        legacy_send(old_client, b"old protocol")
        print("legacy client got:", legacy_recv(old_client))
    with Channel(socket.create_connection(address)) as new_client:  # a migrated client
        new_client.send(Message(0x40, b"new protocol"))
        print("framewire client got:", new_client.recv(timeout=5.0))
