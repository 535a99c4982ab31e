"""Loading the test vectors and the error registry, selecting cases, and cutting deliveries.

The runner decides what is right from these files alone (FW-CNF-4): nothing here imports
the framewire codec. The error registry (name <-> code, and whether a session sends an
ERROR frame for it) comes from ``<vectors>/errors.json`` when the vectors ship it, and
otherwise from the table in ``spec/errors.md`` next to a source checkout's vectors.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import os
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON = Any  # a decoded JSON value: the vector files are validated by vectors/schema.json

PROFILE_KINDS: Mapping[str, frozenset[str]] = {
    "codec": frozenset({"decode", "encode"}),
    "session": frozenset({"decode", "encode", "session"}),
}

LIVE_ONLY_TAG = "live-only"
OPTIONAL_TAG = "optional"


class VectorsError(Exception):
    """The vectors directory is missing, unreadable or inconsistent (a usage error)."""


@dataclass(frozen=True)
class RegistryEntry:
    """One row of the error registry (spec section 8) as the runner needs it."""

    code: int
    name: str
    error_frame: bool


@dataclass(frozen=True)
class Registry:
    """The error registry, looked up by name (vectors) or by code (adapter replies)."""

    entries: tuple[RegistryEntry, ...]

    def by_name(self, name: str) -> RegistryEntry:
        """The entry of a registry name; a vector naming an unknown error is a bad vector."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise VectorsError(f"error name {name!r} is not in the registry")

    def by_code(self, code: int) -> RegistryEntry | None:
        """The entry of a code, or None when the code is not in the registry."""
        for entry in self.entries:
            if entry.code == code:
                return entry
        return None


@dataclass(frozen=True)
class Case:
    """One test vector, with the fields every kind has lifted out of its raw JSON."""

    id: str
    group: str
    kind: str
    level: str
    statements: tuple[str, ...]
    tags: tuple[str, ...]
    description: str
    raw: Mapping[str, JSON] = field(repr=False, compare=False)

    @property
    def framing(self) -> str:
        """The framing of the case (every kind has one)."""
        return str(self.raw["framing"])

    @property
    def input(self) -> bytes:
        """The input bytes of a decode or session case."""
        return bytes.fromhex(self.raw["input"])

    @property
    def eof(self) -> bool:
        """Whether end of input follows the input (default true)."""
        return bool(self.raw.get("eof", True))

    @property
    def optional(self) -> bool:
        """Whether the case exercises a MAY-level feature, so a skip is not a failure."""
        return OPTIONAL_TAG in self.tags

    def matches(self, pattern: str) -> bool:
        """Whether --only/--skip PATTERN selects this case (id, group, kind, tag or statement).

        Patterns are shell-style and case-insensitive for statements, so ``FW-DLM-*`` picks a
        whole area and ``fw-3f9c2a1e`` one case.
        """
        names = (self.id, self.group, self.kind, self.level, *self.tags, *self.statements)
        return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names)


@dataclass(frozen=True)
class Suite:
    """All vector files of one directory."""

    directory: Path
    suite_version: str
    cases: tuple[Case, ...]
    registry: Registry


def default_vectors_dir() -> Path | None:
    """Where the vectors are when --vectors is not given.

    In order: $FRAMEWIRE_VECTORS; a copy shipped as package data (``conformance/vector_files``);
    the ``vectors/`` directory of the source checkout this package runs from.
    """
    env = os.environ.get("FRAMEWIRE_VECTORS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    shipped = here / "vector_files"
    if (shipped / "schema.json").is_file():
        return shipped
    for parent in here.parents:
        candidate = parent / "vectors"
        if (candidate / "schema.json").is_file():
            return candidate
    return None


_ERRORS_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`([a-z-]+)`\s*\|(?:[^|]*\|){3}\s*([^|]*?)\s*\|\s*$")


def _registry_from_markdown(text: str) -> Registry:
    """Parse the `fw:table errors` block of spec/errors.md (fallback when errors.json is absent)."""
    entries = []
    for line in text.splitlines():
        match = _ERRORS_ROW.match(line)
        if match:
            code, name, frame = match.groups()
            entries.append(RegistryEntry(int(code), name, frame.startswith("yes")))
    return Registry(tuple(entries))


def load_registry(directory: Path) -> Registry:
    """The error registry for the vectors in DIRECTORY (see the module docstring)."""
    data_file = directory / "errors.json"
    if data_file.is_file():
        data = json.loads(data_file.read_text(encoding="utf-8"))
        return Registry(
            tuple(
                RegistryEntry(int(row["code"]), str(row["name"]), bool(row["error_frame"]))
                for row in data["errors"]
            )
        )
    markdown = directory.parent / "spec" / "errors.md"
    if markdown.is_file():
        registry = _registry_from_markdown(markdown.read_text(encoding="utf-8"))
        if registry.entries:
            return registry
    raise VectorsError(f"no error registry: neither {data_file} nor {markdown} is usable")


def load_suite(directory: Path) -> Suite:
    """Read every ``*.json`` group file of DIRECTORY (skipping the schema and data files)."""
    if not directory.is_dir():
        raise VectorsError(f"vectors directory {directory} does not exist")
    cases: list[Case] = []
    versions: set[str] = set()
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("suite") != "framewire-vectors":
            continue  # schema.json, ids.json, errors.json, untestable.json
        versions.add(str(data["suite_version"]))
        cases.extend(
            Case(
                id=raw["id"],
                group=str(data["group"]),
                kind=raw["kind"],
                level=raw["level"],
                statements=tuple(raw["statements"]),
                tags=tuple(raw["tags"]),
                description=raw["description"],
                raw=raw,
            )
            for raw in data["cases"]
        )
    if not cases:
        raise VectorsError(f"no vector files in {directory}")
    if len(versions) != 1:
        raise VectorsError(f"vector files disagree on suite_version: {sorted(versions)}")
    ids = [case.id for case in cases]
    if len(set(ids)) != len(ids):
        raise VectorsError("duplicate vector ids")
    return Suite(directory, versions.pop(), tuple(cases), load_registry(directory))


def select(cases: Iterable[Case], only: Sequence[str], skip: Sequence[str]) -> list[Case]:
    """The cases matching any --only pattern (all when none) and no --skip pattern."""
    return [
        case
        for case in cases
        if (not only or any(case.matches(p) for p in only))
        and not any(case.matches(p) for p in skip)
    ]


@dataclass(frozen=True)
class Delivery:
    """One way of cutting a case's input into the pieces that are fed or written."""

    name: str
    chunks: tuple[bytes, ...]


def deliveries(case: Case, seed: int) -> Iterator[Delivery]:
    """The deliveries of FW-CNF-12: whole, byte by byte, random split, and the vector's own.

    The random split depends only on the seed and the case id, so a failure reproduces
    with ``--seed`` and ``--only <id>`` whatever else was selected. Deliveries that cut the
    input exactly like an earlier one are left out.
    """
    data = case.input
    rng = random.Random(f"{seed}:{case.id}")
    candidates = [
        Delivery("whole", (data,) if data else ()),
        Delivery("bytes", tuple(data[i : i + 1] for i in range(len(data)))),
        Delivery("split", cut(data, random_cuts(len(data), rng))),
    ]
    sizes = case.raw.get("chunks")
    if sizes:
        offsets, total = [], 0
        for size in sizes[:-1]:
            total += size
            offsets.append(total)
        candidates.append(Delivery("chunks", cut(data, offsets)))
    seen: set[tuple[bytes, ...]] = set()
    for delivery in candidates:
        if delivery.chunks not in seen:
            seen.add(delivery.chunks)
            yield delivery


def random_cuts(length: int, rng: random.Random, most: int = 8) -> list[int]:
    """Up to MOST sorted, distinct cut offsets strictly inside a LENGTH-byte input."""
    if length <= 1:
        return []  # nothing to cut
    count = rng.randint(1, min(most, length - 1))
    return sorted(rng.sample(range(1, length), count))


def cut(data: bytes, offsets: Sequence[int]) -> tuple[bytes, ...]:
    """DATA cut at the given sorted offsets."""
    bounds = [0, *offsets, len(data)]
    return tuple(data[a:b] for a, b in itertools.pairwise(bounds) if b > a)
