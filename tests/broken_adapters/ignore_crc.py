"""Broken: never verifies the CRC-32C trailer (breaks FW-CRC-3)."""

from mutation import replace

from framewire.conformance.adapter import main
from framewire.decoder import Decoder

replace(Decoder, "_checksum_fault", staticmethod(lambda source, base, end: None))

if __name__ == "__main__":
    main()
