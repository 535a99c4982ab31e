"""Broken: loses a frame header that arrives in pieces (breaks FW-LPF-2 under chunking).

At a frame boundary it drops any read shorter than a header, as a reader would that
expects `recv()` to return at least 9 bytes.
"""

from framewire import Decoder
from framewire._codec.schema import HEADER_SIZE
from framewire.conformance.adapter import ReferenceAdapter, main


class SplitHeader(ReferenceAdapter):
    def feed(self, decoder: Decoder, data: bytes) -> None:
        if decoder.frame_in_progress or len(data) >= HEADER_SIZE:
            decoder.feed(data)


if __name__ == "__main__":
    main(SplitHeader())
