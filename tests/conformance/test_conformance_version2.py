"""Version 2 of the adapter protocol (spec 10.3.8): late reading, control events, sending.

The runner's side: which vectors a version 1 adapter is sent, how `sending` and the
optional PING events are judged; and the reference adapter's side of each request field.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers.conformance import outcomes, run_runner, suite

from framewire.conformance import judge, runner
from framewire.conformance.adapter import DECODE_PATHS, SESSION_PATHS, ReferenceAdapter
from framewire.conformance.results import Outcome
from framewire.conformance.vectors import Case

SEED = 1


class InProcess:
    """The reference adapter in this process, its replies passed through EDIT."""

    def __init__(self, edit: Any = None) -> None:
        self.adapter = ReferenceAdapter()
        self.edit = edit

    def request(self, op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        reply = self.adapter.handle({"op": op, "seq": 1, **fields})
        return self.edit(reply) if self.edit else reply

    def restart(self) -> None:
        """Nothing to restart in process."""


def cases_needing_version_2() -> list[Case]:
    return [case for case in suite().cases if runner.needs_version(case.raw) == runner.VERSION_2]


def case_named(key: str) -> Case:
    """The length-prefixed session case whose description starts with KEY."""
    return next(
        c
        for c in cases_needing_version_2()
        if c.kind == "session" and c.framing == "length-prefixed" and key in c.description
    )


def test_the_suite_has_vectors_for_each_version_2_field() -> None:
    used = {
        name
        for case in cases_needing_version_2()
        for name in runner.VERSION_2_FIELDS
        if name in case.raw
    }
    assert used == set(runner.VERSION_2_FIELDS)


def test_a_version_1_adapter_is_not_sent_version_2_vectors() -> None:
    """FW-CNF-38: skipped (which does not pass a MUST vector), without a request."""
    sent: list[Mapping[str, Any]] = []

    class Recording(InProcess):
        def request(self, op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
            sent.append(fields)
            return super().request(op, fields)

    for case in cases_needing_version_2():
        result = runner.run_case(Recording(), case, suite().registry, SEED, version=1)
        assert result.outcome is Outcome.SKIPPED
        assert result.reason == "needs adapter protocol version 2"
    assert sent == []


def test_a_version_1_reply_needs_no_sending_field() -> None:
    """Version 1 replies are judged as before: no `sending` (FW-CNF-37 is version 2)."""
    case = next(
        c for c in suite().cases if c.kind == "session" and runner.needs_version(c.raw) == 1
    )

    def strip(reply: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in reply.items() if key != "sending"}

    adapter = InProcess(strip)
    assert (
        runner.run_case(adapter, case, suite().registry, SEED, version=1).outcome is Outcome.PASSED
    )
    assert runner.run_case(adapter, case, suite().registry, SEED).outcome is Outcome.FAILED


@pytest.mark.parametrize(("end", "sending"), [("open", "done"), ("error", "open")])
def test_a_wrong_sending_fails_the_vector(end: str, sending: str) -> None:
    """FW-CNF-37: `sending` is "done" exactly when the session failed."""
    registry = suite().registry
    case = next(
        c
        for c in suite().cases
        if c.kind == "session"
        and isinstance(c.raw["expect"]["end"], dict) == (end == "error")
        and runner.needs_version(c.raw) == 1
    )
    reply = InProcess().request("session", runner.request_for(case, [case.input])[1])
    assert judge.check_session(case, reply, registry) is None
    difference = judge.check_session(case, reply | {"sending": sending}, registry)
    assert difference is not None
    assert "FW-CNF-37" in difference
    with pytest.raises(judge.MalformedReplyError):
        judge.check_session(case, reply | {"sending": "maybe"}, registry)


def test_ping_events_are_expected_only_from_an_adapter_that_reports_them() -> None:
    """FW-CNF-35: PING events are optional; an adapter that lists none is not asked for them,
    and one that reports them must report them where they belong."""
    registry = suite().registry
    case = case_named("HELLO with no settings")
    assert any("ping" in e for e in case.raw["expect"]["events"])
    reply = InProcess().request("session", runner.request_for(case, [case.input])[1])
    assert runner.judge_reply(case, reply, registry) is None
    without_pings = reply | {"events": [e for e in reply["events"] if "ping" not in e]}
    assert runner.judge_reply(case, without_pings, registry, control=frozenset()) is None
    assert runner.judge_reply(case, without_pings, registry) is not None
    assert runner.judge_reply(case, reply, registry, control=frozenset()) is not None


def test_an_adapter_that_ignores_send_fails() -> None:
    """FW-CNF-36: the messages the application sends are expected in `sent`."""
    case = case_named("600-byte message")
    ignoring = InProcess()
    original = ignoring.adapter.session

    def session(request: Mapping[str, Any]) -> dict[str, Any]:
        return original({key: value for key, value in request.items() if key != "send"})

    ignoring.adapter.session = session  # type: ignore[method-assign]
    result = runner.run_case(ignoring, case, suite().registry, SEED)
    assert result.outcome is Outcome.FAILED
    assert "echoes" in result.failures[0].detail
    assert runner.run_case(InProcess(), case, suite().registry, SEED).outcome is Outcome.PASSED


def test_the_reference_reads_late_through_every_path() -> None:
    """FW-CNF-34 and FW-CNF-31: every receive path, reading late, passes the vectors."""
    registry = suite().registry
    for case in cases_needing_version_2():
        offered = {"decode": DECODE_PATHS, "session": SESSION_PATHS}
        paths = runner.receive_paths(offered, case.kind)
        result = runner.run_case(InProcess(), case, registry, SEED, paths)
        assert result.outcome is Outcome.PASSED, result.failures


def test_a_version_1_adapter_cannot_claim_conformance(tmp_path: Path) -> None:
    """End to end: an adapter that answers version 1 gets the version 2 vectors skipped,
    and the run fails (exit status 1)."""
    script = tmp_path / "version1.py"
    script.write_text(
        "import json, sys\n"
        "from framewire.conformance.adapter import ReferenceAdapter, serve\n"
        "class Version1(ReferenceAdapter):\n"
        "    def handle(self, request):\n"
        "        if request.get('op') == 'hello':\n"
        "            request = {**request, 'versions': [1]}\n"
        "        return super().handle(request)\n"
        "serve(Version1(), sys.stdin.buffer, sys.stdout)\n",
        encoding="utf-8",
    )
    status, report = run_runner(
        tmp_path,
        "--adapter",
        f"{sys.executable} {script}",
        "--only",
        "late-reading",
        "--only",
        "FW-CNF-35",
    )
    assert status == 1
    skipped = outcomes(report, "skipped")
    assert skipped == {
        c.id
        for c in cases_needing_version_2()
        if c.matches("late-reading") or c.matches("FW-CNF-35")
    }
    assert not outcomes(report, "failed")


@pytest.mark.parametrize(("offered", "answered"), [([1], 1), ([1, 2], 2), ([2], 2), ([3], None)])
def test_the_reference_answers_the_latest_version_offered(
    offered: list[int], answered: int | None
) -> None:
    """FW-CNF-10: the latest version both speak, or null."""
    reply = ReferenceAdapter().handle({"op": "hello", "versions": offered})
    assert reply["version"] == answered
