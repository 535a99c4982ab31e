"""Differential fuzzing: the same random requests to several adapters, replies compared.

Why: the vectors decide what is right only where someone wrote a vector. Between two
implementations any difference in what the spec makes normative is a defect in one of
them, so random requests (`fuzzgen`) sent to every adapter find defects no vector names.
Replies are compared in the runner's own terms (`judge`): events and end as the vectors
write them, an error by its registry name and code, a session's output frame by frame
with an ERROR by its code, never by free text. A reply no vector could accept (a crash,
a fault of the adapter, output that is not Framewire) is a finding even when every
implementation gives it.

Every finding is shrunk (the limits lowered, then delta debugging over the input bytes
and frames, then over the chunk boundaries) to a short input that still splits the
implementations the same way, and printed with its request and each implementation's
reply.

    python -m framewire.conformance.fuzzdiff --seconds 30 --seed 1 \\
        --adapter py="python -m framewire.conformance.adapter" \\
        --adapter js="node js/bin/adapter.js"
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from framewire.conformance import judge, wire
from framewire.conformance.adapter_client import (
    AdapterFaultError,
    AdapterProcess,
    AdapterUnusableError,
)
from framewire.conformance.fuzzgen import Generator, Request
from framewire.conformance.runner import OPTIONAL_CONTROL, needs_version
from framewire.conformance.vectors import (
    JSON,
    PROFILE_KINDS,
    Registry,
    VectorsError,
    default_vectors_dir,
    load_suite,
)

EXIT_FINDING, EXIT_USAGE = 1, 2
DEFAULT_REQUESTS = 10_000
MIN_ADAPTERS = 2
BATCH = 64
SHRINK_BUDGET = 1500
"""Requests per implementation that shrinking one finding may send."""

Item = TypeVar("Item")


# --- one implementation ------------------------------------------------------------------


@dataclass
class Implementation:
    """One adapter under a short name, with the requests it was sent, per kind."""

    name: str
    process: AdapterProcess
    sent: Counter[str] = field(default_factory=Counter)

    @property
    def kinds(self) -> frozenset[str]:
        """The request kinds its profiles cover (FW-CNF-10): no other kind is sent."""
        return frozenset().union(
            *(PROFILE_KINDS.get(p, frozenset()) for p in self.process.info.profiles)
        )

    def answer(self, request: Request, registry: Registry) -> JSON:
        """The normal form of its reply to REQUEST; None when not sent or skipped."""
        if request.kind not in self.kinds:
            return None
        if needs_version(request.fields) > self.process.info.version:
            return None  # not sent, as the runner does not (FW-CNF-38)
        paths = self.process.info.receive.get(request.kind, ())
        receive = paths[request.pick % len(paths)] if paths else None
        self.sent[request.kind] += 1
        try:
            reply = self.process.request(request.kind, request.body(receive))
            return normal_reply(request, reply, registry)
        except judge.MalformedReplyError as fault:
            self.process.restart()  # as the runner does after a malformed reply
            return {"fault": str(fault)}
        except AdapterFaultError as fault:  # the adapter was restarted already
            return {"fault": fault.kind}


def normal_reply(request: Request, reply: Mapping[str, Any], registry: Registry) -> JSON:
    """What the runner would judge of REPLY, in a form that compares with ==."""
    status = reply.get("status")
    if status == "skipped":
        return None
    if status == "crashed":
        return {"crashed": True}  # the detail is free text
    if status not in ("result", "error"):
        raise judge.MalformedReplyError(f"unknown status {status!r}")
    if request.kind == "encode":
        if status == "error":
            return {"refused": True}
        return {"output": judge.hex_field(reply, "output", "encode reply")}
    events = judge.normalize_events(reply.get("events"), registry)
    normal = {
        # only the events every implementation reports: a PING event is optional (FW-CNF-35)
        "events": [e for e in events if OPTIONAL_CONTROL.isdisjoint(e)],
        "end": judge.reply_end(reply, registry),
    }
    if request.kind == "session":
        sent = bytes.fromhex(judge.hex_field(reply, "sent", "session reply"))
        normal["sent"] = judge.normal_output(sent, str(request.fields["framing"]))
        if "send" in request.fields:
            # Whether the application's messages go out, and where among the PONGs, is
            # not the same for every implementation when the session fails (FW-CNF-36).
            normal["sent"] = [item for item in normal["sent"] if item[0] != "message"]
        if "sending" in reply:  # version 2: only a wrong answer shows (FW-CNF-37)
            problem = judge.compare_sending(reply, normal["end"])
            if problem:
                normal["sending"] = problem
    return normal


def unacceptable(normal: JSON) -> bool:
    """Whether no vector could accept this reply: a crash, a fault, a refused valid message,
    an error whose code and name disagree (FW-ERR-7), output that is not Framewire or an
    ERROR reason that is not valid UTF-8 of at most 254 bytes (FW-ERR-2)."""
    if not isinstance(normal, dict):
        return False
    if {"crashed", "fault", "refused", "sending"} & normal.keys():
        return True
    ends = [normal.get("end"), *normal.get("events", [])]
    names = [str(end["error"]) for end in ends if isinstance(end, dict) and "error" in end]
    if any(name.startswith("?") for name in names):
        return True
    return any(
        item[0] in ("problem", "malformed") or (item[0] == "error" and not item[2])
        for item in normal.get("sent", [])
    )


# --- verdicts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """How the implementations answered one request."""

    replies: Mapping[str, JSON]
    """Each implementation's normal reply (those that were not sent it, or skipped it, left out)."""

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        """The implementations grouped by identical reply."""
        groups: dict[str, list[str]] = {}
        for name, normal in self.replies.items():
            groups.setdefault(json.dumps(normal, sort_keys=True), []).append(name)
        return tuple(tuple(names) for names in groups.values())

    @property
    def unacceptable(self) -> tuple[str, ...]:
        """The implementations whose reply no vector could accept."""
        return tuple(name for name, normal in self.replies.items() if unacceptable(normal))

    @property
    def signature(self) -> tuple[object, ...]:
        """What shrinking keeps: the same split into groups, the same unacceptable replies."""
        return (self.groups, self.unacceptable)

    @property
    def finding(self) -> bool:
        """A disagreement, or a reply no vector could accept."""
        return len(self.groups) > 1 or bool(self.unacceptable)


@dataclass
class Finding:
    """One finding: the request as generated, and once shrunk."""

    request: Request
    verdict: Verdict
    shrunk: Request | None = None
    shrunk_verdict: Verdict | None = None
    tests: int = 0

    @property
    def key(self) -> tuple[object, ...]:
        """Its kind of difference: the request's kind and source, the split of the
        implementations."""
        return (self.request.kind, self.request.source, self.verdict.signature)


# --- shrinking -------------------------------------------------------------------------


def shrink(items: list[Item], test: Callable[[list[Item]], bool]) -> list[Item]:
    """A shortest-found sublist of ITEMS for which TEST still holds (delta debugging:
    drop pieces of halving size, keep every drop that keeps TEST true)."""
    size = max(1, len(items) // 2)
    while items:
        start, dropped = 0, False
        while start < len(items):
            candidate = items[:start] + items[start + size :]
            if test(candidate):
                items, dropped = candidate, True
            else:
                start += size
        if size == 1 and not dropped:
            break
        size = max(1, size // 2) if not dropped else size
    return items


def shorter_frames(data: bytes) -> Iterator[bytes]:
    """DATA with one frame's payload cut shorter and its header and trailer kept true.

    Deleting bytes cannot shorten a payload: the length, the checksum (and in delimited
    framing the COBS codes) then disagree, and the input shows another fault. Here each
    frame header found (any "FW" with room for a header) gets a shorter payload, its
    `length` written to match and its trailer recomputed when it was right before."""
    for start in range(len(data) - wire.HEADER_SIZE + 1):
        if data[start : start + len(wire.MAGIC)] != wire.MAGIC:
            continue
        magic, version, flags, type_, length = wire.HEADER.unpack_from(data, start)
        body_end = start + wire.HEADER_SIZE + length
        end = body_end + (wire.TRAILER_SIZE if flags & wire.FLAG_C else 0)
        if end > len(data):
            continue
        trailer = data[body_end:end]
        right = trailer == wire.crc32c(data[start:body_end]).to_bytes(wire.TRAILER_SIZE, "big")
        for size in sorted({0, 1, wire.PREFACE_SIZE, length // 2} - {length}):
            if size > length:
                continue
            body = wire.HEADER.pack(magic, version, flags, type_, size)
            body += data[start + wire.HEADER_SIZE : start + wire.HEADER_SIZE + size]
            if trailer:
                body += wire.crc32c(body).to_bytes(wire.TRAILER_SIZE, "big") if right else trailer
            yield data[:start] + body + data[end:]


def shorter_input(data: bytes, framing: str) -> Iterator[bytes]:
    """`shorter_frames` over an input: the bytes as they are, and in delimited framing
    also each COBS-encoded frame between delimiters, decoded and encoded again."""
    yield from shorter_frames(data)
    if framing != wire.DELIMITED:
        return
    start = 0
    for segment in data.split(b"\x00"):
        decoded = wire.cobs_decode(segment) if segment else None
        for smaller in shorter_frames(decoded or b""):
            yield data[:start] + wire.cobs_encode(smaller) + data[start + len(segment) :]
        start += len(segment) + 1


LIMIT_STEPS = ((256, 256), (256, 0), (256, None), (None, 256), (None, 0))
"""Smaller limits to try before shrinking the input (None: keep the request's own): an
input that breaks a limit is as short as the limit allows."""


def smallest_limits(request: Request, holds: Callable[[Request], bool]) -> Request | None:
    """REQUEST under the first of LIMIT_STEPS for which HOLDS stays true, if any."""
    limits = request.fields["limits"]
    for frame, message in LIMIT_STEPS:
        smaller = request.with_limits(
            limits["max_frame_size"] if frame is None else frame,
            limits["max_message_size"] if message is None else message,
        )
        if smaller != request and holds(smaller):
            return smaller
    return None


def shrink_request(
    request: Request, holds: Callable[[Request], bool], budget: int = SHRINK_BUDGET
) -> tuple[Request, int]:
    """REQUEST with its input shrunk while HOLDS stays true: under the smallest limits that
    keep it, first in one chunk, then frame by frame (`shorter_input`) and byte by byte,
    twice, then with each remaining chunk boundary removed. Returns it and the number of
    requests tried (at most BUDGET)."""
    tries = 0
    if not request.shrinkable:
        return request, tries
    framing = str(request.fields.get("framing")) if request.kind != "encode" else ""

    def tried(candidate: Request) -> bool:
        nonlocal tries
        if tries >= budget:
            return False
        tries += 1
        return holds(candidate)

    def build(elements: Sequence[tuple[int, bool]]) -> Request:
        data = bytes(byte for byte, _ in elements)
        return request.with_input(data, [i for i, (_, cut) in enumerate(elements) if cut and i])

    def test(elements: list[tuple[int, bool]]) -> bool:
        return tried(build(elements))

    def frame_pass(elements: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
        shortened = True
        while shortened and framing:
            shortened = False
            data = bytes(byte for byte, _ in elements)
            for candidate in shorter_input(data, framing):
                # the cuts stay at their offsets: the test says whether that still holds
                kept = [
                    (byte, i < len(elements) and elements[i][1]) for i, byte in enumerate(candidate)
                ]
                if test(kept):
                    elements, shortened = kept, True
                    break
        return elements

    if "limits" in request.fields:
        request = smallest_limits(request, tried) or request
    boundaries = set(request.cuts)
    elements = [(byte, i in boundaries) for i, byte in enumerate(request.data)]
    whole = [(byte, False) for byte, _ in elements]
    if elements != whole and test(whole):
        elements = whole
    for _ in range(2):
        elements = shrink(frame_pass(elements), test)
    for index in [i for i, (_, cut) in enumerate(elements) if cut and i]:
        merged = [*elements[:index], (elements[index][0], False), *elements[index + 1 :]]
        if test(merged):
            elements = merged
    return build(elements), tries


# --- the run -----------------------------------------------------------------------------


@dataclass
class Totals:
    """What a run did."""

    requests: int = 0
    per_kind: Counter[str] = field(default_factory=Counter)
    per_source: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    """The first finding of each kind of difference (`Finding.key`), the rest counted only."""
    found: Counter[str] = field(default_factory=Counter)
    """Findings counted: "disagreement" or "unacceptable" (a reply no vector accepts)."""
    seconds: float = 0.0
    sent: dict[str, Counter[str]] = field(default_factory=dict)
    """Per implementation, the requests of each kind it was sent (shrinking not counted)."""
    about: dict[str, str] = field(default_factory=dict)
    """Per implementation, what its adapter's hello said it is."""
    restarts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Totals) -> None:
        """Add another job's totals to these (the jobs ran side by side)."""
        self.requests += other.requests
        self.per_kind += other.per_kind
        self.per_source += other.per_source
        self.skipped += other.skipped
        self.findings += other.findings
        self.found += other.found
        self.seconds = max(self.seconds, other.seconds)
        for name, kinds in other.sent.items():
            self.sent.setdefault(name, Counter()).update(kinds)
        self.about |= other.about
        self.restarts += other.restarts

    def count(
        self, request: Request, verdict: Verdict, implementations: Sequence[Implementation]
    ) -> None:
        """Count one request and its verdict."""
        self.requests += 1
        self.per_kind[request.kind] += 1
        self.per_source[request.source] += 1
        self.skipped.update(
            impl.name
            for impl in implementations
            if impl.name not in verdict.replies and request.kind in impl.kinds
        )
        if verdict.finding:
            self.found["disagreement" if len(verdict.groups) > 1 else "unacceptable"] += 1
            finding = Finding(request, verdict)
            if finding.key not in {kept.key for kept in self.findings}:
                self.findings.append(finding)


class Fuzzer:
    """Sends generated requests to every implementation and collects the findings."""

    def __init__(self, implementations: Sequence[Implementation], registry: Registry) -> None:
        self.implementations = implementations
        self.registry = registry
        self.pool = ThreadPoolExecutor(max_workers=len(implementations))

    def close(self) -> None:
        """Stop the worker threads."""
        self.pool.shutdown()

    def submit(self, requests: Sequence[Request]) -> list[Future[list[JSON]]]:
        """Start every implementation on REQUESTS, the adapters running side by side."""

        def answers(impl: Implementation) -> list[JSON]:
            return [impl.answer(request, self.registry) for request in requests]

        return [self.pool.submit(answers, impl) for impl in self.implementations]

    def collect(self, started: Sequence[Future[list[JSON]]]) -> list[Verdict]:
        """The verdicts of what `submit` started, once every implementation has answered."""
        columns = [future.result() for future in started]
        names = [impl.name for impl in self.implementations]
        return [
            Verdict(
                {name: reply for name, reply in zip(names, row, strict=True) if reply is not None}
            )
            for row in zip(*columns, strict=True)
        ]

    def verdicts(self, requests: Sequence[Request]) -> list[Verdict]:
        """Every implementation's answers to REQUESTS."""
        return self.collect(self.submit(requests))

    def run(self, generator: Generator, requests: int, seconds: float | None) -> Totals:
        """Send up to REQUESTS generated requests, for at most SECONDS; the next batch is
        generated while the adapters answer the last one."""
        totals = Totals()
        start = time.monotonic()
        deadline = start + seconds if seconds is not None else None
        issued = 0

        def next_batch() -> list[Request]:
            nonlocal issued
            if issued >= requests or (deadline is not None and time.monotonic() >= deadline):
                return []
            size = min(BATCH, requests - issued)
            issued += size
            return [generator.next() for _ in range(size)]

        batch = next_batch()
        started = self.submit(batch)
        while batch:
            following = next_batch()
            verdicts = self.collect(started)
            started = self.submit(following)
            for request, verdict in zip(batch, verdicts, strict=True):
                totals.count(request, verdict, self.implementations)
            batch = following
        totals.seconds = time.monotonic() - start
        for impl in self.implementations:
            totals.sent[impl.name] = Counter(impl.sent)
            totals.about[impl.name] = impl.process.info.implementation
            totals.restarts[impl.name] = impl.process.restarts
        return totals

    def shrink(self, finding: Finding) -> None:
        """Shrink FINDING's input to one that splits the implementations the same way."""

        def holds(candidate: Request) -> bool:
            return self.verdicts([candidate])[0].signature == finding.verdict.signature

        finding.shrunk, finding.tests = shrink_request(finding.request, holds)
        finding.shrunk_verdict = self.verdicts([finding.shrunk])[0]


# --- reporting ----------------------------------------------------------------------------


def distinct(findings: Sequence[Finding]) -> Iterator[Finding]:
    """The first finding of each kind of difference (jobs may find the same)."""
    seen: set[object] = set()
    for finding in findings:
        if finding.key not in seen:
            seen.add(finding.key)
            yield finding


def describe(finding: Finding) -> list[str]:
    """A finding as lines of text: the shrunk request, its input, each reply."""
    request = finding.shrunk or finding.request
    verdict = finding.shrunk_verdict or finding.verdict
    what = "disagreement" if len(verdict.groups) > 1 else "unacceptable reply"
    origin = f" from {finding.request.note}" if finding.request.note else ""
    lines = [
        f"{what}: {request.kind} ({finding.request.source}{origin}), "
        f"groups {' | '.join('+'.join(g) for g in verdict.groups)}",
        f"  shrunk from {len(finding.request.data)} to {len(request.data)} bytes in "
        f"{len(request.chunks)} chunk(s), {finding.tests} tries",
        f"  input: {request.data.hex() or '(none)'}",
        f"  request: {json.dumps({'op': request.kind, **request.body()}, separators=(',', ':'))}",
    ]
    for group in verdict.groups:
        reply = json.dumps(verdict.replies[group[0]], sort_keys=True)
        lines.append(f"  {', '.join(group)}: {reply}")
    return lines


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding for --report-json."""
    request = finding.shrunk or finding.request
    verdict = finding.shrunk_verdict or finding.verdict
    return {
        "kind": request.kind,
        "source": request.source,
        "origin": request.note,
        "generated_size": len(finding.request.data),
        "input": request.data.hex(),
        "request": {"op": request.kind, **request.body()},
        "groups": [list(g) for g in verdict.groups],
        "unacceptable": list(verdict.unacceptable),
        "replies": dict(verdict.replies),
        "tries": finding.tests,
    }


def summary(totals: Totals, shrinking: Mapping[str, int], seed: int) -> list[str]:
    """The run in a few lines: throughput, counts per kind, per implementation, findings."""
    sent = sum(sum(kinds.values()) for kinds in totals.sent.values())
    seconds = max(totals.seconds, 1e-9)
    lines = [
        f"fuzz-diff: seed {seed}: {totals.requests} requests in {totals.seconds:.1f} s, "
        f"{totals.requests / seconds:.0f} requests/s; {sent} adapter requests, "
        f"{sent / seconds:.0f}/s",
        "  per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(totals.per_kind.items())),
        "  per source: " + ", ".join(f"{k} {n}" for k, n in sorted(totals.per_source.items())),
    ]
    for name, kinds in totals.sent.items():
        lines.append(
            f"  {name} ({totals.about[name]}): {sum(kinds.values())} requests "
            f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), "
            f"{totals.skipped[name]} skipped, {totals.restarts[name]} restarts, "
            f"{shrinking.get(name, 0)} more to shrink findings"
        )
    lines.append(
        f"  disagreements: {totals.found['disagreement']}; unacceptable replies only: "
        f"{totals.found['unacceptable']}"
    )
    return lines


# --- command line ----------------------------------------------------------------------------


def parse_adapter(text: str) -> tuple[str, str]:
    """NAME=CMD."""
    name, sep, command = text.partition("=")
    if not sep or not name or not command.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=CMD, got {text!r}")
    return name, command


def parser() -> argparse.ArgumentParser:
    """The options of `python -m framewire.conformance.fuzzdiff`."""
    cli = argparse.ArgumentParser(
        prog="python -m framewire.conformance.fuzzdiff",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    cli.add_argument(
        "--adapter",
        metavar="NAME=CMD",
        type=parse_adapter,
        action="append",
        default=[],
        help="an implementation's adapter (give two or more)",
    )
    cli.add_argument("--seed", type=int, help="seed of the requests (random when not given)")
    cli.add_argument(
        "--requests",
        type=int,
        help=f"requests to generate (default {DEFAULT_REQUESTS} without --seconds)",
    )
    cli.add_argument("--seconds", type=float, help="stop generating after this many seconds")
    cli.add_argument("--show", type=int, default=10, help="findings to shrink and print")
    cli.add_argument(
        "--vectors", type=Path, help="vectors directory (inputs to mutate, the registry)"
    )
    cli.add_argument(
        "--jobs", type=int, default=1, help="fuzzers side by side, each with its own adapters"
    )
    cli.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    cli.add_argument("--report-json", type=Path, metavar="FILE", help="write the findings as JSON")
    return cli


@dataclass(frozen=True)
class Plan:
    """What each job of a run does (picklable: jobs run in processes of their own)."""

    adapters: tuple[tuple[str, str], ...]
    vectors: Path
    timeout: float
    requests: int
    seconds: float | None

    @contextmanager
    def fuzzer(self, registry: Registry) -> Iterator[Fuzzer]:
        """A fuzzer over freshly started adapters, all ended on exit."""
        with ExitStack() as stack:
            implementations = [
                Implementation(name, stack.enter_context(AdapterProcess(command, self.timeout)))
                for name, command in self.adapters
            ]
            fuzzer = Fuzzer(implementations, registry)
            stack.callback(fuzzer.close)
            yield fuzzer


def fuzz_job(plan: Plan, seed: int | str, requests: int) -> Totals:
    """One job: its own adapters, REQUESTS requests drawn from SEED."""
    suite = load_suite(plan.vectors)
    with plan.fuzzer(suite.registry) as fuzzer:
        return fuzzer.run(Generator(seed, suite.cases, suite.registry), requests, plan.seconds)


def fuzz(plan: Plan, seed: int, jobs: int) -> Totals:
    """The run: one job, or JOBS side by side, each with seed SEED/JOB and its share of the
    requests."""
    if jobs == 1:
        return fuzz_job(plan, seed, plan.requests)
    shares = [plan.requests // jobs + (job < plan.requests % jobs) for job in range(jobs)]
    with ProcessPoolExecutor(jobs) as pool:
        parts = pool.map(fuzz_job, [plan] * jobs, [f"{seed}/{job}" for job in range(jobs)], shares)
        totals = Totals()
        for part in parts:
            totals.add(part)
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fuzzer; exit status 1 on any finding, 2 on a usage error."""
    args = parser().parse_args(argv)
    names = [name for name, _ in args.adapter]
    if len(names) < MIN_ADAPTERS or len(set(names)) != len(names) or args.jobs < 1:
        print(
            "fuzzdiff: give two or more --adapter NAME=CMD with distinct names, "
            "and --jobs 1 or more",
            file=sys.stderr,
        )
        return EXIT_USAGE
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    limit = args.requests
    if limit is None:
        limit = sys.maxsize if args.seconds is not None else DEFAULT_REQUESTS
    try:
        directory = args.vectors or default_vectors_dir()
        if directory is None:
            raise VectorsError("no vectors found: give --vectors DIR")
        suite = load_suite(directory)
        plan = Plan(tuple(args.adapter), directory, args.timeout, limit, args.seconds)
        totals = fuzz(plan, seed, args.jobs)
        shown = list(distinct(totals.findings))[: args.show]
        shrinking: Counter[str] = Counter()
        if shown:
            with plan.fuzzer(suite.registry) as fuzzer:
                for finding in shown:
                    fuzzer.shrink(finding)
                    print("\n".join(describe(finding)))
                shrinking = Counter(
                    {impl.name: sum(impl.sent.values()) for impl in fuzzer.implementations}
                )
        print("\n".join(summary(totals, shrinking, seed)))
        if len(shown) < sum(totals.found.values()):
            unshown = sum(totals.found.values()) - len(shown)
            print(f"  ({unshown} findings not shown: repeats, or kinds past --show)")
    except (VectorsError, AdapterUnusableError, OSError) as exc:
        print(f"fuzzdiff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.report_json:
        report = {
            "seed": seed,
            "requests": totals.requests,
            "findings": [finding_json(f) for f in shown],
        }
        args.report_json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return EXIT_FINDING if totals.found else 0


if __name__ == "__main__":
    sys.exit(main())
