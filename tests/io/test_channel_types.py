"""``Options``, and the channel types that ``streaming`` chooses.

``connect``/``serve`` and ``open_connection``/``start_server`` hand out a channel that
assembles messages, or with ``streaming=True`` one that receives them in pieces; each has
only its own receive methods. The exchanges run over real loopback sockets. When
``make typecheck`` (mypy --strict) reads this file, the ``assert_type`` calls check the
overloads, and the ``type: ignore[attr-defined]`` on each call of the other type's
method checks that it is a type error (an ignore that is no longer needed fails mypy).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import assert_type

import pytest

import framewire
from framewire import (
    ErrorCode,
    Framing,
    Limits,
    Message,
    Options,
    PeerError,
    Piece,
    UsageError,
)
from framewire.aio import AsyncChannel, AsyncStreamingChannel, open_connection, start_server
from framewire.sync import Channel, StreamingChannel, connect, serve

DATA = 0x40
LOOPBACK = ("127.0.0.1", 0)
ASSEMBLING_METHODS = {"recv", "__iter__"}
ASYNC_ASSEMBLING_METHODS = {"recv", "recv_batch", "__aiter__", "__anext__"}


def test_options_defaults_and_export() -> None:
    options = Options()
    assert (options.framing, options.limits, options.checksum) == (
        Framing.LENGTH_PREFIXED,
        Limits(),
        False,
    )
    assert framewire.Options is Options
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.checksum = True  # type: ignore[misc]
    assert not hasattr(options, "__dict__")  # slotted


@pytest.mark.parametrize(
    ("field", "value"),
    [("framing", 1), ("limits", 65536), ("checksum", 1)],
)
def test_options_refuse_a_value_of_the_wrong_type(field: str, value: object) -> None:
    with pytest.raises(TypeError, match=f"Options.{field} must be"):
        Options(**{field: value})  # type: ignore[arg-type]


def type_name_reply(channel: Channel | StreamingChannel, received: Message | Piece) -> None:
    """Answer with the name of the handler's channel type and what it received."""
    reply = f"{type(channel).__name__}:{type(received).__name__}".encode()
    channel.send(Message(DATA, reply))


def assembling_handler(channel: Channel) -> None:
    for message in channel:
        type_name_reply(channel, message)


def streaming_handler(channel: StreamingChannel) -> None:
    while (piece := channel.recv_piece()) is not None:
        type_name_reply(channel, piece)


def test_sync_channel_types_and_their_receive_methods() -> None:
    with serve(LOOPBACK, assembling_handler) as server:
        with connect(server.address) as channel:
            assert_type(channel, Channel)
            assert type(channel) is Channel
            assert all(hasattr(channel, name) for name in ASSEMBLING_METHODS)
            with pytest.raises(AttributeError):
                channel.recv_piece()  # type: ignore[attr-defined]
            channel.send(Message(DATA, b"whole"))
            assert channel.recv(timeout=5) == Message(DATA, b"Channel:Message")
        unlimited = Options(limits=Limits(max_message_size=0))
        with connect(server.address, options=unlimited, streaming=True) as streaming:
            assert_type(streaming, StreamingChannel)
            assert type(streaming) is StreamingChannel
            assert not any(hasattr(streaming, name) for name in ASSEMBLING_METHODS)
            with pytest.raises(AttributeError):
                streaming.recv()  # type: ignore[attr-defined]
            streaming.send(Message(DATA, b"piece"))
            assert streaming.recv_piece(timeout=5) == Piece(DATA, 0, b"Channel:Message", True, True)
        assert server.errors == []


def test_sync_server_hands_a_streaming_channel_to_its_handler() -> None:
    with (
        serve(LOOPBACK, streaming_handler, streaming=True) as server,
        connect(server.address) as channel,
    ):
        channel.send(Message(DATA, b"x"))
        assert channel.recv(timeout=5) == Message(DATA, b"StreamingChannel:Piece")
    assert server.errors == []


def test_a_handler_for_the_other_channel_type_is_refused_by_mypy_and_fails_at_run_time() -> None:
    """``serve`` types its handler's parameter by ``streaming``: mypy refuses a streaming
    handler on an assembling server (the ignore below is checked: ``make typecheck`` fails
    once it is not needed), and at run time that handler finds no ``recv_piece()``."""
    with (
        serve(LOOPBACK, streaming_handler) as server,  # type: ignore[arg-type]
        connect(server.address) as channel,
    ):
        channel.send(Message(DATA, b"x"))
        with pytest.raises(PeerError) as failure:
            channel.recv(timeout=5)
    assert failure.value.code == ErrorCode.INTERNAL_ERROR  # not a clean end (FW-ERR-6)
    assert "recv_piece" not in failure.value.reason  # the exception stays the server's
    assert [type(error) for error in server.errors] == [AttributeError]


def test_no_message_limit_needs_streaming_and_says_how() -> None:
    unlimited = Options(limits=Limits(max_message_size=0))
    with pytest.raises(UsageError, match=r"streaming=True.*FW-LIM-5"):
        connect(LOOPBACK, options=unlimited)
    with pytest.raises(UsageError, match=r"streaming=True.*FW-LIM-5"):
        serve(LOOPBACK, assembling_handler, options=unlimited)


async def async_type_name_reply(
    channel: AsyncChannel | AsyncStreamingChannel, received: Message | Piece
) -> None:
    reply = f"{type(channel).__name__}:{type(received).__name__}".encode()
    await channel.send(Message(DATA, reply))


async def async_assembling_handler(channel: AsyncChannel) -> None:
    async for message in channel:
        await async_type_name_reply(channel, message)


async def async_streaming_handler(channel: AsyncStreamingChannel) -> None:
    while (piece := await channel.recv_piece()) is not None:
        await async_type_name_reply(channel, piece)


def test_async_channel_types_and_their_receive_methods() -> None:
    async def scenario() -> None:
        async with await start_server(LOOPBACK, async_assembling_handler) as server:
            async with await open_connection(server.address) as channel:
                assert_type(channel, AsyncChannel)
                assert type(channel) is AsyncChannel
                assert all(hasattr(channel, name) for name in ASYNC_ASSEMBLING_METHODS)
                with pytest.raises(AttributeError):
                    await channel.recv_piece()  # type: ignore[attr-defined]
                await channel.send(Message(DATA, b"whole"))
                assert await channel.recv(timeout=5) == Message(DATA, b"AsyncChannel:Message")
            async with await open_connection(server.address, streaming=True) as streaming:
                assert_type(streaming, AsyncStreamingChannel)
                assert type(streaming) is AsyncStreamingChannel
                assert not any(hasattr(streaming, name) for name in ASYNC_ASSEMBLING_METHODS)
                with pytest.raises(AttributeError):
                    await streaming.recv_batch()  # type: ignore[attr-defined]
                await streaming.send(Message(DATA, b"piece"))
                assert await streaming.recv_piece(timeout=5) == Piece(
                    DATA, 0, b"AsyncChannel:Message", True, True
                )
            assert server.errors == []

    asyncio.run(scenario())


def test_async_server_hands_a_streaming_channel_to_its_handler() -> None:
    async def scenario() -> None:
        async with (
            await start_server(LOOPBACK, async_streaming_handler, streaming=True) as server,
            await open_connection(server.address) as channel,
        ):
            await channel.send(Message(DATA, b"x"))
            reply = await channel.recv(timeout=5)
            assert reply == Message(DATA, b"AsyncStreamingChannel:Piece")
        assert server.errors == []

    asyncio.run(scenario())


def test_a_client_block_that_raises_fails_the_connection_with_internal_error() -> None:
    """Leaving ``with connect(...)`` by an exception is the application giving up: the
    server's handler sees ``internal-error`` (FW-ERR-6), not the clean end of a finished
    exchange."""
    seen: list[BaseException] = []

    def handler(channel: Channel) -> None:
        try:
            channel.recv(timeout=5)
        except PeerError as error:
            seen.append(error)

    with serve(LOOPBACK, handler) as server:
        with pytest.raises(ZeroDivisionError), connect(server.address):
            _ = 1 / 0
        server.shutdown()
    assert [(type(error), getattr(error, "code", None)) for error in seen] == [
        (PeerError, ErrorCode.INTERNAL_ERROR)
    ]


def test_async_handler_that_raises_fails_the_connection_with_internal_error() -> None:
    async def failing_handler(channel: AsyncChannel) -> None:
        await channel.recv(timeout=5)
        raise ValueError("a secret the peer must not read")

    async def scenario() -> None:
        async with (
            await start_server(LOOPBACK, failing_handler) as server,
            await open_connection(server.address) as channel,
        ):
            await channel.send(Message(DATA, b"x"))
            with pytest.raises(PeerError) as failure:
                await channel.recv(timeout=5)
        assert failure.value.code == ErrorCode.INTERNAL_ERROR
        assert "secret" not in failure.value.reason
        assert [type(error) for error in server.errors] == [ValueError]

    asyncio.run(scenario())
