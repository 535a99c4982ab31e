"""The C error enum and names match the registry (vectors/errors.json), code for code.

Usage: check_errors.py framewire.h errors.c errors.json
"""

import json
import re
import sys
from pathlib import Path


def main() -> int:
    header, names_c, registry = (Path(p).read_text(encoding="utf-8") for p in sys.argv[1:4])
    enum = {
        int(code): name.lower().replace("_", "-")
        for name, code in re.findall(r"FW_ERR_([A-Z_]+) = (\d+)", header)
    }
    names = re.findall(r'"([a-z-]+)"', names_c.split("#else", 1)[1])
    wanted = {e["code"]: e["name"] for e in json.loads(registry)["errors"]}
    for group in (1, 2, 3):
        codes = sorted(c for c in wanted if c // 100 == group)
        for i, code in enumerate(codes):
            if code != group * 100 + i:
                print(f"registry code {code} leaves a gap: errors.c indexes by code")
                return 1
    ordered = sorted(wanted)
    by_code = dict(zip(ordered, names, strict=False))
    problems = []
    if enum != wanted:
        problems.append(f"enum in framewire.h {enum} != registry {wanted}")
    if by_code != wanted or len(names) != len(wanted):
        problems.append(f"names in errors.c {names} != registry {wanted}")
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(wanted)} codes match the registry")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
