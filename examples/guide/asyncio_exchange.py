"""The asyncio client and server: three clients talk to one server at the same time."""

import asyncio

from framewire import Message
from framewire.aio import AsyncChannel, open_connection, start_server

TEXT = 0x40


async def shout(channel: AsyncChannel) -> None:
    """One task per connection; the handshake is done before it runs."""
    async for message in channel:  # ends at the client's clean end
        await channel.send(Message(TEXT, message.payload.upper()))


async def client(address: tuple[str, int] | str, words: list[str]) -> list[str]:
    """Send every word, say we are done, then read the replies until the server's end."""
    async with await open_connection(address) as channel:
        for word in words:
            await channel.send(Message(TEXT, word.encode()))
        await channel.close_write()  # half-close: we send nothing more, replies still come
        return [reply.payload.decode() async for reply in channel]


async def main() -> None:
    async with await start_server(("127.0.0.1", 0), shout) as server:
        results = await asyncio.gather(
            client(server.address, ["one", "two"]),
            client(server.address, ["three"]),
            client(server.address, ["four", "five", "six"]),
        )
    for number, replies in enumerate(results, start=1):
        print(f"client {number} got: {replies}")


asyncio.run(main())
