"""Check the vectors: schema, ids, citations, coverage. Exit status 1 on any problem.

Run: `.venv/bin/python vectors/coverage.py [--verbose]`.

Checks, in order: every group file validates against schema.json; ids are well formed,
unique across all files and recorded in ids.json; every cited statement is defined in
spec/*.md and every error name is in the registry (spec/errors.md); errors.json equals the
registry; the cases are self-consistent (chunks add up, hunting only in delimited framing,
recoverable errors only in delimited framing, pieces only when not assembling, a session's
HELLO equals its limits); then coverage: every statement of the spec has a vector or an
entry in untestable.json, and every error code has an invalid vector or an entry there;
and every field of schema.json is named in the spec's definition of the format (10.6).
Needs the `jsonschema` package (in the project's dev dependencies).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev set
from specdata import SPEC_DIR, VECTORS_DIR, error_registry, spec_statements

NOT_GROUPS = {"schema.json", "ids.json", "errors.json", "untestable.json"}
ID_PATTERN = re.compile(r"^fw-[0-9a-f]{8}$")
MAX_TOTAL_BYTES = 2_000_000

Json = dict[str, Any]


@dataclass
class Report:
    """What the checks found: problems (fatal) and figures for the summary."""

    problems: list[str] = field(default_factory=list)
    cases: int = 0
    per_group: Counter[str] = field(default_factory=Counter)
    statements_covered: set[str] = field(default_factory=set)
    errors_covered: set[str] = field(default_factory=set)
    total_bytes: int = 0

    def fail(self, message: str) -> None:
        """Record one problem."""
        self.problems.append(message)


def group_files(vectors_dir: Path) -> list[Path]:
    """Every vectors/<group>.json file."""
    return sorted(p for p in vectors_dir.glob("*.json") if p.name not in NOT_GROUPS)


def load(path: Path) -> Any:
    """Parse one JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def expected_error_names(case: Json) -> Iterator[str]:
    """Every error name a case expects: recoverable events, fatal end, ERROR frames sent."""
    expect = case["expect"]
    for event in expect.get("events", []):
        if "error" in event:
            yield event["error"]
    end = expect.get("end")
    if isinstance(end, dict) and "error" in end:
        yield end["error"]
    for item in expect.get("sent", []):
        if "error" in item:
            yield item["error"]


def check_case_consistency(case: Json, where: str, report: Report) -> None:
    """Rules the schema cannot express."""
    kind = case["kind"]
    if "chunks" in case and sum(case["chunks"]) != len(case["input"]) // 2:
        report.fail(f"{where}: chunks do not add up to the input length")
    if kind == "decode":
        events = case["expect"]["events"]
        if case.get("hunting") and case["framing"] != "delimited":
            report.fail(f"{where}: hunting is only defined for delimited framing")
        if case["framing"] == "length-prefixed" and any("error" in e for e in events):
            report.fail(f"{where}: length-prefixed errors are fatal, not events (FW-LPF-3)")
        if case.get("assemble", True) and any("piece" in e for e in events):
            report.fail(f"{where}: piece events need assemble: false")
    if kind == "session" and case["expect"]["hello"] != case["limits"]:
        report.fail(f"{where}: expect.hello must equal limits")


@dataclass
class IdBook:
    """What the per-case check needs to know across cases and files."""

    recorded: set[str]
    registry_names: set[str]
    known: dict[str, str]
    seen: dict[str, str] = field(default_factory=dict)


def check_case(case: Json, where: str, report: Report, ids: IdBook) -> None:
    """Id, citations, error names and consistency of one case."""
    case_id = case.get("id", "")
    where = f"{where} ({case_id})"
    report.cases += 1
    if not ID_PATTERN.match(case_id):
        report.fail(f"{where}: malformed id")
    if case_id in ids.seen:
        report.fail(f"{where}: id already used in {ids.seen[case_id]}")
    ids.seen[case_id] = where
    if case_id not in ids.recorded:
        report.fail(f"{where}: id not recorded in ids.json")
    for statement in case.get("statements", []):
        if statement not in ids.known:
            report.fail(f"{where}: cites {statement}, not defined in spec/*.md")
        report.statements_covered.add(statement)
    try:
        names = list(expected_error_names(case))
        check_case_consistency(case, where, report)
    except (KeyError, TypeError) as exc:  # the schema check has reported it already
        report.fail(f"{where}: cannot read case ({exc!r})")
        return
    for name in names:
        if name not in ids.registry_names:
            report.fail(f"{where}: error {name!r} is not in the registry")
        report.errors_covered.add(name)


def check_groups(vectors_dir: Path, report: Report, known: dict[str, str]) -> None:
    """Schema, ids, citations and consistency of every group file."""
    validator = jsonschema.Draft202012Validator(load(vectors_dir / "schema.json"))
    registry_names = {entry.name for entry in error_registry(SPEC_DIR)}
    ids_file = load(vectors_dir / "ids.json")
    ids = IdBook(recorded=set(ids_file.values()), registry_names=registry_names, known=known)
    if len(ids.recorded) != len(ids_file):
        report.fail("ids.json: an id is recorded for two keys")
    for path in group_files(vectors_dir):
        report.total_bytes += path.stat().st_size
        document = load(path)
        for problem in validator.iter_errors(document):
            location = "/".join(str(part) for part in problem.absolute_path)
            report.fail(f"{path.name}: schema: {location}: {problem.message[:200]}")
        if document.get("group") != path.stem:
            report.fail(f"{path.name}: group {document.get('group')!r} != file name")
        report.per_group[path.stem] += len(document.get("cases", []))
        for index, case in enumerate(document.get("cases", [])):
            check_case(case, f"{path.name} case {index}", report, ids)
    if report.total_bytes > MAX_TOTAL_BYTES:
        report.fail(f"vector files total {report.total_bytes} bytes > {MAX_TOTAL_BYTES}")


def check_errors_json(vectors_dir: Path, report: Report) -> None:
    """errors.json must be the registry of spec/errors.md, entry for entry."""
    expected = [
        {
            "code": entry.code,
            "name": entry.name,
            "error_frame": entry.sends_error_frame,
            "statements": list(entry.statements),
        }
        for entry in error_registry(SPEC_DIR)
    ]
    if load(vectors_dir / "errors.json").get("errors") != expected:
        report.fail("errors.json differs from the registry in spec/errors.md (regenerate)")


def check_coverage(vectors_dir: Path, report: Report, known: dict[str, str]) -> None:
    """Every statement and every error code: a vector, or a reasoned exception."""
    untestable = load(vectors_dir / "untestable.json")
    excused: set[str] = set()
    for entry in untestable.get("statements", []):
        statement = entry.get("statement", "")
        if statement not in known:
            report.fail(f"untestable.json: {statement!r} is not defined in the spec")
        if not entry.get("reason", "").strip():
            report.fail(f"untestable.json: {statement} has no reason")
        if statement in report.statements_covered:
            report.fail(f"untestable.json: {statement} has vectors; remove the exception")
        excused.add(statement)
    for entry in untestable.get("prefixes", []):
        prefix = entry.get("prefix", "")
        matching = {statement for statement in known if statement.startswith(prefix)}
        if not prefix or not matching or not entry.get("reason", "").strip():
            report.fail(f"untestable.json: prefix {prefix!r} matches nothing or has no reason")
        excused |= matching
    for statement in sorted(set(known) - report.statements_covered - excused, key=sort_key):
        report.fail(f"{statement} ({known[statement]}): no vector and no untestable entry")
    excused_errors = {
        entry.get("error") for entry in untestable.get("errors", []) if entry.get("reason")
    }
    for entry in error_registry(SPEC_DIR):
        if entry.name not in report.errors_covered and entry.name not in excused_errors:
            report.fail(f"error {entry.code} {entry.name}: no invalid vector expects it")


FORMAT_SECTION = re.compile(r"^## 10\.6 .*?(?=^## |\Z)", re.S | re.M)
FENCED_BLOCK = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`]+)`")


def schema_fields(node: object) -> Iterator[str]:
    """Every property name that schema.json defines, at any depth."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in node.values():
            yield from schema_fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_fields(value)


def check_format_section(vectors_dir: Path, report: Report) -> None:
    """The spec defines the vector format (spec 10.6): it names every field of schema.json,
    so an implementer with only the spec needs no other document."""
    text = (SPEC_DIR / "conformance.md").read_text(encoding="utf-8")
    section = FORMAT_SECTION.search(text)
    if section is None:
        report.fail("spec/conformance.md has no section 10.6 (the vector format)")
        return
    named = {
        word
        for span in CODE_SPAN.findall(FENCED_BLOCK.sub("", section.group()))
        for word in re.findall(r"\w+", span)
    }
    for name in sorted(set(schema_fields(load(vectors_dir / "schema.json")))):
        if name not in named:
            report.fail(f"schema.json field {name!r} is not named in spec section 10.6")


def sort_key(statement: str) -> tuple[str, int]:
    """FW-MSG-2 before FW-MSG-10."""
    prefix, _, number = statement.rpartition("-")
    return prefix, int(number)


def check(vectors_dir: Path = VECTORS_DIR) -> Report:
    """Run every check and return the report."""
    report = Report()
    known = spec_statements(SPEC_DIR)
    check_groups(vectors_dir, report, known)
    check_errors_json(vectors_dir, report)
    check_coverage(vectors_dir, report, known)
    check_format_section(vectors_dir, report)
    return report


def main() -> int:
    """Print the problems (or a summary) and return the exit status."""
    report = check()
    for problem in report.problems:
        print(f"FAIL {problem}")
    groups = ", ".join(f"{name} {count}" for name, count in sorted(report.per_group.items()))
    print(
        f"{report.cases} cases ({groups}); {len(report.statements_covered)} statements and "
        f"{len(report.errors_covered)} error codes with vectors; "
        f"{report.total_bytes} bytes of vector files"
    )
    if report.problems:
        print(f"{len(report.problems)} problem(s)")
        return 1
    print("vectors OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
