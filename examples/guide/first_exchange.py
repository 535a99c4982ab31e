"""A first exchange: a threaded server that answers in upper case, and a blocking client."""

from framewire import Message
from framewire.sync import Channel, connect, serve

TEXT = 0x40  # message types 0x40-0xFF are yours; the protocol uses 0x01-0x04


def shout(channel: Channel) -> None:
    """Runs in a thread per connection, after the handshake; returning closes cleanly."""
    for message in channel:  # ends when the client half-closes
        channel.send(Message(TEXT, message.payload.upper()))


with serve(("127.0.0.1", 0), shout) as server, connect(server.address) as channel:
    channel.send(Message(TEXT, b"hello, framewire"))
    print("client got:", channel.recv(timeout=5.0))
