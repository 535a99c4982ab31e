"""The asyncio echo server of tests/helpers/aio_echo_server.py, but keeping every message it
echoes: a leak, which tests/hostile/test_soak_verdict.py shows the soak's verdict fails.

    python tests/soak/leaky_echo_server.py ADDRESS [the options of aio_echo_server.py]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import io_peers

from framewire.aio import AsyncChannel
from framewire.events import Message

KEPT: list[Message] = []


async def keeping_echo(channel: AsyncChannel) -> None:
    """Echo as the honest server does, and keep each message for good."""
    async for message in channel:
        KEPT.append(message)
        await channel.send(message)


if __name__ == "__main__":
    io_peers.async_echo = keeping_echo  # before aio_echo_server takes it
    from helpers import aio_echo_server

    aio_echo_server.main()
