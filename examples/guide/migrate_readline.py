"""Migration: from "read until newline" to Framewire, where a message may hold any byte."""

import socket
import threading

from framewire import Limits, Message, Options, UsageError
from framewire.sync import Channel

REPORT = b"line one\nline two"  # a message that contains the delimiter


# --8<-- [start:before]
def before(sock: socket.socket) -> list[bytes]:
    """One message per line: a newline inside a message splits it in two."""
    with sock, sock.makefile("rb") as lines:
        return [line.rstrip(b"\n") for line in lines]  # no bound on a line's length


# --8<-- [end:before]


# --8<-- [start:after]
def after(sock: socket.socket) -> list[bytes]:
    """One message per message: its bytes are never inspected, and its size is bounded."""
    with Channel(sock, Options(limits=Limits(max_message_size=64 * 1024))) as channel:
        return [message.payload for message in channel]


# --8<-- [end:after]


old_ours, old_theirs = socket.socketpair()
with old_theirs:
    old_theirs.sendall(REPORT + b"\n")
    old_theirs.shutdown(socket.SHUT_WR)
    print("read until newline:", before(old_ours))

new_ours, new_theirs = socket.socketpair()
received: list[list[bytes]] = []
reader = threading.Thread(target=lambda: received.append(after(new_ours)))
reader.start()
with Channel(new_theirs) as sender:
    sender.send(Message(0x40, REPORT))
    try:
        sender.send(Message(0x40, b"x" * 100_000))  # the reader said: at most 64 KiB
    except UsageError as error:
        print("too long for the reader:", error)
reader.join()
print("framewire:", received[0])
