"""Adapter mode: run every selected vector through an adapter subprocess (spec 10.3)."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from framewire.conformance import judge
from framewire.conformance.adapter_client import (
    LATEST_VERSION,
    AdapterFaultError,
    AdapterProcess,
)
from framewire.conformance.results import CaseResult, DeliveryResult, KnownFailures, Outcome
from framewire.conformance.vectors import LIVE_ONLY_TAG, PROFILE_KINDS, Case, Registry, deliveries

Progress = Callable[[CaseResult], None]

VERSION_2 = 2
VERSION_2_FIELDS = ("read", "control", "send")
"""The case fields that only a version 2 adapter can play (FW-CNF-38)."""
OPTIONAL_CONTROL = frozenset({"ping"})
"""The control events an adapter reports only when its hello says so (FW-CNF-35)."""


class Adapter(Protocol):
    """What `run_case` asks of an adapter: an `AdapterProcess`, or one in this process."""

    def request(self, op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request; return the reply."""

    def restart(self) -> None:
        """Start afresh after a reply that broke the adapter protocol."""


def request_for(
    case: Case, chunks: Iterable[bytes], receive: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The adapter request (op and fields, without seq) for one delivery of CASE, through
    the receive path RECEIVE when the adapter names its paths (FW-CNF-31)."""
    raw = case.raw
    fields: dict[str, Any] = {"case": case.id, "framing": case.framing}
    if case.kind == "encode":
        fields |= {"message": raw["message"], "options": raw["options"]}
        return "encode", fields
    fields |= {"limits": raw["limits"], "chunks": [c.hex() for c in chunks], "eof": case.eof}
    if case.kind == "decode":
        fields |= {
            "hunting": bool(raw.get("hunting", False)),
            "assemble": bool(raw.get("assemble", True)),
        }
    fields |= {name: raw[name] for name in VERSION_2_FIELDS if name in raw}
    if receive is not None:
        fields["receive"] = receive
    return case.kind, fields


def judge_reply(
    case: Case,
    reply: Mapping[str, Any],
    registry: Registry,
    version: int = LATEST_VERSION,
    control: frozenset[str] = OPTIONAL_CONTROL,
) -> str | None:
    """The difference between a result/error reply of an adapter speaking protocol
    VERSION and reporting the optional CONTROL events, and the vector, or None."""
    if case.kind == "decode":
        return judge.check_decode(case, reply, registry)
    if case.kind == "encode":
        return judge.check_encode(case, reply)
    unreported = OPTIONAL_CONTROL - control
    return judge.check_session(
        case, reply, registry, check_sending=version >= VERSION_2, unreported=unreported
    )


def needs_version(fields: Mapping[str, Any]) -> int:
    """The adapter protocol version a case (its raw fields) or a request needs (FW-CNF-38)."""
    return VERSION_2 if any(name in fields for name in VERSION_2_FIELDS) else 1


def receive_paths(
    offered: Mapping[str, Sequence[str]], kind: str, patterns: Sequence[str] = ()
) -> tuple[str | None, ...]:
    """The receive paths to run a case of KIND through (FW-CNF-31): those the adapter
    offers that match PATTERNS (all when there are none, the first when none matches), or
    one unnamed path when it offers none."""
    paths = tuple(offered.get(kind, ()))
    if not paths:
        return (None,)
    chosen = [p for p in paths if any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns)]
    return tuple(chosen) if chosen else paths if not patterns else paths[:1]


def run_case(
    adapter: Adapter,
    case: Case,
    registry: Registry,
    seed: int,
    paths: Sequence[str | None] = (None,),
    *,
    version: int = LATEST_VERSION,
    control: frozenset[str] = OPTIONAL_CONTROL,
) -> CaseResult:
    """Run every delivery of CASE through an adapter speaking protocol VERSION; the first
    'skipped' reply skips the whole case, as does a case that needs a later version."""
    if needs_version(case.raw) > version:
        reason = f"needs adapter protocol version {needs_version(case.raw)}"
        return CaseResult(case, "adapter", Outcome.SKIPPED, reason)
    result = CaseResult(case, "adapter", Outcome.PASSED)
    cuts = (
        [("whole", ())]
        if case.kind == "encode"
        else [(d.name, d.chunks) for d in deliveries(case, seed)]
    )
    for (cut_name, chunks), path in itertools.product(cuts, paths):
        name = cut_name if path is None else f"{cut_name}/{path}"
        op, fields = request_for(case, chunks, path)
        delivery = DeliveryResult(name, ok=True, request={"op": op, **fields})
        result.deliveries.append(delivery)
        try:
            reply = adapter.request(op, fields)
            status = reply.get("status")
            if status == "skipped":
                result.outcome, result.reason = Outcome.SKIPPED, str(reply.get("reason", ""))
                result.deliveries.clear()
                return result
            if status == "crashed":
                delivery.ok = False
                delivery.detail = f"crashed: {judge.short(reply.get('detail', ''))}"
            elif status in ("result", "error"):
                difference = judge_reply(case, reply, registry, version, control)
                delivery.ok, delivery.detail = difference is None, difference or ""
            else:
                raise judge.MalformedReplyError(f"unknown status {status!r}")
        except judge.MalformedReplyError as fault:
            adapter.restart()
            delivery.ok, delivery.detail = False, str(fault)
        except AdapterFaultError as fault:  # the adapter was already restarted
            delivery.ok, delivery.detail = False, str(fault)
        if delivery.ok:
            delivery.request = None  # only failures keep their request, for the report
    if result.failures:
        result.outcome = Outcome.FAILED
    return result


def not_applicable(case: Case, profiles: Iterable[str]) -> str | None:
    """Why CASE is not run through an adapter claiming PROFILES, or None if it is."""
    kinds = set().union(*(PROFILE_KINDS.get(p, frozenset()) for p in profiles))
    if case.kind not in kinds:
        return f"kind {case.kind!r} is outside the claimed profiles"
    if LIVE_ONLY_TAG in case.tags:
        return "live-only: needs real time and sockets"
    return None


def run_adapter(
    adapter: AdapterProcess,
    cases: Iterable[Case],
    *,
    registry: Registry,
    seed: int,
    known: KnownFailures,
    progress: Progress | None = None,
    receive: Sequence[str] = (),
) -> list[CaseResult]:
    """Run CASES through ADAPTER, settling known failures; PROGRESS sees each result."""
    results = []
    for case in cases:
        reason = not_applicable(case, adapter.info.profiles)
        if reason:
            result = CaseResult(case, "adapter", Outcome.NOT_APPLICABLE, reason)
        else:
            paths = receive_paths(adapter.info.receive, case.kind, receive)
            info = adapter.info
            run = run_case(
                adapter, case, registry, seed, paths, version=info.version, control=info.control
            )
            result = known.settle(run)
        results.append(result)
        if progress:
            progress(result)
    return results
