"""Checks of the entry points' arguments, made first, so that a mistake fails where it is
made, with a message that names the right call.

The options, and all after them, are keyword arguments; a call that gives them by
position (``connect(address, Options())``), or splits the address
(``connect("127.0.0.1", 7000)``), or puts the handler first
(``start_server(handler, host, port)``), is told the call it meant. Also here: what
the connect calls' ``timeout=`` means in terms of ``Deadlines``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from framewire.deadlines import Deadlines
from framewire.options import Options

__all__ = [
    "check_options",
    "client_call",
    "serial_call",
    "server_call",
    "with_connect_timeout",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _positional_checked(
    check: Callable[[str, tuple[Any, ...]], None],
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Run ``check(name, positional arguments)`` before the call: Python's own error for
    an argument too many ("takes 1 positional argument but 2 were given") names neither
    the mistake nor the fix. An ``async def`` stays one (the check runs when awaited)."""

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        name = function.__name__
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def checked_async(*args: Any, **kwargs: Any) -> Any:
                check(name, args)
                return await function(*args, **kwargs)

            return checked_async  # type: ignore[return-value]

        @functools.wraps(function)
        def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            check(name, args)
            return function(*args, **kwargs)

        return checked

    return decorate


def _keyword_options(call: str, before: str) -> TypeError:
    return TypeError(
        f"{call}() takes the options as a keyword argument: "
        f"{call}({before}, options=Options(Framing.DELIMITED))"
    )


def _check_client(call: str, args: tuple[Any, ...]) -> None:
    """``connect`` and ``open_connection``: ``(address, *, options=None, ...)``."""
    match args:
        case (str() as host, int() as port, *_) if not isinstance(port, bool):
            raise TypeError(
                f"{call}() takes the address as one value: {call}(({host!r}, {port})); "
                "the options come after it, as options=..."
            )
        case (_, _, *_):
            raise _keyword_options(call, "address")


def _check_server(call: str, args: tuple[Any, ...]) -> None:
    """``serve`` and ``start_server``: ``(address, handler, *, options=None, ...)``."""
    match args:
        case (first, handler, *rest) if callable(first) and not callable(handler):
            example: object = handler
            if isinstance(handler, str) and rest and isinstance(rest[0], int):
                example = (handler, rest[0])
            elif not isinstance(handler, tuple):
                example = ("127.0.0.1", 0)
            raise TypeError(
                f"{call}() takes the address first, then the handler: {call}({example!r}, handler)"
            )
        case (_, _, _, *_):
            raise _keyword_options(call, "address, handler")


def _check_serial(call: str, args: tuple[Any, ...]) -> None:
    """``framewire.serial.SerialLink.open``: ``(cls, port, baudrate=..., *, options=..., ...)``."""
    match args:
        case (_, _, _, _, *_):
            raise _keyword_options(f"SerialLink.{call}", "port, baudrate")


client_call = _positional_checked(_check_client)
"""For ``connect`` and ``open_connection``."""
server_call = _positional_checked(_check_server)
"""For ``serve`` and ``start_server``."""
serial_call = _positional_checked(_check_serial)
"""For ``framewire.serial.SerialLink.open``."""


def check_options(call: str, options: object) -> None:
    """``options=`` given, but not an ``Options``."""
    if options is not None and not isinstance(options, Options):
        raise TypeError(
            f"{call}(): options must be a framewire.Options, not {type(options).__name__}: "
            f"e.g. {call}(address, options=Options(Framing.DELIMITED))"
        )


def with_connect_timeout(deadlines: Deadlines | None, timeout: float | None) -> Deadlines | None:
    """The deadlines of a connect given ``timeout=``: the handshake deadline, which already
    bounds the TCP connect, the TLS handshake and Framewire's, becomes ``timeout``."""
    if timeout is None:
        return deadlines
    return dataclasses.replace(deadlines or Deadlines(), handshake=timeout)
