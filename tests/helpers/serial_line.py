"""A serial line for tests: two pseudo-terminals joined by a relay that can damage bytes.

``SerialLine()`` opens two pty pairs. Each end's slave device (``line.ports``) is what a
program opens as its serial port; a thread copies bytes from one master to the other in
both directions, passing each chunk through ``damage`` first. Closing the line closes
the masters, which the programs see as a hang-up.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from collections.abc import Callable
from types import TracebackType
from typing import Self

Damage = Callable[[int, bytes], bytes]
"""(offset of the chunk in its direction's stream, chunk) -> the bytes to pass on."""


def intact(offset: int, chunk: bytes) -> bytes:
    """A perfect line."""
    return chunk


def overwrite(start: int, junk: bytes) -> Damage:
    """A line that replaces the bytes at stream offsets [start, start + len(junk))."""

    def damage(offset: int, chunk: bytes) -> bytes:
        data = bytearray(chunk)
        for index in range(len(data)):
            position = offset + index - start
            if 0 <= position < len(junk):
                data[index] = junk[position]
        return bytes(data)

    return damage


class SerialLine:
    """Two pty pairs and a relay thread between their masters."""

    def __init__(self, damage: Damage = intact) -> None:
        self._damage = damage
        self._pairs = [os.openpty(), os.openpty()]
        for _, slave in self._pairs:
            tty.setraw(slave)  # no echo, no line editing, before any program opens it
        self.ports = tuple(os.ttyname(slave) for _, slave in self._pairs)
        self._stop_read, self._stop_write = os.pipe()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        masters = [master for master, _ in self._pairs]
        offsets = dict.fromkeys(masters, 0)
        peer = {masters[0]: masters[1], masters[1]: masters[0]}
        while True:
            readable, _, _ = select.select([*masters, self._stop_read], [], [])
            if self._stop_read in readable:
                return
            for master in readable:
                chunk = os.read(master, 4096)  # never EIO: this object holds the slaves open
                os.write(peer[master], self._damage(offsets[master], chunk))
                offsets[master] += len(chunk)

    def close(self) -> None:
        """Stop the relay and hang up both ports (again: nothing)."""
        if not self._thread.is_alive():
            return
        os.write(self._stop_write, b"x")
        self._thread.join()
        for descriptor in (*(fd for pair in self._pairs for fd in pair), self._stop_read):
            with contextlib.suppress(OSError):
                os.close(descriptor)
        os.close(self._stop_write)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
