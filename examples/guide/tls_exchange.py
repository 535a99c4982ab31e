"""A server and a client over TLS, with a test CA and certificate made on the spot."""

import tempfile
from pathlib import Path

import trustme  # test certificates only: `pip install trustme`

from framewire import Message
from framewire.sync import Channel, connect, serve
from framewire.tls import client_context, server_context

TEXT = 0x40

# A certificate authority and a certificate for "localhost", as PEM files.
folder = Path(tempfile.mkdtemp())
ca = trustme.CA()
ca.cert_pem.write_to_path(str(folder / "ca.pem"))
issued = ca.issue_cert("localhost", "127.0.0.1")
issued.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
issued.private_key_pem.write_to_path(str(folder / "server.key"))


def shout(channel: Channel) -> None:
    """Reads to the client's close_notify, then answers: its own direction is still open."""
    received = list(channel)
    for message in received:
        channel.send(Message(TEXT, message.payload.upper()))


server_tls = server_context(str(folder / "server.pem"), str(folder / "server.key"))
client_tls = client_context(str(folder / "ca.pem"))  # verification and hostname check on

with (
    serve(("127.0.0.1", 0), shout, ssl=server_tls) as server,
    connect(server.address, ssl=client_tls, server_hostname="localhost") as channel,
):
    channel.send(Message(TEXT, b"hello over TLS"))
    channel.send(Message(TEXT, b"and goodbye"))
    channel.close_write()  # sends close_notify: the clean end of our direction
    for reply in channel:  # until the server's close_notify
        print("client got:", reply.payload)
