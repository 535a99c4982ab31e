"""Type aliases shared by the modules of the package."""

from typing import TypeAlias

BytesLike: TypeAlias = bytes | bytearray | memoryview
"""What the codec accepts as input: any contiguous buffer of bytes."""
