"""Limits and deadlines: what a server does with peers that are hostile, slow or silent."""

import socket
from concurrent.futures import ThreadPoolExecutor

from framewire import (
    END,
    Deadlines,
    Encoder,
    Framing,
    Limits,
    Message,
    Options,
    PeerError,
    ProtocolError,
    UsageError,
)
from framewire.conformance import wire
from framewire.session import Session
from framewire.sync import Channel, connect, serve

LIMITS = Limits(max_frame_size=4096, max_message_size=16 * 1024)
# Short deadlines for the demonstration; the spec recommends 10 s, 30 s and 1 s.
DEADLINES = Deadlines(handshake=0.5, frame=0.5, linger=0.2)
HANDSHAKE = Encoder.preface(Framing.LENGTH_PREFIXED) + Encoder().hello(Limits())


def raw_peer(address: tuple[str, int], data: bytes) -> str:
    """Send `data` as a misbehaving peer would, then read everything the server answers."""
    with socket.create_connection(address, timeout=5.0) as sock:
        sock.sendall(data)
        answer = b"".join(iter(lambda: sock.recv(4096), b""))  # until the server's end
    session = Session()  # decode the server's answer with a session of our own
    session.receive_data(answer)
    session.receive_eof()
    try:
        while session.next_event() is not END:
            pass
    except PeerError as error:
        return f"ERROR {error.code} {error.name}"
    return "a clean end, no ERROR"


def echo(channel: Channel) -> None:
    for message in channel:
        channel.send(message)


with serve(("127.0.0.1", 0), echo, options=Options(limits=LIMITS), deadlines=DEADLINES) as server:
    address = server.address
    assert isinstance(address, tuple)
    attacks = {
        "claims a 4 GiB frame": HANDSHAKE + wire.frame(length=0xFFFF_FFFF),
        "sends 5 of 9 header bytes, stalls": HANDSHAKE + wire.frame(length=10)[:5],
        "connects and says nothing": b"",
    }
    with ThreadPoolExecutor() as pool:  # all at once: none delays another
        answers = pool.map(raw_peer, [address] * len(attacks), attacks.values())
        with connect(address) as polite:  # meanwhile a well-behaved client is served
            polite.send(Message(0x40, b"still here"))
            print("polite client got:", polite.recv(timeout=5.0))
            try:  # our side refuses to send what the server said it will not accept
                polite.send(Message(0x40, bytes(20_000)))
            except UsageError as error:
                print("refused locally:", error)
        for attack, answer in zip(attacks, answers, strict=True):
            print(f"peer that {attack}: {answer}")

print("server saw:", sorted(e.name for e in server.errors if isinstance(e, ProtocolError)))
