"""What the ``framewire`` command's subcommands share: messages in their JSON form, input
read from a file or standard input, frames and messages printed, the exit statuses.

The socket and serial subcommands (``framewire.cli._send``, ``framewire.cli._serial``)
read and print messages as ``framewire.cli`` does. With these here, below all three,
neither imports the command line that imports it.
"""

from __future__ import annotations

import json
import string
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

from framewire._cli_options import UsageError
from framewire.cli._annotate import FrameReport
from framewire.errors import RemoteProtocolError
from framewire.events import Message

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


# --- JSON messages --------------------------------------------------------------------


def message_from_json(obj: object) -> Message:
    """Build a Message from its JSON form (see framewire.cli)."""
    if not isinstance(obj, dict):
        raise UsageError(f"a message must be a JSON object, got {json.dumps(obj)}")
    unknown = set(obj) - {"type", "flags", "payload", "payload_hex", "conn"}
    if unknown:
        raise UsageError(f"unknown message keys {sorted(unknown)}")
    if "type" not in obj:
        raise UsageError(f"a message needs a 'type' (64-255 for data) in {json.dumps(obj)}")
    frame_type, flags = obj["type"], obj.get("flags", 0)
    for key, value in (("type", frame_type), ("flags", flags)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise UsageError(f"'{key}' must be an integer, not {json.dumps(value)}")
    if "payload" in obj and "payload_hex" in obj:
        raise UsageError("give 'payload' or 'payload_hex', not both")
    text, hex_text = obj.get("payload", ""), obj.get("payload_hex")
    if hex_text is not None:
        if not isinstance(hex_text, str):
            raise UsageError("'payload_hex' must be a string of hex digits")
        payload = parse_hex(hex_text, "'payload_hex'")
    elif isinstance(text, str):
        payload = text.encode("utf-8")
    else:
        raise UsageError("'payload' must be a string")
    return Message(frame_type, payload, flags)


def message_to_json(message: Message) -> dict[str, Any]:
    """The JSON form of a message: the payload as text when it is printable UTF-8."""
    obj: dict[str, Any] = {"type": message.type, "flags": message.flags}
    try:
        text = message.payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(char.isprintable() or char in "\t\n\r" for char in text):
        obj["payload"] = text
    else:
        obj["payload_hex"] = message.payload.hex()
    return obj


def error_to_json(error: RemoteProtocolError) -> dict[str, Any]:
    """A protocol error as JSON, with its registry code, name and statement (FW-ERR-7)."""
    return {
        "code": int(error.code),
        "name": error.name,
        "statement": error.statement,
        "detail": error.detail,
    }


def read_messages(text: str) -> Iterator[Message]:
    """Messages from JSON lines, or from one JSON array."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            items = json.loads(stripped)
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise UsageError(f"input is not JSON messages: {exc}") from None
    for item in items:
        yield message_from_json(item)


def parse_hex(text: str, what: str = "the input", hint: str = "") -> bytes:
    """Bytes from hex digits (whitespace ignored); a usage error says where and why not,
    and ``hint`` what else the input may be."""
    stripped = text.lstrip()
    if stripped[:2].lower() == "0x":
        raise UsageError(f"{what} starts with '0x': give the hex digits alone, e.g. 4657...")
    if stripped[:1] in ("{", "["):
        raise UsageError(
            f"{what} looks like JSON, not hex: JSON messages are the input of "
            "'framewire encode' and 'framewire send'"
        )
    for line_number, line in enumerate(text.splitlines(), start=1):
        for column, char in enumerate(line, start=1):
            if not (char in string.hexdigits or char.isspace()):
                raise UsageError(
                    f"{what} is not hex: {char!a} at line {line_number}, column {column}{hint}"
                )
    digits = "".join(text.split())
    if len(digits) % 2:
        raise UsageError(f"{what} has an odd number of hex digits ({len(digits)}): a byte is two")
    try:
        return bytes.fromhex(digits)
    except ValueError:  # a digit pair split by whitespace, as in "4 6"
        raise UsageError(f"{what} is not hex: whitespace inside a byte's two digits") from None


# --- input and output ---------------------------------------------------------------------------


class JsonLines:
    """Prints one JSON object per line; safe to share between connection threads."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def print(self, obj: object) -> None:
        with self._lock:
            self._stream.write(json.dumps(obj) + "\n")
            self._stream.flush()


def read_input(path: str) -> bytes:
    """The bytes of the named file, or of standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def read_text(path: str, hint: str) -> str:
    """The input as UTF-8 text; binary input is a usage error that says what to do."""
    data = read_input(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        name = "standard input" if path == "-" else path
        raise UsageError(
            f"{name} is not text: byte 0x{data[exc.start]:02x} at offset {exc.start} is not "
            f"UTF-8 ({hint})"
        ) from None


def read_frames(path: str, raw: bool) -> bytes:
    """Frames from a file or standard input: raw bytes, or hex text (whitespace ignored)."""
    if raw:
        return read_input(path)
    text = read_text(path, "frames are read as hex digits; add --raw for bytes")
    return parse_hex(text, hint="; for raw bytes, add --raw")


def read_json_messages(path: str) -> list[Message]:
    """The messages of the named file, or of standard input for ``-``, as JSON."""
    return list(read_messages(read_text(path, "JSON messages are expected")))


BYTES_COLUMN = 28
"""The least width of inspect's bytes column: a header field with room to spare."""


def print_report(console: Console, report: FrameReport, width: int = BYTES_COLUMN) -> None:
    """One frame of ``framewire inspect``: its fields, each with its verdict, and its error."""
    console.print(f"[bold]{escape(report.title)}[/bold]  [dim]@{report.offset}[/dim]")
    for field in report.fields:
        verdict = ""
        if field.ok is True:
            verdict = " [green]ok[/green]"
        elif field.ok is False:
            verdict = " [red]BAD[/red]"
        console.print(
            f"  [cyan]{field.offset:>8}[/cyan]  {escape(field.hex):<{width}} "
            f"[bold]{escape(field.name):<9}[/bold] {escape(field.meaning)}{verdict}"
        )
    if report.error is not None:
        error = report.error
        console.print(
            f"  [red bold]error {int(error.code)} {error.name}[/red bold] "
            f"([yellow]{error.statement}[/yellow]): {escape(error.detail)}"
        )
