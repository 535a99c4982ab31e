"""Broken: the process dies when the input ends before any byte arrived (a crash, FW-ERR-8)."""

import os
from typing import Any

from framewire.conformance.adapter import ReferenceAdapter, Reply, main

SEGFAULT_STATUS = 139


class ExitOnEmptyInput(ReferenceAdapter):
    def decode(self, request: Any) -> Reply:
        if not "".join(request["chunks"]):
            os._exit(SEGFAULT_STATUS)
        return super().decode(request)


if __name__ == "__main__":
    main(ExitOnEmptyInput())
