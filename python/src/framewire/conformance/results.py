"""Outcomes of a run: per-case results, known failures, counts, and the exit status."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewire.conformance.vectors import Case


class Outcome(enum.StrEnum):
    """The outcome of one case in one mode (spec 10.4)."""

    PASSED = "passed"
    FAILED = "failed"
    KNOWN_FAILURE = "known-failure"
    FIXED = "fixed"  # declared as a known failure, but passed: the list is stale
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not-applicable"


@dataclass
class DeliveryResult:
    """How one delivery of a case went: ok, or the difference observed."""

    delivery: str
    ok: bool
    detail: str = ""
    request: Mapping[str, Any] | None = None
    log: Sequence[Mapping[str, Any]] | None = None


@dataclass
class CaseResult:
    """The result of one case in one mode ("adapter" or "live")."""

    case: Case
    mode: str
    outcome: Outcome
    reason: str = ""  # why skipped / not applicable
    deliveries: list[DeliveryResult] = field(default_factory=list)

    @property
    def failures(self) -> list[DeliveryResult]:
        """The deliveries that did not give the expected outcome."""
        return [d for d in self.deliveries if not d.ok]

    @property
    def blocking(self) -> bool:
        """Whether this result makes the run fail (FW-CNF-2, FW-CNF-23)."""
        if self.outcome is Outcome.FIXED:
            return True
        if self.case.level != "MUST":
            return False
        return self.outcome is Outcome.FAILED or (
            self.outcome is Outcome.SKIPPED and not self.case.optional
        )


@dataclass(frozen=True)
class KnownFailures:
    """The declared known failures (FW-CNF-24): whole cases, or single deliveries."""

    entries: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> KnownFailures:
        """Read a known-failures file: one id (or id/delivery) per line, '#' comments."""
        entries = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                entries.add(text)
        return cls(frozenset(entries))

    def unknown(self, case_ids: Iterable[str]) -> list[str]:
        """The declared ids that name no case of the suite (a typo, or a removed vector)."""
        known_ids = set(case_ids)
        return sorted(e for e in self.entries if e.split("/", 1)[0] not in known_ids)

    def declared(self, case_id: str, delivery: str) -> bool:
        """Whether this delivery of this case is declared as failing. A delivery through a
        named receive path ("bytes/feed+events") is also declared by its cut ("bytes")."""
        cut = delivery.split("/", 1)[0]
        return not {case_id, f"{case_id}/{delivery}", f"{case_id}/{cut}"}.isdisjoint(self.entries)

    def mentions(self, case_id: str) -> bool:
        """Whether any line declares this case or one of its deliveries."""
        return any(e == case_id or e.startswith(case_id + "/") for e in self.entries)

    def settle(self, result: CaseResult) -> CaseResult:
        """Turn FAILED into KNOWN_FAILURE, or PASSED into FIXED, as the declarations say."""
        if not self.mentions(result.case.id) or result.outcome not in (
            Outcome.PASSED,
            Outcome.FAILED,
        ):
            return result
        if result.case.id in self.entries:
            whole_case = {Outcome.FAILED: Outcome.KNOWN_FAILURE, Outcome.PASSED: Outcome.FIXED}
            result.outcome = whole_case[result.outcome]
            return result
        declared = {
            d.delivery for d in result.deliveries if self.declared(result.case.id, d.delivery)
        }
        failed = {d.delivery for d in result.failures}
        if declared - failed:
            result.outcome = Outcome.FIXED
        elif result.outcome is Outcome.FAILED and failed <= declared:
            result.outcome = Outcome.KNOWN_FAILURE
        return result


def counts(results: Iterable[CaseResult]) -> dict[str, Counter[str]]:
    """Outcome counts per level: {"MUST": Counter({"passed": 3, ...}), "SHOULD": ...}."""
    table: dict[str, Counter[str]] = {"MUST": Counter(), "SHOULD": Counter()}
    for result in results:
        table.setdefault(result.case.level, Counter())[result.outcome.value] += 1
    return table


def exit_status(results: Iterable[CaseResult]) -> int:
    """0 when nothing blocks the claim, 1 otherwise (FW-CNF-23)."""
    return 1 if any(r.blocking for r in results) else 0
