"""The reference adapter: framewire's Decoder, Encoder and Session behind spec 10.3.

Run it as ``python -m framewire.conformance.adapter``; the runner starts it with
``--adapter``. It is also the base of the deliberately broken adapters in the test suite:
each overrides one hook (`new_decoder`, `feed`, `fatal_reply`, ...) or patches one
function of the implementation, so that it is wrong in exactly one way.

The adapter holds no protocol logic: it turns requests into API calls and API results
into replies, nothing more (spec 10.3).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

from framewire import __version__
from framewire.decoder import Decoder
from framewire.encoder import Encoder
from framewire.errors import PeerError, ProtocolError, RemoteProtocolError
from framewire.events import (
    END,
    NEED_DATA,
    FrameDropped,
    Message,
    PeerClosed,
    PeerHello,
    Piece,
    PingReceived,
)
from framewire.framing import Framing, Limits
from framewire.options import Options
from framewire.session import Session

PROTOCOL_VERSIONS = (1, 2)
"""The adapter protocol versions this adapter speaks (FW-CNF-10); it answers the latest
the runner offers."""
Reply = dict[str, Any]

DECODE_PATHS = ("feed+events", "feed+next_events", "buffer+next_event", "buffer+next_events")
"""The decoder's receive paths (FW-CNF-31): bytes in by feed() or by get_buffer() and
buffer_updated() (the transports' path), events out through the events() iterator
(which applications use), one by one, or in batches."""
SESSION_PATHS = (
    "receive_data+next_event",
    "receive_data+next_events",
    "buffer+next_event",
    "buffer+next_events",
)
"""The session's receive paths, the same four ways."""


def message_json(message: Message) -> dict[str, Any]:
    """A Message as the adapter protocol writes it."""
    return {"type": message.type, "flags": message.flags, "payload": message.payload.hex()}


def error_json(error: RemoteProtocolError) -> dict[str, Any]:
    """A RemoteProtocolError as {"code", "name"} (FW-CNF-13)."""
    return {"code": int(error.code), "name": error.name}


class ReferenceAdapter:
    """Answers adapter requests with the reference implementation."""

    implementation = f"framewire-python {__version__}"
    profiles: tuple[str, ...] = ("codec", "session")

    # -- hooks a broken adapter may override -------------------------------------------

    def new_decoder(
        self, framing: Framing, limits: Limits, *, hunting: bool, assemble: bool
    ) -> Decoder:
        """The decoder for one decode request."""
        return Decoder(framing, limits, hunting=hunting, assemble=assemble)

    def new_encoder(self, framing: Framing, *, checksum: bool, max_frame_size: int) -> Encoder:
        """The encoder for one encode request."""
        return Encoder(framing, checksum=checksum, max_frame_size=max_frame_size)

    def new_session(self, framing: Framing, limits: Limits) -> Session:
        """The session for one session request."""
        return Session(Options(framing, limits))

    def feed(self, decoder: Decoder, data: bytes) -> None:
        """Hand one chunk of input to a decoder."""
        decoder.feed(data)

    def fatal_reply(self, events: list[dict[str, Any]], error: RemoteProtocolError) -> Reply:
        """The reply to a decode that ended in a fatal error (FW-CNF-13)."""
        return {"status": "error", "events": events, "error": error_json(error)}

    # -- requests ----------------------------------------------------------------------

    def handle(self, request: Mapping[str, Any]) -> Reply:
        """Answer one request; an exception the protocol does not define is a crash."""
        op = request.get("op")
        if op == "hello":
            versions = request.get("versions", [])
            spoken = [version for version in PROTOCOL_VERSIONS if version in versions]
            return {
                "op": "hello",
                "version": spoken[-1] if spoken else None,
                "implementation": self.implementation,
                "profiles": list(self.profiles),
                "receive": {"decode": list(DECODE_PATHS), "session": list(SESSION_PATHS)},
                "control": ["ping"],
            }
        handlers: dict[str, Callable[[Mapping[str, Any]], Reply]] = {
            "decode": self.decode,
            "encode": self.encode,
            "session": self.session,
        }
        try:
            reply = handlers[str(op)](request)
        except Exception:
            reply = {"status": "crashed", "detail": traceback.format_exc(limit=4)}
        return {"seq": request.get("seq"), **reply}

    def decode(self, request: Mapping[str, Any]) -> Reply:
        """FW-CNF-11: feed the chunks, then end of input if asked."""
        decoder = self.new_decoder(
            Framing(request["framing"]),
            Limits(**request["limits"]),
            hunting=bool(request.get("hunting", False)),
            assemble=bool(request.get("assemble", True)),
        )
        into, out = str(request.get("receive", DECODE_PATHS[0])).split("+")
        drain = _DECODE_DRAINS[out]
        late = request.get("read") == "end"  # FW-CNF-34: no event read before the last chunk
        events: list[dict[str, Any]] = []
        try:
            for chunk in request["chunks"]:
                data = bytes.fromhex(chunk)
                if into == "buffer":
                    for _ in _write_into(decoder.get_buffer, decoder.buffer_updated, data):
                        if not late:
                            drain(decoder, events)
                else:
                    self.feed(decoder, data)
                    if not late:
                        drain(decoder, events)
            if late:
                drain(decoder, events)
            if not request.get("eof", True):
                return {"status": "result", "events": events, "end": "open"}
            decoder.feed_eof()
            ended = drain(decoder, events)
        except RemoteProtocolError as error:
            return self.fatal_reply(events, error)
        return {"status": "result", "events": events, "end": "clean" if ended else "open"}

    def encode(self, request: Mapping[str, Any]) -> Reply:
        """FW-CNF-15: the exact bytes of one message."""
        options, message = request["options"], request["message"]
        encoder = self.new_encoder(
            Framing(request["framing"]),
            checksum=bool(options["checksum"]),
            max_frame_size=int(options["max_frame_size"]),
        )
        output = encoder.encode(
            Message(message["type"], bytes.fromhex(message["payload"]), message["flags"])
        )
        return {"status": "result", "output": output.hex()}

    def session(self, request: Mapping[str, Any]) -> Reply:
        """FW-CNF-16/17, FW-CNF-34 to 37: a socket-less session receiving the chunks."""
        session = self.new_session(Framing(request["framing"]), Limits(**request["limits"]))
        sent = bytearray(session.data_to_send())
        into, out = str(request.get("receive", SESSION_PATHS[0])).split("+")
        drain = _drain_session_batched if out == "next_events" else _drain_session
        late = request.get("read") == "end"
        app = _Application(session, request)
        end: Any = "open"
        try:
            for chunk in request["chunks"]:
                data = bytes.fromhex(chunk)
                if into == "buffer":
                    for _ in _write_into(session.get_buffer, session.buffer_updated, data):
                        if not late:
                            end = drain(session, app) or end
                else:
                    session.receive_data(data)
                    if not late:
                        end = drain(session, app) or end
                if not late:
                    sent += session.data_to_send()
            if late:
                end = drain(session, app) or end
            if request.get("eof", True):
                session.receive_eof()
                end = drain(session, app) or end
        except RemoteProtocolError as error:
            sent += session.data_to_send()
            return {
                "status": "error",
                "events": app.events,
                "sent": sent.hex(),
                "error": error_json(error),
                "sending": _sending(session),
            }
        except PeerError as error:
            end = {"peer_error": {"code": error.code, "reason": error.reason}}
        sent += session.data_to_send()
        return {
            "status": "result",
            "events": app.events,
            "sent": sent.hex(),
            "end": end,
            "sending": _sending(session),
        }


def _write_into(
    get_buffer: Callable[[int], memoryview], buffer_updated: Callable[[int], None], data: bytes
) -> Iterator[int]:
    """Hand DATA over as a transport does: write into the buffer get_buffer() lends, as
    much as it takes, then buffer_updated(); yield after each write, for the caller to
    collect the events (a view may be smaller than DATA)."""
    while data:
        view = get_buffer(-1)  # as the transports ask: the buffer sizes its own read
        size = min(len(view), len(data))
        view[:size] = data[:size]
        buffer_updated(size)
        data = data[size:]
        yield size


def _drain(decoder: Decoder, events: list[dict[str, Any]]) -> bool:
    """Collect every event available now, one next_event() call each; True when the
    decoder reported a clean end."""
    while True:
        event = decoder.next_event()
        if event is NEED_DATA or event is END:
            return event is END
        _record(event, events)


def _drain_iterated(decoder: Decoder, events: list[dict[str, Any]]) -> bool:
    """The same through the events() iterator, which stops where next_event() would
    return NEED_DATA or END; next_event() then says which."""
    for event in decoder.events():
        _record(event, events)
    return _why_empty(decoder.next_event()) is END


def _drain_batched(decoder: Decoder, events: list[dict[str, Any]]) -> bool:
    """The same through next_events(), whose empty list leaves next_event() to say why."""
    while True:
        batch: list[Any] = decoder.next_events()
        if not batch:
            return _why_empty(decoder.next_event()) is END
        for event in batch:
            _record(event, events)


def _why_empty(event: object) -> object:
    """What next_event() says after next_events() returned nothing: by the API's contract,
    NEED_DATA or END (or it raises); an event there is a fault of the implementation."""
    if event is not NEED_DATA and event is not END:
        raise AssertionError(f"next_events() returned nothing, then next_event() gave {event!r}")
    return event


def _record(event: object, events: list[dict[str, Any]]) -> None:
    """One decoder event as the adapter protocol writes it."""
    if isinstance(event, FrameDropped):
        events.append({"error": error_json(event.error)})
    elif isinstance(event, Piece):
        piece = message_json(Message(event.type, event.payload, event.flags))
        events.append({"piece": {**piece, "first": event.first, "last": event.last}})
    elif isinstance(event, Message):
        events.append({"message": message_json(event)})


class _Application:
    """The application behind an adapter's session: it records what it is told and, once
    it has read the peer's HELLO, sends the request's messages (FW-CNF-35, FW-CNF-36)."""

    def __init__(self, session: Session, request: Mapping[str, Any]) -> None:
        self.session = session
        self.control = bool(request.get("control", False))
        self.to_send = [
            Message(m["type"], bytes.fromhex(m["payload"]), m["flags"])
            for m in request.get("send", ())
        ]
        self.events: list[dict[str, Any]] = []

    def record(self, event: object) -> str | None:
        """Record a data message (and the peer's HELLO when asked), acting on it; "clean"
        for the peer's clean end."""
        if isinstance(event, PeerClosed):
            return "clean"
        if isinstance(event, Message):
            self.events.append({"message": message_json(event)})
        elif isinstance(event, PingReceived):
            if self.control:
                self.events.append({"ping": event.data.hex()})
        elif isinstance(event, PeerHello):
            if self.control:
                limits = {
                    "max_frame_size": event.max_frame_size,
                    "max_message_size": event.max_message_size,
                }
                self.events.append({"hello": limits})
            for message in self.to_send:
                try:
                    self.session.send(message)
                except (ProtocolError, PeerError):
                    break  # refused: the session has failed (FW-CNF-36)
        return None


def _sending(session: Session) -> str:
    """FW-CNF-37: whether the session will queue nothing more."""
    return "done" if session.sending_done else "open"


_DECODE_DRAINS = {"events": _drain_iterated, "next_event": _drain, "next_events": _drain_batched}


def _drain_session(session: Session, app: _Application) -> str | None:
    """Collect the events available now; "clean" once the peer closed cleanly."""
    end = None
    while True:
        event = session.next_event()
        if event is NEED_DATA or event is END:
            return end
        end = app.record(event) or end


def _drain_session_batched(session: Session, app: _Application) -> str | None:
    """The same through next_events(), whose empty list leaves next_event() to say why."""
    end = None
    while True:
        batch: list[Any] = session.next_events()
        if not batch:
            # Why: NEED_DATA, END, or the peer's clean end, which the session reports
            # through next_event() (or it raises).
            event = session.next_event()
            if isinstance(event, PeerClosed):
                return "clean"
            _why_empty(event)
            return end
        for event in batch:
            end = app.record(event) or end


def serve(adapter: ReferenceAdapter, lines: Iterable[bytes], out: IO[str]) -> None:
    """The adapter loop: one request line in, one reply line out, flushed (FW-CNF-6/7)."""
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            reply: Reply = {"status": "crashed", "detail": f"request is not JSON: {exc}"}
        else:
            reply = adapter.handle(request)
        out.write(json.dumps(reply, separators=(",", ":")) + "\n")
        out.flush()


def main(adapter: ReferenceAdapter | None = None) -> int:
    """Run an adapter on stdin/stdout until stdin ends (FW-CNF-8)."""
    serve(adapter or ReferenceAdapter(), sys.stdin.buffer, sys.stdout)
    return 0


__all__ = ["ReferenceAdapter", "main", "serve"]

if __name__ == "__main__":
    sys.exit(main())
