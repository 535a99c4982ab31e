"""Using every core: worker processes that share one port (SO_REUSEPORT, Linux).

Each worker is a complete asyncio server in its own process; the kernel spreads new
connections over them. The port is chosen once, by a socket that is bound but never
listens, so that every worker can listen on the same free port.
"""

import asyncio
import multiprocessing
import os
import signal
import socket
from multiprocessing.synchronize import Event

from framewire import Message
from framewire.aio import AsyncChannel, open_connection, start_server

WORKERS = 2
CLIENTS = 20
TEXT = 0x40


async def answer(channel: AsyncChannel) -> None:
    """Reply to each message with the id of the process that served it."""
    async for _ in channel:
        await channel.send(Message(TEXT, str(os.getpid()).encode()))


async def serve(port: int, ready: Event) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    server = await start_server(("127.0.0.1", port), answer, reuse_port=True)
    ready.set()
    await stop.wait()
    await server.shutdown(timeout=5.0)  # let exchanges under way finish


def worker(port: int, ready: Event) -> None:
    asyncio.run(serve(port, ready))


async def ask(port: int) -> str:
    async with await open_connection(("127.0.0.1", port)) as channel:
        await channel.send(Message(TEXT, b"who are you?"))
        reply = await channel.recv()
    assert reply is not None
    return reply.payload.decode()


async def clients(port: int) -> set[str]:
    return set(await asyncio.gather(*(ask(port) for _ in range(CLIENTS))))


def main() -> None:
    with socket.socket() as reservation:
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reservation.bind(("127.0.0.1", 0))  # bound, never listening: it takes no connection
        port = reservation.getsockname()[1]
        events = [multiprocessing.Event() for _ in range(WORKERS)]
        processes = [multiprocessing.Process(target=worker, args=(port, e)) for e in events]
        for process in processes:
            process.start()
        for event in events:
            event.wait(10)
        answered_by = asyncio.run(clients(port))
        for process in processes:
            process.terminate()  # SIGTERM: each worker shuts down gracefully
            process.join()
    print(f"{CLIENTS} connections, answered by {len(answered_by)} worker processes")
    print("exit codes:", [process.exitcode for process in processes])


if __name__ == "__main__":
    main()
