"""The sans-I/O codec over a pipe: a stand-in for a serial port, read in any chunk size."""

import os
import threading

from framewire import END, Decoder, Encoder, FrameDropped, Framing, Message

SAMPLE = 0x42


def device(write_fd: int) -> None:
    """The sending side: encode each message, write the bytes 7 at a time, like a UART."""
    encoder = Encoder(Framing.DELIMITED, checksum=True)
    wire = b"\x00"  # a lone delimiter first, so a reader that joins finds a boundary
    wire += b"".join(encoder.encode(Message(SAMPLE, f"sample {n}".encode())) for n in range(3))
    wire += encoder.encode(Message(SAMPLE, bytes(range(256)) * 4))  # zero bytes are fine
    for start in range(0, len(wire), 7):
        os.write(write_fd, wire[start : start + 7])
    os.close(write_fd)  # the end of input


read_fd, write_fd = os.pipe()
threading.Thread(target=device, args=(write_fd,)).start()
decoder = Decoder(Framing.DELIMITED, hunting=True)  # as if we opened a live serial port
while True:
    with decoder.get_buffer(4096) as room:  # read straight into the decoder's buffer
        received = os.readv(read_fd, [room])
    if received == 0:
        decoder.feed_eof()
    else:
        decoder.buffer_updated(received)
    for event in decoder.next_events():  # every message completed by this read
        if isinstance(event, FrameDropped):
            print("dropped:", event.error)
        else:
            print(f"type 0x{event.type:02x}, {len(event.payload)} bytes: {event.payload[:8]!r}")
    if decoder.next_event() is END:
        break
os.close(read_fd)
