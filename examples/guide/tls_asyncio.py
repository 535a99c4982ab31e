"""The same exchange with asyncio, and what a client that trusts the wrong CA sees."""

import asyncio
import tempfile
from pathlib import Path

import trustme

from framewire import Message, TlsError
from framewire.aio import AsyncChannel, open_connection, start_server
from framewire.tls import client_context, server_context

TEXT = 0x40
folder = Path(tempfile.mkdtemp())
ca, stranger = trustme.CA(), trustme.CA()
ca.cert_pem.write_to_path(str(folder / "ca.pem"))
stranger.cert_pem.write_to_path(str(folder / "stranger.pem"))
issued = ca.issue_cert("localhost")
issued.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
issued.private_key_pem.write_to_path(str(folder / "server.key"))


async def shout(channel: AsyncChannel) -> None:
    async for message in channel:
        await channel.send(Message(TEXT, message.payload.upper()))


async def main() -> None:
    server_tls = server_context(str(folder / "server.pem"), str(folder / "server.key"))
    async with await start_server(("127.0.0.1", 0), shout, ssl=server_tls) as server:
        client_tls = client_context(str(folder / "ca.pem"))
        async with await open_connection(
            server.address, ssl=client_tls, server_hostname="localhost"
        ) as channel:
            await channel.send(Message(TEXT, b"hello over TLS"))
            reply = await channel.recv(timeout=5.0)
            print("client got:", reply)
        try:
            await open_connection(
                server.address,
                ssl=client_context(str(folder / "stranger.pem")),
                server_hostname="localhost",
            )
        except TlsError as error:
            print("refused:", error)


asyncio.run(main())
