"""Broken: never verifies the CRC-32C trailer (breaks FW-CRC-3)."""

from mutation import replace

from framewire._codec import readers
from framewire.conformance.adapter import main

replace(readers, "checksum_fault", lambda source, base, end: None)

if __name__ == "__main__":
    main()
