"""The sans-I/O Session driven by hand: your own loop and transport, any socket-like pipe."""

import socket
import threading

from framewire import NEED_DATA, Message, PeerClosed, PeerHello, PongReceived
from framewire.session import Session
from framewire.sync import Channel

NOTE = 0x40


def other_peer(sock: socket.socket) -> None:
    """The far end is an ordinary blocking Channel: both ends speak the same protocol."""
    with Channel(sock) as channel:
        for message in channel:
            channel.send(Message(NOTE, message.payload[::-1]))


ours, theirs = socket.socketpair()  # or a serial port, a TLS stream, a QUIC stream ...
threading.Thread(target=other_peer, args=(theirs,)).start()

session = Session()  # pure state machine: bytes in, events out; it never touches a socket
ping_data = b""
with ours:
    while True:
        if outgoing := session.data_to_send():  # after every step: whatever it queued
            ours.sendall(outgoing)  # (the first time: our preface and HELLO)
        event = session.next_event()
        if event is NEED_DATA:
            with session.get_buffer(65536) as room:
                received = ours.recv_into(room)
            if received:
                session.buffer_updated(received)
            else:
                session.receive_eof()
        elif isinstance(event, PeerHello):  # the handshake is done: we may send now
            print("peer accepts frames up to", event.max_frame_size, "bytes")
            ping_data = session.ping()  # is anyone there? (the PONG comes back by itself)
        elif isinstance(event, PongReceived):
            print("pong answers our ping:", event.data == ping_data)
            session.send(Message(NOTE, b"stressed"))
        elif isinstance(event, Message):
            print("got:", event.payload.decode())
            session.close_write()  # nothing more to send: flush, then half-close (FW-CLS-1)
            ours.sendall(session.data_to_send())
            ours.shutdown(socket.SHUT_WR)
        elif isinstance(event, PeerClosed):
            print("peer closed cleanly; state:", session.state.value)
            break
