"""Write the vectors' inputs as seed corpora for the libFuzzer harnesses.

Why: the vectors reach every error path of the decoder and the session, so starting
from them the fuzzer spends its time on variations of interesting inputs rather than on
finding the magic bytes. Each seed is the harness's settings prefix (see
fuzz_common.h) followed by the case's input.

Usage: python3 c/fuzz/seeds.py VECTORS_DIR DECODER_CORPUS SESSION_CORPUS
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Settings byte of fuzz_common.h.
DELIMITED, HUNTING, STREAMING, NO_EOF = 0x01, 0x02, 0x04, 0x08


def settings(case: dict[str, Any], chunk_seed: int) -> bytes:
    flags = DELIMITED if case["framing"] == "delimited" else 0
    if case.get("hunting", False):
        flags |= HUNTING
    if not case.get("assemble", True):
        flags |= STREAMING
    if not case.get("eof", True):
        flags |= NO_EOF
    limits = case["limits"]
    return struct.pack(
        ">BIIB", flags, limits["max_frame_size"], limits["max_message_size"], chunk_seed
    )


def cases(vectors: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(vectors.glob("*.json")):
        document = json.loads(path.read_text())
        if isinstance(document, dict) and document.get("suite") == "framewire-vectors":
            yield from document["cases"]


def write(folder: Path, data: bytes) -> None:
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main(argv: list[str]) -> int:
    vectors, decoder, session = (Path(arg) for arg in argv[1:4])
    for folder in (decoder, session):
        folder.mkdir(parents=True, exist_ok=True)
    for case in cases(vectors):
        if case["kind"] == "encode":
            continue
        data = bytes.fromhex(case["input"])
        if case["kind"] == "decode":
            for chunk_seed in (0, 1, 7):  # whole, byte by byte, a mixed split
                write(decoder, settings(case, chunk_seed) + data)
        else:
            write(session, settings(case, 0) + data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
