"""Choosing a framing: the same message in both, and what each does with damaged bytes."""

import os
import tempfile

from framewire import (
    Decoder,
    Encoder,
    FrameDropped,
    Framing,
    Message,
    Options,
    RemoteProtocolError,
)
from framewire.sync import Channel, connect, serve

READING = 0x41  # an application message type: a sensor reading
readings = [Message(READING, f"temperature={20 + n}.5".encode()) for n in range(4)]

# 1. The same frame, two framings: a length prefix, or COBS bytes ended by 0x00.
for framing in Framing:
    wire = Encoder(framing).encode(readings[0])
    print(f"{framing.value:>15}: {len(wire)} bytes, zero bytes inside: {wire[:-1].count(0)}")


# 2. Over a socket, the framing is one of the options; both ends must agree.
def echo(channel: Channel) -> None:
    for message in channel:
        channel.send(message)


with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "sensor.sock")  # a str address is a Unix socket
    options = Options(Framing.DELIMITED)
    with serve(path, echo, options=options), connect(path, options=options) as channel:
        channel.send(readings[0])
        print("echoed over a Unix socket:", channel.recv(timeout=5.0))


# 3. A serial line: the reader opens the port while the sender is mid-frame and one
#    byte is damaged later. Delimited framing drops what is bad and goes on.
def damaged_stream(framing: Framing) -> bytearray:
    """The four readings with a checksum each, and one bit flipped in the third's payload."""
    frames = [Encoder(framing, checksum=True).encode(reading) for reading in readings]
    stream = bytearray(b"".join(frames))
    stream[len(frames[0]) + len(frames[1]) + 12] ^= 0x10  # noise on the line
    return stream


print("delimited, joined late, one bit damaged:")
line = damaged_stream(Framing.DELIMITED)
decoder = Decoder(Framing.DELIMITED, hunting=True)  # skip up to the first 0x00
decoder.feed(line[7:])  # joined 7 bytes late: the first frame is lost
decoder.feed_eof()
for event in decoder.events():  # every event available now
    if isinstance(event, FrameDropped):
        print("  dropped:", event.error.name, event.error.statement)
    elif isinstance(event, Message):
        print("  received:", event.payload.decode())

# 4. The same damage in length-prefixed framing: the stream cannot be trusted any more.
print("length-prefixed, the same bit damaged:")
decoder = Decoder(Framing.LENGTH_PREFIXED)
decoder.feed(damaged_stream(Framing.LENGTH_PREFIXED))
try:
    for event in decoder.events():
        if isinstance(event, Message):
            print("  received:", event.payload.decode())
except RemoteProtocolError as error:
    print(f"  fatal: {error.name} ({error.statement}); nothing after it is decoded")
