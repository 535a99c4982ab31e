"""Broken adapter: prints a debug line on stdout when a message is interrupted (FW-CNF-6)."""

import json
from typing import Any

from framewire.conformance.adapter import ReferenceAdapter, Reply, main


class ChattyStdout(ReferenceAdapter):
    def decode(self, request: Any) -> Reply:
        reply = super().decode(request)
        if "message-interrupted" in json.dumps(reply):
            print("debug: message interrupted", flush=True)
        return reply


if __name__ == "__main__":
    main(ChattyStdout())
