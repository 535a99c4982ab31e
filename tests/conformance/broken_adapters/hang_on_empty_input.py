"""Broken: waits forever when the input ends before any byte arrived (breaks FW-ERR-8)."""

import threading
from typing import Any

from framewire.conformance.adapter import ReferenceAdapter, Reply, main


class HangOnEmptyInput(ReferenceAdapter):
    def decode(self, request: Any) -> Reply:
        if request.get("eof", True) and not "".join(request["chunks"]):
            threading.Event().wait()  # blocks forever: the runner must time out and restart
        return super().decode(request)


if __name__ == "__main__":
    main(HangOnEmptyInput())
