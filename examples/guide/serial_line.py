"""A host talks Framewire to a device over a serial line (a pseudo-terminal pair here)."""

import os
import tty

from framewire import Decoder, Encoder, Framing, Options
from framewire.events import FrameDropped, Message
from framewire.serial import SerialLink

# The pty pair stands in for the cable: the host opens the slave end like any serial
# port (/dev/ttyUSB0, COM3), the device reads and writes the master end.
device, port = os.openpty()
tty.setraw(port)
device_encoder = Encoder(Framing.DELIMITED, checksum=True)
readings = [
    device_encoder.encode(Message(0x40, f"temp {t}".encode())) for t in (21.5, 21.6, 21.7, 21.8)
]

with SerialLink.open(
    os.ttyname(port), 115200, options=Options(Framing.DELIMITED, checksum=True)
) as link:
    # The host joins while the device is in the middle of its first reading...
    os.write(device, readings[0][6:])
    # ...and the line flips one bit of the third.
    damaged = bytearray(readings[2])
    damaged[12] ^= 0x10
    os.write(device, readings[1] + damaged + readings[3])
    for _ in range(3):
        event = link.recv(timeout=5)
        if isinstance(event, FrameDropped):
            print(f"host: dropped a frame: {event.error.name} ({event.error.statement})")
        elif event is not None:
            print(f"host: received {event.payload.decode()}")

    link.send(Message(0x41, b"interval 10s"))
    device_decoder = Decoder(Framing.DELIMITED)
    while not isinstance(command := device_decoder.next_event(), Message):
        device_decoder.feed(os.read(device, 4096))
    print(f"device: received {command.payload.decode()}")
os.close(device)
