"""Broken: loses the messages it decoded before a fatal error (breaks FW-LPF-4, FW-DLM-7)."""

from typing import Any

from framewire.conformance.adapter import ReferenceAdapter, Reply, main
from framewire.errors import RemoteProtocolError


class LoseEventsOnError(ReferenceAdapter):
    def fatal_reply(self, events: list[dict[str, Any]], error: RemoteProtocolError) -> Reply:
        return super().fatal_reply([], error)


if __name__ == "__main__":
    main(LoseEventsOnError())
