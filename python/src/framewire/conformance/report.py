"""Writing a run down: the JSON report, JUnit XML, and the summary table on a terminal."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from framewire.conformance.results import CaseResult, Outcome, counts, exit_status

REPORT_FORMAT = 1
SHOWN_FAILURES = 25
OUTCOME_STYLES = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "bold red",
    Outcome.KNOWN_FAILURE: "yellow",
    Outcome.FIXED: "bold magenta",
    Outcome.SKIPPED: "cyan",
    Outcome.NOT_APPLICABLE: "dim",
}


@dataclass(frozen=True)
class RunInfo:
    """What the report says about the run itself."""

    runner: str
    suite_version: str
    vectors: str
    seed: int
    mode: str
    implementation: str
    profiles: Sequence[str]
    adapter_restarts: int = 0
    adapter_stderr: Sequence[str] = ()


def to_json(info: RunInfo, results: Sequence[CaseResult]) -> dict[str, Any]:
    """The JSON report of spec 10.4."""
    return {
        "format": REPORT_FORMAT,
        "runner": info.runner,
        "suite_version": info.suite_version,
        "vectors": info.vectors,
        "seed": info.seed,
        "mode": info.mode,
        "implementation": info.implementation,
        "profiles": list(info.profiles),
        "adapter_restarts": info.adapter_restarts,
        "adapter_stderr_tail": list(info.adapter_stderr),
        "exit_status": exit_status(results),
        "counts": {level: dict(c) for level, c in counts(results).items()},
        "cases": [_case_json(r) for r in results],
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": result.case.id,
        "mode": result.mode,
        "group": result.case.group,
        "kind": result.case.kind,
        "level": result.case.level,
        "statements": list(result.case.statements),
        "tags": list(result.case.tags),
        "outcome": result.outcome.value,
    }
    if result.reason:
        entry["reason"] = result.reason
    failures = [
        {
            "delivery": d.delivery,
            "difference": d.detail,
            **({"request": d.request} if d.request is not None else {}),
            **({"log": list(d.log)} if d.log is not None else {}),
        }
        for d in result.failures
    ]
    if failures:
        entry["failures"] = failures
    return entry


def write_json(path: Path, info: RunInfo, results: Sequence[CaseResult]) -> None:
    """Write the JSON report to PATH."""
    path.write_text(json.dumps(to_json(info, results), indent=1) + "\n", encoding="utf-8")


def write_junit(path: Path, info: RunInfo, results: Sequence[CaseResult]) -> None:
    """Write JUnit XML: one testcase per case and mode, classname = group."""
    failed = [r for r in results if r.outcome in (Outcome.FAILED, Outcome.FIXED)]
    skipped = [
        r
        for r in results
        if r.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE, Outcome.KNOWN_FAILURE)
    ]
    suite = ET.Element(
        "testsuite",
        name=f"framewire-conformance ({info.implementation}, {info.mode})",
        tests=str(len(results)),
        failures=str(len(failed)),
        skipped=str(len(skipped)),
    )
    for result in results:
        testcase = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.mode}.{result.case.group}",
            name=f"{result.case.id} {' '.join(result.case.statements)}",
        )
        if result.outcome is Outcome.FAILED:
            text = "\n".join(f"[{d.delivery}] {d.detail}" for d in result.failures)
            ET.SubElement(testcase, "failure", message=result.failures[0].detail).text = text
        elif result.outcome is Outcome.FIXED:
            ET.SubElement(testcase, "failure", message="declared known failure now passes")
        elif result in skipped:
            message = result.reason or result.outcome.value
            ET.SubElement(testcase, "skipped", message=message)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def print_summary(console: Console, info: RunInfo, results: Sequence[CaseResult]) -> None:
    """The summary table, then the first failures with their differences."""
    table = Table(title=f"{info.implementation} — {info.mode} mode, vectors {info.suite_version}")
    table.add_column("level")
    for outcome in Outcome:
        table.add_column(outcome.value, justify="right", style=OUTCOME_STYLES[outcome])
    for level, counter in counts(results).items():
        if sum(counter.values()):
            table.add_row(level, *(str(counter.get(o.value, 0)) for o in Outcome))
    console.print(table)
    bad = [r for r in results if r.outcome in (Outcome.FAILED, Outcome.FIXED)]
    for result in bad[:SHOWN_FAILURES]:
        console.print(_failure_line(result), highlight=False, markup=False)
    if len(bad) > SHOWN_FAILURES:
        console.print(f"... and {len(bad) - SHOWN_FAILURES} more (see --report-json)")
    skipped_must = [r for r in results if r.blocking and r.outcome is Outcome.SKIPPED]
    if skipped_must:
        console.print(
            f"{len(skipped_must)} MUST case(s) skipped by the adapter count as not passed"
        )
    if info.adapter_restarts:
        console.print(f"the adapter was restarted {info.adapter_restarts} time(s) after faults")
    console.print(f"[bold]{verdict(info, results)}[/bold]", highlight=False)


def verdict(info: RunInfo, results: Sequence[CaseResult]) -> str:
    """The last line of every run, ``--quiet`` too: PASS or FAIL (FW-CNF-23), and the seed."""
    return f"{'FAIL' if exit_status(results) else 'PASS'} (seed {info.seed})"


def _failure_line(result: CaseResult) -> str:
    case = result.case
    head = f"{result.outcome.value.upper()} {case.id} [{result.mode}] {','.join(case.statements)}"
    if result.outcome is Outcome.FIXED:
        return f"{head}: declared as a known failure but passes: remove it from the list"
    first = result.failures[0]
    return f"{head} ({first.delivery}): {first.detail}"
