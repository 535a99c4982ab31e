"""Broken: never enforces its maximum message size (breaks FW-MSG-10)."""

from framewire import Decoder, Framing, Limits
from framewire.conformance.adapter import ReferenceAdapter, main

NO_LIMIT = 0


class IgnoreMessageLimit(ReferenceAdapter):
    def new_decoder(
        self, framing: Framing, limits: Limits, *, hunting: bool, assemble: bool
    ) -> Decoder:
        limits = Limits(limits.max_frame_size, NO_LIMIT)
        return super().new_decoder(framing, limits, hunting=hunting, assemble=assemble)


if __name__ == "__main__":
    main(IgnoreMessageLimit())
