"""The test vectors stay valid, complete, reproducible and right (vectors/).

- vectors/coverage.py finds no problem (schema, ids, citations, coverage), and it does
  find the problems it is meant to find (a dropped statement, a duplicated id, a case
  that breaks the schema), so a silent checker cannot pass for a clean suite;
- vectors/generate.py reproduces the committed files byte for byte;
- the generator's bytes (from the wire oracle, framewire.conformance.wire) agree with the
  worked examples of spec/examples.md.

The vector tooling lives outside the package and uses nothing of it but the wire oracle
(`framewire.conformance.wire`, standard library only), so its modules are loaded from
their files.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from framewire.conformance import wire

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
EXAMPLES_PAGE = ROOT / "spec" / "examples.md"


def vectors_on_path() -> None:
    """Let the vector modules find their siblings (casebuild, specdata, gen) by name."""
    if str(VECTORS) not in sys.path:
        sys.path.insert(0, str(VECTORS))


def load_vector_module(name: str) -> ModuleType:
    """Import vectors/<name>.py under a name of its own (vectors/coverage.py would
    otherwise be taken for the coverage package)."""
    vectors_on_path()
    spec = importlib.util.spec_from_file_location(f"fw_vectors_{name}", VECTORS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing it
    spec.loader.exec_module(module)
    return module


coverage = load_vector_module("coverage")


def problems_in(vectors_dir: Path) -> list[str]:
    """The problems coverage.py reports for a vectors directory."""
    report = coverage.check(vectors_dir)
    found: list[str] = report.problems
    return found


def test_committed_vectors_have_no_problem() -> None:
    assert problems_in(VECTORS) == []


# The committed JSON files that are written by hand, not by the generator.
HAND_WRITTEN = {"schema.json", "untestable.json"}


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    """Run as documented (`python vectors/generate.py DIR`): every generated file comes
    back byte for byte, and no committed group is left unwritten."""
    subprocess.run(
        [sys.executable, str(VECTORS / "generate.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    written = sorted(path.name for path in tmp_path.glob("*.json"))
    committed = sorted(
        path.name for path in VECTORS.glob("*.json") if path.name not in HAND_WRITTEN
    )
    assert written == committed
    for name in written:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes(), (
            f"vectors/{name} is not what generate.py writes: regenerate, never hand-edit"
        )


@pytest.fixture
def vectors_copy(tmp_path: Path) -> Path:
    """A scratch copy of vectors/ that a test may damage."""
    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def rewrite_cases(group_file: Path, change: Any) -> None:
    """Apply `change(cases) -> cases` to one group file of a scratch copy."""
    document = json.loads(group_file.read_text(encoding="utf-8"))
    document["cases"] = change(document["cases"])
    group_file.write_text(json.dumps(document), encoding="utf-8")


def test_coverage_notices_a_statement_without_vectors(vectors_copy: Path) -> None:
    # FW-COB-3 (the trailing empty block) is cited only in cobs.json.
    rewrite_cases(
        vectors_copy / "cobs.json",
        lambda cases: [case for case in cases if "FW-COB-3" not in case["statements"]],
    )
    assert any(problem.startswith("FW-COB-3 ") for problem in problems_in(vectors_copy))


def test_coverage_notices_an_error_without_vectors(vectors_copy: Path) -> None:
    for group_file in vectors_copy.glob("*.json"):
        if group_file.name in coverage.NOT_GROUPS:
            continue
        rewrite_cases(
            group_file,
            lambda cases: [
                case for case in cases if "cobs-invalid" not in coverage.expected_error_names(case)
            ],
        )
    assert "error 107 cobs-invalid: no invalid vector expects it" in problems_in(vectors_copy)


def test_coverage_notices_a_duplicate_id(vectors_copy: Path) -> None:
    def duplicate_first_id(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cases[1]["id"] = cases[0]["id"]
        return cases

    rewrite_cases(vectors_copy / "crc.json", duplicate_first_id)
    assert any("id already used" in problem for problem in problems_in(vectors_copy))


@pytest.mark.parametrize(
    ("field", "bad_value", "expected"),
    [
        ("id", "fw-XYZ", "malformed id"),
        ("input", "0g", "schema"),
        ("statements", ["FW-NOPE-1"], "not defined in spec"),
        ("level", "MAY", "schema"),
        ("limits", {"max_frame_size": 255, "max_message_size": 0}, "schema"),
    ],
)
def test_coverage_rejects_a_broken_case(
    vectors_copy: Path, field: str, bad_value: object, expected: str
) -> None:
    def break_first(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cases[0][field] = bad_value
        return cases

    rewrite_cases(vectors_copy / "delimited.json", break_first)
    assert any(expected in problem for problem in problems_in(vectors_copy))


def test_coverage_rejects_an_unknown_error_name(vectors_copy: Path) -> None:
    def rename_error(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for case in cases:
            if isinstance(case["expect"]["end"], dict):
                case["expect"]["end"] = {"error": "no-such-error"}
                break
        return cases

    rewrite_cases(vectors_copy / "eof.json", rename_error)
    assert any("'no-such-error' is not in the registry" in p for p in problems_in(vectors_copy))


def spec_example(name: str) -> bytes:
    """The bytes of the `example: <name>` block of spec/examples.md."""
    page = EXAMPLES_PAGE.read_text(encoding="utf-8")
    block = re.search(rf'title="example: {re.escape(name)}"\n(.*?)```', page, re.S)
    assert block is not None, f"spec/examples.md has no example {name!r}"
    return bytes.fromhex(block.group(1))


def spec_example_frames() -> dict[str, bytes]:
    """The same frames, built by the generator's primitives."""
    hello = b"hello"
    three = [
        wire.frame(0x42, b"Fram", app=3, more=True),
        wire.frame(0x42, b"ewir", app=3, more=True, cont=True),
        wire.frame(0x42, b"e", app=3, cont=True),
    ]
    vectors_on_path()
    session_vectors = importlib.import_module("gen.session")
    return {
        "small-data-frame": wire.frame(wire.DATA, hello),
        "small-data-frame-delimited": wire.delimit(wire.frame(wire.DATA, hello)),
        "checksummed-frame": wire.frame(wire.DATA, hello, checksum=True),
        "three-frame-message": b"".join(three),
        "payload-254-delimited": wire.delimit(wire.frame(wire.DATA, bytes(range(1, 255)))),
        "payload-253-delimited": wire.delimit(wire.frame(wire.DATA, bytes(range(1, 254)))),
        "session-a-to-b": session_vectors.worked_example_input(),
    }


@pytest.mark.parametrize("name", sorted(spec_example_frames()))
def test_generator_builds_the_spec_examples(name: str) -> None:
    assert spec_example_frames()[name] == spec_example(name)
