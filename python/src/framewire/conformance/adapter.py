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
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from framewire import __version__
from framewire.codec import Decoder, Encoder, Framing, Limits
from framewire.errors import PeerError, RemoteProtocolError
from framewire.events import END, NEED_DATA, Fragment, FrameDropped, Message, PeerClosed
from framewire.session import Session

PROTOCOL_VERSION = 1
Reply = dict[str, Any]


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
        return Session(framing, limits=limits)

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
            return {
                "op": "hello",
                "version": PROTOCOL_VERSION if PROTOCOL_VERSION in versions else None,
                "implementation": self.implementation,
                "profiles": list(self.profiles),
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
        events: list[dict[str, Any]] = []
        try:
            for chunk in request["chunks"]:
                self.feed(decoder, bytes.fromhex(chunk))
                _drain(decoder, events)
            if not request.get("eof", True):
                return {"status": "result", "events": events, "end": "open"}
            decoder.feed_eof()
            ended = _drain(decoder, events)
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
        """FW-CNF-16/17: a socket-less session receiving the chunks."""
        session = self.new_session(Framing(request["framing"]), Limits(**request["limits"]))
        sent = bytearray(session.data_to_send())
        events: list[dict[str, Any]] = []
        end: Any = "open"
        try:
            for chunk in request["chunks"]:
                session.receive_data(bytes.fromhex(chunk))
                end = _drain_session(session, events) or end
                sent += session.data_to_send()
            if request.get("eof", True):
                session.receive_eof()
                end = _drain_session(session, events) or end
        except RemoteProtocolError as error:
            sent += session.data_to_send()
            return {
                "status": "error",
                "events": events,
                "sent": sent.hex(),
                "error": error_json(error),
            }
        except PeerError as error:
            end = {"peer_error": {"code": error.code, "reason": error.reason}}
        sent += session.data_to_send()
        return {"status": "result", "events": events, "sent": sent.hex(), "end": end}


def _drain(decoder: Decoder, events: list[dict[str, Any]]) -> bool:
    """Collect every event available now; True when the decoder reported a clean end."""
    while True:
        event = decoder.next_event()
        if event is NEED_DATA:
            return False
        if event is END:
            return True
        if isinstance(event, FrameDropped):
            events.append({"error": error_json(event.error)})
        elif isinstance(event, Fragment):
            piece = message_json(Message(event.type, event.payload, event.flags))
            events.append({"piece": {**piece, "first": event.first, "last": event.last}})
        elif isinstance(event, Message):
            events.append({"message": message_json(event)})


def _drain_session(session: Session, events: list[dict[str, Any]]) -> str | None:
    """Collect the data messages available now; "clean" once the peer closed cleanly."""
    end = None
    while True:
        event = session.next_event()
        if event is NEED_DATA or event is END:
            return end
        if isinstance(event, PeerClosed):
            end = "clean"
        elif isinstance(event, Message):
            events.append({"message": message_json(event)})


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
