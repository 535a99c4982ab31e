"""Broken: skips the continuation checks of spec 5.3 (breaks FW-MSG-7, FW-MSG-8, FW-MSG-9)."""

from typing import Any

from mutation import replace

from framewire._codec.assembler import MessageAssembler
from framewire.conformance.adapter import main
from framewire.errors import ErrorCode

SKIPPED = {
    ErrorCode.UNEXPECTED_CONTINUATION,
    ErrorCode.MESSAGE_INTERRUPTED,
    ErrorCode.CONTINUATION_MISMATCH,
}


def message_fault_without_continuation(
    self: MessageAssembler, flags: int, frame_type: int, length: int
) -> Any:
    fault = original(self, flags, frame_type, length)
    return None if fault is not None and fault.code in SKIPPED else fault


original = replace(MessageAssembler, "fault", message_fault_without_continuation)

if __name__ == "__main__":
    main()
