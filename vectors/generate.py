"""Write every vectors/<group>.json file from the spec's rules (stdlib only).

Run: `.venv/bin/python vectors/generate.py`. The output is deterministic: the only state
is vectors/ids.json, which gives each case (by its internal key) a stable random id the
first time the case appears and never changes it afterwards. Ids of removed cases stay in
ids.json so they are never handed out again.

Every expectation below is stated by hand from the spec (which frame is faulty, which
error the spec names for it, what is delivered before and after); nothing is computed by
running a decoder. The wire oracle (`framewire.conformance.wire`) only builds the input
bytes, `casebuild.py` turns the expectations into cases, and the package `gen/` holds one
module per file (`gen/length_limits.py` writes length-limits.json); this file only runs
them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from casebuild import Suite, dump
from gen import (
    cobs,
    continuation,
    crc,
    delimited,
    encode,
    eof,
    errors,
    header,
    late_reading,
    length_limits,
    session,
)
from specdata import VECTORS_DIR


def build_suite() -> Suite:
    """Every case of every group, with ids from the committed ids.json."""
    suite = Suite(VECTORS_DIR / "ids.json")
    builders: list[Callable[[Suite], None]] = [
        header.cases,
        length_limits.cases,
        crc.cases,
        cobs.cases,
        delimited.cases,
        continuation.cases,
        eof.cases,
        encode.cases,
        session.cases,
        late_reading.cases,
    ]
    for build in builders:
        build(suite)
    return suite


def main(argv: list[str] | None = None) -> None:
    """Write the files into vectors/, or into the directory given as the one argument.

    Writing elsewhere lets a test regenerate and compare with the committed files.
    """
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else VECTORS_DIR
    suite = build_suite()
    suite.write(out_dir)
    dump(out_dir / "errors.json", errors.document())
    total = sum(len(cases) for cases in suite.groups.values())
    print(f"wrote {total} cases in {len(suite.groups)} groups to {out_dir}")


if __name__ == "__main__":
    main()
