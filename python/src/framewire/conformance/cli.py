"""`framewire conformance` and `python -m framewire.conformance`: the command line."""

from __future__ import annotations

import argparse
import random
import shlex
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from framewire import __version__
from framewire._cli_options import (
    HelpFormatter,
    UsageError,
    add_tls_options,
    tls_client_options,
)
from framewire.conformance import live, report
from framewire.conformance.adapter_client import AdapterProcess, AdapterUnusableError
from framewire.conformance.results import CaseResult, KnownFailures, exit_status
from framewire.conformance.runner import run_adapter
from framewire.conformance.vectors import (
    VectorsError,
    default_vectors_dir,
    load_suite,
    select,
)
from framewire.tls import client_context

EXIT_USAGE = 2
DESCRIPTION = """\
Run the Framewire test vectors against an implementation and report what conforms
(spec section 10). Adapter mode drives the implementation through an adapter
subprocess that speaks the adapter protocol (spec 10.3, versions 1 and 2: a vector that
reads late, asks for the peer's HELLO or sends messages needs version 2, and is
reported skipped for a version 1 adapter); live mode plays the vectors over real
sockets against the implementation's echo peer (spec 10.5).

examples:
  framewire conformance --adapter "node js/bin/adapter.js" --report-json report.json
  framewire conformance --adapter "python -m framewire.conformance.adapter" --only FW-DLM-*
  framewire conformance --live-connect 127.0.0.1:7000
  framewire conformance --live-serve \\
      --live-peer "python -m framewire.conformance.echo --connect {address}"
"""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `conformance` on framewire's CLI; the parser's `handler` runs it."""
    parser = subparsers.add_parser(
        "conformance",
        help="run the conformance vectors against an implementation (adapter or live)",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,
    )
    configure(parser)
    parser.set_defaults(handler=run)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the conformance command."""
    mode = parser.add_argument_group("what to test")
    mode.add_argument("--adapter", metavar="CMD", help="adapter command line (adapter mode)")
    mode.add_argument("--live-connect", metavar="HOST:PORT", help="connect to an echo server")
    mode.add_argument(
        "--live-serve",
        metavar="HOST:PORT",
        nargs="?",
        const="127.0.0.1:0",
        help="listen for an echo client (default 127.0.0.1 on a free port)",
    )
    mode.add_argument("--unix", metavar="PATH", help="live mode over a Unix socket at PATH")
    mode.add_argument(
        "--live-peer",
        metavar="CMD",
        help="with --live-serve: start this echo client; {address} is replaced by the address",
    )
    add_tls_options(parser, server=False)
    mode.add_argument(
        "--live-deadlines",
        metavar="LIST",
        default="",
        help="deadlines the echo peer runs with, e.g. handshake_ms=1000,frame_ms=300: "
        "enables the vectors that need them",
    )
    mode.add_argument(
        "--live-jobs",
        metavar="N",
        type=_live_jobs,
        default=1,
        help="with --live-connect: play N cases at once, for an echo server that serves "
        "connections side by side (default 1)",
    )
    choice = parser.add_argument_group("which vectors")
    choice.add_argument("--vectors", metavar="DIR", type=Path, help="vectors directory")
    choice.add_argument(
        "--only",
        metavar="PATTERN",
        action="append",
        default=[],
        help="run only cases whose id, group, kind, level, tag or statement matches "
        "(shell-style, e.g. FW-DLM-*; repeat or separate with commas)",
    )
    choice.add_argument(
        "--skip",
        metavar="PATTERN",
        action="append",
        default=[],
        help="leave out cases that match (as --only; applied after it)",
    )
    choice.add_argument(
        "--receive",
        metavar="PATTERN",
        action="append",
        default=[],
        help="adapter mode: only the receive paths the adapter names that match "
        "(shell-style; FW-CNF-31); a kind with none that matches keeps its first",
    )
    choice.add_argument(
        "--known-failures",
        metavar="FILE",
        type=Path,
        help="ids of cases expected to fail (one per line): they do not fail the run, and "
        "one that passes does (spec 10.4)",
    )
    run_options = parser.add_argument_group("how")
    run_options.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request/connection"
    )
    run_options.add_argument("--seed", type=int, help="seed of the random splits (printed)")
    output = parser.add_argument_group("reports")
    output.add_argument(
        "--report-json", metavar="FILE", type=Path, help="write every result as JSON to FILE"
    )
    output.add_argument(
        "--junit", metavar="FILE", type=Path, help="write a JUnit XML report to FILE (for CI)"
    )
    output.add_argument("--log-dir", metavar="DIR", type=Path, help="live mode byte logs")
    output.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no table: the PASS or FAIL line only",
    )


def _patterns(values: Sequence[str]) -> list[str]:
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def _console(args: argparse.Namespace) -> Console:
    """The console for the summary: rich honours NO_COLOR and colours only a terminal."""
    return Console(no_color=True if getattr(args, "no_color", False) else None)


MAX_LIVE_JOBS = 64
"""Most cases played at once: each holds a connection and a thread."""


def _live_jobs(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= MAX_LIVE_JOBS:
        raise argparse.ArgumentTypeError(f"a number from 1 to {MAX_LIVE_JOBS}, not {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run the selected modes; the exit status of spec FW-CNF-23."""
    console = _console(args)
    error_console = Console(stderr=True, no_color=console.no_color or None)
    live_wanted = bool(args.live_connect or args.live_serve or args.unix)
    if not args.adapter and not live_wanted:
        error_console.print("conformance: give --adapter CMD and/or a live mode")
        return EXIT_USAGE
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    try:
        directory = args.vectors or default_vectors_dir()
        if directory is None:
            raise VectorsError("no vectors found: give --vectors DIR")
        suite = load_suite(directory)
        known = KnownFailures.load(args.known_failures) if args.known_failures else KnownFailures()
        if strays := known.unknown(case.id for case in suite.cases):
            raise VectorsError(f"{args.known_failures} names ids the suite lacks: {strays}")
        cases = select(suite.cases, _patterns(args.only), _patterns(args.skip))
        results: list[CaseResult] = []
        tested: list[tuple[str, str, tuple[str, ...]]] = []  # (mode, implementation, profiles)
        adapter_notes: dict[str, Any] = {}
        with ExitStack() as stack:
            progress = _progress(console, args.quiet, stack)
            if args.adapter:
                adapter = stack.enter_context(AdapterProcess(args.adapter, args.timeout))
                results += run_adapter(
                    adapter,
                    cases,
                    registry=suite.registry,
                    seed=seed,
                    known=known,
                    progress=progress(len(cases), "adapter"),
                    receive=_patterns(args.receive),
                )
                tested.append(("adapter", adapter.info.implementation, adapter.info.profiles))
                adapter_notes = {
                    "adapter_restarts": adapter.restarts,
                    "adapter_stderr": tuple(adapter.stderr_tail),
                }
            if live_wanted:
                endpoint = _endpoint(args)
                stack.callback(endpoint.close)
                peer, live_results = live.run_live(
                    endpoint,
                    cases,
                    registry=suite.registry,
                    seed=seed,
                    timeout=args.timeout,
                    known=known,
                    progress=progress(len(cases), "live"),
                    log_dir=args.log_dir,
                    deadlines=live.parse_deadlines(args.live_deadlines),
                    jobs=args.live_jobs,
                )
                results += live_results
                tested.append(("live", f"echo peer ({peer.framing}, {dict(peer.limits)})", ()))
    except (VectorsError, AdapterUnusableError, live.LiveError, OSError, UsageError) as exc:
        error_console.print(f"conformance: {exc}", highlight=False)
        return EXIT_USAGE
    info = report.RunInfo(
        runner=f"framewire-conformance {__version__}",
        suite_version=suite.suite_version,
        vectors=str(directory),
        seed=seed,
        mode="+".join(mode for mode, _, _ in tested),
        implementation=" / ".join(name for _, name, _ in tested),
        profiles=tuple(p for _, _, profiles in tested for p in profiles),
        **adapter_notes,
    )
    if args.quiet:
        console.print(report.verdict(info, results), highlight=False, markup=False)
    else:
        report.print_summary(console, info, results)
    if args.report_json:
        report.write_json(args.report_json, info, results)
    if args.junit:
        report.write_junit(args.junit, info, results)
    return exit_status(results)


def _endpoint(args: argparse.Namespace) -> live.Endpoint:
    if args.live_serve is not None:
        if args.live_jobs > 1:
            raise UsageError(
                "--live-jobs works with --live-connect: an echo client connects "
                "once per case, one case at a time"
            )
        if args.tls:
            raise UsageError("--tls works with --live-connect: the echo peer is the TLS server")
        address = args.unix or live.parse_address(args.live_serve)
        command = shlex.split(args.live_peer) if args.live_peer else None
        endpoint = live.ServeEndpoint.listen(address, command, args.log_dir)
        if command is None:
            print(f"conformance: waiting for the echo peer on {endpoint.shown_address}", flush=True)
        return endpoint
    context, server_name = tls_client_options(args, client_context)
    return live.ConnectEndpoint(
        args.unix or live.parse_address(args.live_connect), context, server_name
    )


def _progress(
    console: Console, quiet: bool, stack: ExitStack
) -> Callable[[int, str], Callable[[CaseResult], None] | None]:
    """A factory of per-mode progress callbacks: a rich bar on a terminal, else nothing."""
    if quiet or not console.is_terminal:
        return lambda total, label: None
    bar = stack.enter_context(
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
    )

    def start(total: int, label: str) -> Callable[[CaseResult], None]:
        task = bar.add_task(label, total=total)
        return lambda result: bar.advance(task)

    return start


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m framewire.conformance`."""
    parser = argparse.ArgumentParser(
        prog="python -m framewire.conformance",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,
    )
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
