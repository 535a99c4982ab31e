"""Broken: ignores its maximum frame size, accepting anything up to 2^30 (breaks FW-LEN-3)."""

from framewire import Decoder, Framing, Limits
from framewire.conformance.adapter import ReferenceAdapter, main

CEILING = 1 << 30


class AcceptOversized(ReferenceAdapter):
    def new_decoder(
        self, framing: Framing, limits: Limits, *, hunting: bool, assemble: bool
    ) -> Decoder:
        limits = Limits(CEILING, limits.max_message_size)
        return super().new_decoder(framing, limits, hunting=hunting, assemble=assemble)


if __name__ == "__main__":
    main(AcceptOversized())
