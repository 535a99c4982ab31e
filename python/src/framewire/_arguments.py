"""Checks of the entry points' arguments, made first, so that a mistake fails where it is
made, with a message that names the right call.

Without them ``connect("127.0.0.1", 7000)`` and ``start_server(handler, host, port)`` got
as far as ``AttributeError: 'int' object has no attribute 'limits'``. Also here: what
the connect calls' ``timeout=`` means in terms of ``Deadlines``.
"""

from __future__ import annotations

import dataclasses

from framewire.deadlines import Deadlines
from framewire.options import Options

__all__ = ["check_client_call", "check_server_call", "with_connect_timeout"]


def check_client_call(call: str, address: object, options: object) -> None:
    """``connect`` and ``open_connection``: ``(address, options=None, *, ...)``."""
    if isinstance(address, str) and isinstance(options, int) and not isinstance(options, bool):
        raise TypeError(
            f"{call}() takes the address as one value: {call}(({address!r}, {options})); "
            "the options come after it"
        )
    _check_options(call, options)


def check_server_call(call: str, address: object, handler: object, options: object) -> None:
    """``serve`` and ``start_server``: ``(address, handler, options=None, *, ...)``."""
    if callable(address) and not callable(handler):
        example = handler
        if isinstance(handler, str) and isinstance(options, int):
            example = (handler, options)
        elif not isinstance(handler, tuple):
            example = ("127.0.0.1", 0)
        raise TypeError(
            f"{call}() takes the address first, then the handler: {call}({example!r}, handler)"
        )
    _check_options(call, options)


def _check_options(call: str, options: object) -> None:
    if options is not None and not isinstance(options, Options):
        raise TypeError(
            f"{call}(): options must be a framewire.Options, not {type(options).__name__}: "
            f"e.g. {call}(address, Options(Framing.DELIMITED))"
        )


def with_connect_timeout(deadlines: Deadlines | None, timeout: float | None) -> Deadlines | None:
    """The deadlines of a connect given ``timeout=``: the handshake deadline, which already
    bounds the TCP connect, the TLS handshake and Framewire's, becomes ``timeout``."""
    if timeout is None:
        return deadlines
    return dataclasses.replace(deadlines or Deadlines(), handshake=timeout)
