"""Errors: which exception means what, reading its code and statement, and what is fatal."""

import os
import tempfile

from framewire import (
    Decoder,
    Encoder,
    ErrorCode,
    FramewireError,
    LocalFailureError,
    Message,
    PeerError,
    ProtocolError,
    RemoteProtocolError,
    Session,
    TransportError,
    UsageError,
)
from framewire.sync import Channel, connect, serve

# 1. The peer's bytes break the spec: a RemoteProtocolError; its code says which fault.
wire = bytearray(Encoder(checksum=True).encode(Message(0x40, b"data")))
wire[10] ^= 0x01  # one bit flipped in the payload
decoder = Decoder()
decoder.feed(wire)
try:
    decoder.next_event()
except RemoteProtocolError as error:
    print(f"checksum? {error.code is ErrorCode.CHECKSUM_MISMATCH}: code={int(error.code)}")
    print(f"name={error.name} statement={error.statement}")
    print(f"recoverable={error.recoverable} message: {error}")
    first_error = error
try:  # length-prefixed errors are fatal: the decoder answers every later call the same
    decoder.next_event()
except ProtocolError as again:  # the base of the peer's and our own registry failures
    print("same error again:", again is first_error)

# 2. The registry is data: look a code up by number or by name.
code = ErrorCode.from_name("frame-too-large")
print(f"{int(code)} {code.wire_name} {code.statements} sends ERROR: {code.sends_error_frame}")
print("a code we do not know:", ErrorCode.lookup(4242))


# 3. The peer failed the connection with an ERROR frame: a PeerError, fatal too.
def refuse(channel: Channel) -> None:
    channel.recv()
    channel.fail(detail="the database is down")  # internal-error (305) by default


with serve(("127.0.0.1", 0), refuse) as server, connect(server.address) as channel:
    channel.send(Message(0x40, b"query"))
    try:
        channel.recv(timeout=5.0)
    except PeerError as error:
        print(f"peer sent ERROR {error.code} ({error.name}): {error.reason}")
    try:
        channel.send(Message(0x40, b"retry"))
    except FramewireError as error:
        print("the connection stays failed:", type(error).__name__)

# 4. Our own side gives up (fail(), or a deadline of ours): a LocalFailureError, with the
# same fields; the peer gets an ERROR frame with its code.
session = Session()
try:
    session.fail(ErrorCode.INTERNAL_ERROR, "out of disk space")
except LocalFailureError as error:
    print(f"we gave up: {error.name} ({int(error.code)}); {isinstance(error, ProtocolError)=}")

# 5. Our own mistake: a UsageError, raised before anything is sent; no registry code.
try:
    Encoder().encode(Message(0x10, b"types 0x05-0x3F are reserved"))
except UsageError as error:
    print("our mistake:", error)

# 6. The connection broke below Framewire (refused, reset, broken pipe): TransportError.
with tempfile.TemporaryDirectory() as directory:
    os.chdir(directory)  # the error names the address: keep it short and relative
    try:
        connect("nobody-listens.sock")
    except TransportError as error:
        print("transport:", error)
