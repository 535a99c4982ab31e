"""Mutation testing of the reference implementation, judged by the test vectors.

Run: `make mutation` (or `nice .venv/bin/python tools/mutants.py --write vectors/MUTATION.md`;
`--only MODULE` and `--match TEXT` judge a part).

A *mutant* is the reference implementation with one small change: a comparison, a boolean
operator, an arithmetic or bitwise operator or an integer or boolean constant changed at
one place. It is judged in three stages, and the first that fails on it kills it:

1. the vectors through the adapter protocol: some vector, in some delivery and through
   some receive path (FW-CNF-12, FW-CNF-31), gets another outcome than it expects, or
   the mutant crashes or hangs;
2. the live-only vectors (deadlines, lingering), which the adapter protocol cannot play
   (it has no clock): live mode plays them (spec 10.5, --live-connect) against the
   reference echo server of the mutated implementation, as against any echo peer;
3. for a mutant that no vector can reach (an argument check of the Python API, an
   implementation's own failure), the pytest tests `tools/mutation-unanswered.json`
   names for it, with why no vector reaches it, or else those JUDGED_BY_TESTS names for
   its function (one that no vector drives: streaming sends, pings, half-close, a
   transport's queries). These kills are reported apart: a test of the reference says
   nothing about what the vectors can tell apart.

The share of mutants killed measures what the vectors (and, reported apart, the tests)
can tell apart; a mutant that survives is either equivalent (no input can tell it from
the original, and `tools/mutation-notes.json` says why) or a gap, answered by a new
vector.

Why its own mutator and not mutmut or cosmic-ray: the judge is the conformance runner's
own comparison, run in process through the reference adapter (one process start per
mutant instead of one per vector), and mutants are applied by swapping the code objects
of the mutated functions in a forked child, so the vectors are read and the module
imported once for the whole run.

What is mutated: the functions of the modules in TARGETS that decode and encode frames
and run a session, and the constants their module and class bodies assign (a layout's
size, a block size, a registry code), minus the guards of local API misuse (an `if`
whose body only raises UsageError: no vector misuses the API). The functions that no
vector drives are mutated too: the tests JUDGED_BY_TESTS names judge them.

A mutant in a function that the vectors run is judged by swapping code objects, with the
requests (and the live cases) that run its line. A constant, or a function that runs
only while the modules are imported (the layouts derived from the schemas), takes effect
at import: such a mutant is judged in a child that imports the implementation afresh,
mutated, under the reference adapter, with every request and every live case (the judge
itself imports none of it). Mutants on lines that neither the requests, the live cases
nor the import execute reach the vectors not at all: only named tests can kill them.
The cache keeps each outcome with the signature of the tests that judged it, so a new
test makes the tool judge again only the test stage of the mutants it is named for.
"""

from __future__ import annotations

import argparse
import ast
import copy
import functools
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import resource
import signal
import sys
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from framewire._codec import compiled
from framewire.conformance import echo, live, runner
from framewire.conformance.adapter import DECODE_PATHS, SESSION_PATHS, ReferenceAdapter
from framewire.conformance.results import KnownFailures, Outcome
from framewire.conformance.vectors import (
    LIVE_ONLY_TAG,
    Case,
    Registry,
    deliveries,
    load_suite,
)

ROOT = Path(__file__).resolve().parent.parent
NOTES_FILE = ROOT / "tools" / "mutation-notes.json"
UNANSWERED_FILE = ROOT / "tools" / "mutation-unanswered.json"
"""Survivors that are not equivalent but out of every vector's reach: why, and the test
that kills them."""
CACHE_FILE = ROOT / "build" / "mutation-cache.json"
"""Outcomes of earlier runs, valid while the implementation, adapter and vectors are
unchanged (the key hashes all of them): editing the notes rewrites the report at once."""

TARGETS = (
    "framewire.decoder",
    "framewire._codec.receive_buffer",
    "framewire._codec.readers",
    "framewire._codec.fast_readers",
    "framewire._codec.assembler",
    "framewire.encoder",
    "framewire.session",
    "framewire.framing",
    "framewire._codec.checks",
    "framewire._codec.control",
    "framewire._codec.cobs_codec",
    "framewire._codec.checksum",
    "framewire._codec.schema",
    "framewire.errors",
    "framewire.events",
    "framewire.options",
)
"""The receive and send paths: the decoder (split by job into a receive buffer, one reader
per framing and a message assembler), the encoder, the session, and what they share:
the framings, limits and header checks, the control payload layouts, COBS, CRC-32C, the
wire layouts, the error registry, the events and the options. Left out: the modules that
only write text for people (`_codec.diagnosis`, `_codec.units`, `_codec.peertext`: the
detail of an error and escaped peer text, which no statement fixes and no vector judges)
and `_codec.bytes_like` (type aliases)."""

MEMORY_QUERY = "a transport's memory query: no vector asks how much is buffered"
STREAMING = "streaming send: no vector sends a message of unknown size"
PINGS = "the adapter's session never pings (FW-CNF-16)"
RECEIVE_TESTS = ["tests/codec/test_receive_buffer.py", "tests/codec/test_codec_errors.py"]
SESSION_TESTS = ["tests/session/test_session_core.py"]
JUDGED_BY_TESTS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "framewire.decoder": {
        "Decoder.buffered": (MEMORY_QUERY, [*RECEIVE_TESTS, "tests/codec/test_codec_delimited.py"]),
        "Decoder.capacity": (MEMORY_QUERY, [*RECEIVE_TESTS, "tests/codec/test_codec_delimited.py"]),
    },
    "framewire._codec.receive_buffer": {
        "ReceiveBuffer.capacity": (MEMORY_QUERY, RECEIVE_TESTS),
    },
    "framewire.encoder": {
        "Encoder.start_message": (STREAMING, ["tests/codec/test_codec_roundtrip.py"]),
        "MessageWriter": (STREAMING, ["tests/codec/test_codec_roundtrip.py"]),
        "Encoder.ping": (PINGS, [*SESSION_TESTS, "tests/codec/test_codec_errors.py"]),
    },
    "framewire.session": {
        "Session.start_message": (STREAMING, SESSION_TESTS),
        "SessionMessageWriter": (STREAMING, SESSION_TESTS),
        "Session.ping": (PINGS, SESSION_TESTS),
        "Session.pings_outstanding": ("a transport's deadline query", SESSION_TESTS),
        "Session.close_write": (
            "the adapter's session never ends its direction (FW-CLS-7)",
            SESSION_TESTS,
        ),
        "Session.sending_done": ("a transport's query", SESSION_TESTS),
        "Session.receive_capacity": (MEMORY_QUERY, [*SESSION_TESTS, *RECEIVE_TESTS]),
    },
    "framewire.events": {
        "_equal_and_same_type": (
            "event equality, for applications and tests: the adapter reports events as JSON",
            ["tests/codec/test_events.py"],
        ),
        "_unequal_or_other_type": (
            "event equality, for applications and tests: the adapter reports events as JSON",
            ["tests/codec/test_events.py"],
        ),
        "_payload_repr": (
            "an event's repr, for people: the adapter reports events as JSON",
            ["tests/codec/test_events.py"],
        ),
        "_REPR_PAYLOAD_BYTES": (
            "how many payload bytes an event's repr shows: the adapter reports events as JSON",
            ["tests/codec/test_events.py"],
        ),
    },
    "framewire._codec.schema": {
        "parse_header": (
            "`framewire inspect`'s parser, on neither the receive nor the send path",
            ["tests/codec/test_schema.py"],
        ),
        "_raw_field": (
            "`framewire inspect`'s parser, on neither the receive nor the send path",
            ["tests/codec/test_schema.py"],
        ),
    },
}
"""Functions (qualified names; a class name covers its methods) that no vector drives, or
not all of them: why, and the pytest tests (files or node ids) that judge their mutants the
vectors leave alive. They are mutated like the rest; these tests are their third stage,
unless `tools/mutation-unanswered.json` names tests for the mutant itself."""

SEED = 1
# The mutants are of the pure-Python code, the reference: a decoder made with the compiled
# loop (framewire._codec.fastpath) would run it in place of the mutated Python loops.
compiled.DECODE_RUN = None
MEMORY_LIMIT = 2 << 30
EXIT_SURVIVED, EXIT_KILLED, EXIT_TIMEOUT, EXIT_UNUSABLE = 0, 1, 3, 4
EXIT_NOT_JUDGED = -1  # --cached-only: no outcome recorded for this mutant


# ----------------------------------------------------------------------------- mutants


@dataclass(frozen=True)
class Mutant:
    """One change at one place of one module."""

    module: str
    qualname: str
    line: int
    column: int
    change: str
    index: int  # the position of the node in the module's walk, to find it again
    constant: bool = False  # in a module or class body: takes effect at import

    @property
    def where(self) -> str:
        """`module:line qualname`, for reports."""
        return f"{self.module.removeprefix('framewire.')}:{self.line} {self.qualname}"


COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
BINARY_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
SYMBOLS: dict[type[ast.AST], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.And: "and",
    ast.Or: "or",
}


def describe(node: ast.AST) -> str | None:
    """What the one mutation of NODE is, or None when NODE is not mutated."""
    if isinstance(node, ast.Constant):
        if type(node.value) is bool:
            return f"{node.value} -> {not node.value}"
        return f"{node.value} -> {node.value + 1}" if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp):
        return "not x -> x" if isinstance(node.op, ast.Not) else None
    swapped: type[ast.AST] | None = None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        original: type[ast.AST] = type(node.ops[0])
        swapped = COMPARE_SWAPS[type(node.ops[0])]
    elif isinstance(node, ast.BoolOp):
        original, swapped = (
            type(node.op),
            ast.Or if isinstance(node.op, ast.And) else ast.And,
        )
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINARY_SWAPS:
        original, swapped = type(node.op), BINARY_SWAPS[type(node.op)]
    return None if swapped is None else f"{SYMBOLS[original]} -> {SYMBOLS[swapped]}"


def mutate(node: ast.AST) -> None:
    """Apply the mutation that describe() names, in place (`not x` is done by the caller,
    which replaces the node by its operand)."""
    if isinstance(node, ast.Compare):
        node.ops = [COMPARE_SWAPS[type(node.ops[0])]()]
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = BINARY_SWAPS[type(node.op)]()
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):
        node.value = not node.value if type(node.value) is bool else node.value + 1


class Scanner(ast.NodeVisitor):
    """Walk a module in a fixed order and list the mutants of the functions in scope."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.stack: list[str] = []
        self.functions = 0  # how many of the enclosing definitions are functions
        self.mutants: list[Mutant] = []
        self.index = -1
        self.assigned: str | None = None  # the name a module or class body assigns here

    def generic_visit(self, node: ast.AST) -> None:
        self.index += 1
        node_index = self.index
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            is_function = not isinstance(node, ast.ClassDef)
            self.stack.append(node.name)
            self.functions += is_function
            for child in ast.iter_child_nodes(node):
                if not self._annotation_or_decorator(node, child):
                    self.visit(child)
                else:
                    self._skip(child)
            self.functions -= is_function
            self.stack.pop()
            return
        if self._out_of_scope(node):
            self._skip_children(node)
            return
        change = describe(node)
        constant = self.assigned is not None
        if change is not None and (self.functions > 0 or constant):
            line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
            qualname = ".".join([*self.stack, *([self.assigned] if self.assigned else [])])
            self.mutants.append(
                Mutant(self.module, qualname, line, column, change, node_index, constant)
            )
        if isinstance(node, ast.Assign) and self.functions == 0:
            self.assigned = ast.unparse(node.targets[0])
            super().generic_visit(node)
            self.assigned = None
            return
        super().generic_visit(node)

    def _skip(self, node: ast.AST) -> None:
        """Count NODE and its subtree in the walk without listing mutants in it."""
        self.index += 1
        self._skip_children(node)

    def _skip_children(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self._skip(child)

    def _annotation_or_decorator(self, owner: ast.AST, child: ast.AST) -> bool:
        if child in getattr(owner, "decorator_list", ()):
            return True
        return child is getattr(owner, "returns", None) or isinstance(child, ast.arguments)

    def _out_of_scope(self, node: ast.AST) -> bool:
        """Docstrings, strings, f-strings, annotations and guards of local API misuse."""
        if isinstance(node, ast.JoinedStr | ast.AnnAssign):
            return True
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return True  # a docstring
        if isinstance(node, ast.If) and _raises_local_error_only(node.body):
            return True
        return isinstance(node, ast.Raise) and _is_local_error(node)


def _is_local_error(node: ast.Raise) -> bool:
    call = node.exc
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "UsageError"
    )


def _raises_local_error_only(body: list[ast.stmt]) -> bool:
    return len(body) == 1 and isinstance(body[0], ast.Raise) and _is_local_error(body[0])


def scan(module_name: str) -> tuple[ast.Module, list[Mutant], str]:
    """The parsed module, its mutants in scope, and its source."""
    module = importlib.import_module(module_name)
    path = Path(str(module.__file__))
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    scanner = Scanner(module_name)
    scanner.visit(tree)
    return tree, scanner.mutants, source


def mutated_tree(tree: ast.Module, mutant: Mutant) -> ast.Module:
    """A copy of TREE with MUTANT applied (the node found again by its walk index)."""
    copied = copy.deepcopy(tree)
    index = -1

    def walk(node: ast.AST, parent: ast.AST | None) -> bool:
        nonlocal index
        index += 1
        if index == mutant.index:
            if isinstance(node, ast.UnaryOp) and parent is not None:
                _replace(parent, node, node.operand)  # not x -> x
            else:
                mutate(node)
            return True
        return any(walk(child, node) for child in ast.iter_child_nodes(node))

    walk(copied, None)
    return copied


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put NEW where PARENT holds OLD."""
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                if item is old:
                    value[position] = new


# ----------------------------------------------------------------------------- apply


def install(mutant: Mutant, tree: ast.Module) -> None:
    """Swap the code of the mutated functions into the loaded module (in a child)."""
    module = sys.modules[mutant.module]
    code = compile(mutated_tree(tree, mutant), str(module.__file__), "exec")
    namespace: dict[str, Any] = {"__name__": mutant.module, "__file__": module.__file__}
    exec(code, namespace)  # the module's own source with one change
    for name, new in namespace.items():
        old = module.__dict__.get(name)
        if isinstance(new, types.FunctionType) and isinstance(old, types.FunctionType):
            old.__code__ = new.__code__
        elif isinstance(new, type) and isinstance(old, type):
            _install_class(old, new)


def _install_class(old: type, new: type) -> None:
    for name, member in vars(new).items():
        target = vars(old).get(name)
        for new_function, old_function in _functions(member, target):
            old_function.__code__ = new_function.__code__


def _functions(new: object, old: object) -> Iterator[tuple[Any, Any]]:
    """Pairs of (new, old) plain functions behind a class member."""
    if isinstance(new, types.FunctionType) and isinstance(old, types.FunctionType):
        yield new, old
    elif isinstance(new, staticmethod | classmethod) and isinstance(old, type(new)):
        yield new.__func__, old.__func__
    elif isinstance(new, property) and isinstance(old, property):
        for accessor in ("fget", "fset"):
            if getattr(new, accessor) is not None and getattr(old, accessor) is not None:
                yield getattr(new, accessor), getattr(old, accessor)


# ----------------------------------------------------------------------------- judge


@dataclass(frozen=True)
class Run:
    """One adapter request and the case it must satisfy."""

    case: Case
    request: dict[str, Any]


def prepare_runs() -> tuple[list[Run], Registry, str, list[Case]]:
    """Every request of the adapter mode (every case, delivery and receive path), the
    registry, the suite version, and the live-only cases (the live stage's)."""
    suite = load_suite(ROOT / "vectors")
    paths: dict[str, tuple[str | None, ...]] = {
        "decode": DECODE_PATHS,
        "session": SESSION_PATHS,
        "encode": (None,),
    }
    runs: list[Run] = []
    live_cases: list[Case] = []
    for case in suite.cases:
        if LIVE_ONLY_TAG in case.tags:
            live_cases.append(case)
            continue
        cuts = [()] if case.kind == "encode" else [d.chunks for d in deliveries(case, SEED)]
        for chunks in cuts:
            for path in paths[case.kind]:
                op, fields = runner.request_for(case, chunks, path)
                runs.append(Run(case, {"op": op, "seq": 0, **fields}))
    return runs, suite.registry, suite.suite_version, live_cases


def judge_all(
    runs: list[Run],
    registry: Registry,
    adapter_class: type[ReferenceAdapter] = ReferenceAdapter,
) -> int:
    """Run every request; EXIT_KILLED at the first wrong outcome, else EXIT_SURVIVED."""
    adapter = adapter_class()
    for run in runs:
        reply = adapter.handle(run.request)
        if reply.get("status") not in ("result", "error"):
            return EXIT_KILLED
        if runner.judge_reply(run.case, reply, registry) is not None:
            return EXIT_KILLED
    return EXIT_SURVIVED


Judge = Callable[[type[ReferenceAdapter]], int]
"""One stage's judgement of the implementation loaded now (the reference adapter class
built on it is given): an exit status."""


def judge_mutant(mutant: Mutant, tree: ast.Module, judge: Judge, *, at_import: bool) -> int:
    """In a child: apply MUTANT (swapping code objects, or AT_IMPORT by importing the
    implementation afresh with it), then JUDGE the implementation."""
    if not at_import:
        install(mutant, tree)
        return judge(ReferenceAdapter)
    file = str(importlib.import_module(mutant.module).__file__)
    code = compile(mutated_tree(tree, mutant), file, "exec")
    return judge(fresh_adapter(code, mutant.module))


def _reimported(name: str) -> bool:
    """Whether a fresh import replaces module NAME: the implementation and the reference
    adapter, not the judge (the runner, the wire oracle, the vectors' reader)."""
    return name == "framewire" or (
        name.startswith("framewire.")
        and (not name.startswith("framewire.conformance.") or name == ADAPTER_MODULE)
    )


ADAPTER_MODULE = "framewire.conformance.adapter"


class _MutatedSource(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports one module from the given code instead of its file."""

    def __init__(self, name: str, code: types.CodeType) -> None:
        self.name, self.code = name, code

    def find_spec(
        self, fullname: str, path: Any, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """The module's own spec, loaded by this object."""
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.code.co_filename, loader=self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        """The default module object."""

    def exec_module(self, module: types.ModuleType) -> None:
        """Run the mutated code in the module's namespace."""
        exec(self.code, module.__dict__)  # the module's own source with one change


def fresh_adapter(code: types.CodeType | None = None, name: str = "") -> type[ReferenceAdapter]:
    """In a child: import the implementation afresh (module NAME from CODE) and return the
    fresh reference adapter, built on it."""
    for loaded in [loaded for loaded in sys.modules if _reimported(loaded)]:
        del sys.modules[loaded]
    if code is not None:
        sys.meta_path.insert(0, _MutatedSource(name, code))
    adapter_class: type[ReferenceAdapter] = importlib.import_module(ADAPTER_MODULE).ReferenceAdapter
    return adapter_class


def judge_at_import(mutant: Mutant, tree: ast.Module, runs: list[Run], registry: Registry) -> int:
    """In a child: import the implementation with MUTANT applied, then judge it by RUNS."""
    return judge_mutant(mutant, tree, functools.partial(judge_all, runs, registry), at_import=True)


def target_files() -> set[str]:
    """The files of the mutated modules, as code objects name them."""
    return {str(Path(str(importlib.import_module(name).__file__))) for name in TARGETS}


def traced_in_child(job: Callable[[Callable[..., Any]], Any]) -> Any:
    """Run JOB in a forked child (its imports, servers and threads stay out of this
    process) and return what it returns, as JSON. JOB gets a tracer factory: called with
    a set, it returns a tracer that adds each (file, line) of the targets executed to it."""
    files = target_files()

    def tracing(lines: set[tuple[str, int]]) -> Callable[..., Any]:
        def tracer(frame: types.FrameType, event: str, arg: object) -> Any:
            if frame.f_code.co_filename not in files:
                return None
            lines.add((frame.f_code.co_filename, frame.f_lineno))
            return tracer

        return tracer

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        status = 1
        try:
            found = job(tracing)
            with os.fdopen(writer, "w", encoding="utf-8") as pipe:
                json.dump(found, pipe)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader, encoding="utf-8") as pipe:
        text = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise SystemExit("a traced run of the unmutated implementation failed (see above)")
    return json.loads(text)


def import_lines() -> set[tuple[str, int]]:
    """The target lines (file, line) that a fresh import of the implementation executes."""

    def job(tracing: Callable[..., Any]) -> list[tuple[str, int]]:
        lines: set[tuple[str, int]] = set()
        sys.settrace(tracing(lines))
        fresh_adapter()
        sys.settrace(None)
        return sorted(lines)

    return {(file, line) for file, line in traced_in_child(job)}


# ----------------------------------------------------------------------------- live stage

LIVE_DEADLINES = {"handshake_ms": 1000, "frame_ms": 300}
"""The deadlines the live stage's echo peer runs with, declared to the live runner: those
the live-only deadline vectors are written for (FW-CNF-27)."""
LIVE_TIMEOUT = 10.0
"""Seconds per live connection (the runner's default)."""
LIVE_TRIES = 3
"""How often a live kill is judged again when the unmutated implementation, played right
after it, fails the same cases too (the machine was too busy for the deadlines)."""


def _quiet() -> None:
    """Send this child's output (a mutated server's tracebacks, pytest's report) nowhere:
    the tool reports the outcome."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def judge_live(cases: list[Case], registry: Registry) -> int:
    """Serve the reference echo peer (FW-CNF-25) of the implementation loaded now, mutated
    or not, on a loopback port, and play CASES against it as live mode does (spec 10.5,
    --live-connect, with LIVE_DEADLINES declared): EXIT_KILLED when a case fails.

    The cases are played at once, each on connections of its own (and a probe of its
    own): they mostly wait for deadlines, and the echo server serves each connection in
    a thread of its own, as a server of many clients does.
    """
    _quiet()
    failed: list[str] = []

    def play(case: Case, address: Any) -> None:
        _, results = live.run_live(
            live.ConnectEndpoint(address),
            [case],
            registry=registry,
            seed=SEED,
            timeout=LIVE_TIMEOUT,
            known=KnownFailures(),
            deadlines=LIVE_DEADLINES,
        )
        failed.extend(result.case.id for result in results if result.outcome is Outcome.FAILED)

    for framing in sorted({case.framing for case in cases}):
        with _echo_server(framing) as server:
            players = [
                threading.Thread(target=play, args=(case, server.address), daemon=True)
                for case in cases
                if case.framing == framing
            ]
            for player in players:
                player.start()
            for player in players:
                player.join()
        if failed:
            return EXIT_KILLED
    return EXIT_SURVIVED


def _echo_server(framing: str) -> Any:
    """The echo server of `python -m framewire.conformance.echo --listen`, built from the
    modules loaded now: after a fresh import, from the mutated implementation."""
    sync = importlib.import_module("framewire.sync")
    options = importlib.import_module("framewire.options")
    framings = importlib.import_module("framewire.framing")
    deadlines = importlib.import_module("framewire.deadlines")
    return sync.serve(
        ("127.0.0.1", 0),
        echo.echo,
        options=options.Options(framings.Framing(framing)),
        deadlines=deadlines.Deadlines(
            handshake=LIVE_DEADLINES["handshake_ms"] / 1000,
            frame=LIVE_DEADLINES["frame_ms"] / 1000,
        ),
    )


def live_covering(
    cases: list[Case], registry: Registry
) -> tuple[dict[tuple[str, int], list[int]], list[float]]:
    """For each target line, the live cases whose unmutated run executes it (each case
    played alone, against an echo server of its own, traced in every thread), and the
    seconds each case took; SystemExit when the unmutated implementation fails one, alone
    or when all are played at once."""

    def job(tracing: Callable[..., Any]) -> dict[str, Any]:
        lines: dict[str, list[tuple[str, int]]] = {}
        seconds = []
        for index, case in enumerate(cases):
            executed: set[tuple[str, int]] = set()
            tracer = tracing(executed)
            threading.settrace(tracer)
            sys.settrace(tracer)
            started = time.monotonic()
            status = judge_live([case], registry)
            sys.settrace(None)
            threading.settrace(None)
            seconds.append(time.monotonic() - started)
            if status != EXIT_SURVIVED:
                return {"failed": case.id}
            lines[str(index)] = sorted(executed)
        if judge_live(cases, registry) != EXIT_SURVIVED:  # at once, as mutants are judged
            return {"failed": "one of them, played at once"}
        return {"lines": lines, "seconds": seconds}

    found = traced_in_child(job)
    if "failed" in found:
        raise SystemExit(f"the unmutated implementation fails live {found['failed']}: fix that")
    covering: dict[tuple[str, int], list[int]] = {}
    for index, executed in found["lines"].items():
        for file, line in executed:
            covering.setdefault((file, line), []).append(int(index))
    return covering, found["seconds"]


# ----------------------------------------------------------------------------- test stage


def judge_tests(tests: list[str]) -> int:
    """Run the pytest tests TESTS (node ids relative to the repository) on the
    implementation loaded now: EXIT_KILLED when one fails or errors, EXIT_SURVIVED when
    all pass, EXIT_UNUSABLE when pytest cannot run them (a wrong node id)."""
    _quiet()
    status = pytest.main(
        [
            "-q",
            "-o",
            "timeout=0",  # pytest-timeout's SIGALRM would replace the child's deadline
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "pytest.ini"),
            *[str(ROOT / test) for test in tests],
        ]
    )
    if status == pytest.ExitCode.OK:
        return EXIT_SURVIVED
    if status in (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED):
        return EXIT_KILLED  # a failed test, or one the mutant stops from being collected
    return EXIT_UNUSABLE


def in_child(job: Callable[[], int], timeout: float) -> tuple[int, float]:
    """Run JOB in a forked child with a deadline and a memory cap: (exit status, seconds)."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = EXIT_KILLED
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
            signal.signal(signal.SIGALRM, lambda *_: os._exit(EXIT_TIMEOUT))
            signal.setitimer(signal.ITIMER_REAL, timeout)
            status = job()
        except BaseException:  # any failure of a mutant kills it
            status = EXIT_KILLED
        finally:
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    return (code if code >= 0 else EXIT_KILLED), time.monotonic() - started


def covering_runs(runs: list[Run], registry: Registry) -> dict[tuple[str, int], list[int]]:
    """For each target line (file, line), the requests of the unmutated run that execute
    it. A mutant changes one place in a function body, and every request starts from
    fresh objects, so only the requests that execute its line can tell it apart: those
    are all a mutant is judged with."""
    files = {str(Path(str(importlib.import_module(name).__file__))) for name in TARGETS}
    covering: dict[tuple[str, int], list[int]] = {}
    current = 0

    def tracer(frame: types.FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename not in files:
            return None
        requests = covering.setdefault((frame.f_code.co_filename, frame.f_lineno), [])
        if not requests or requests[-1] != current:
            requests.append(current)
        return tracer

    adapter = ReferenceAdapter()
    sys.settrace(tracer)
    try:
        for current, run in enumerate(runs):  # noqa: B007 - the tracer reads `current`
            reply = adapter.handle(run.request)
            if runner.judge_reply(run.case, reply, registry) is not None:
                raise SystemExit(f"the unmutated implementation fails {run.case.id}: fix that")
    finally:
        sys.settrace(None)
    return covering


# ----------------------------------------------------------------------------- report


@dataclass
class Results:
    """What a run found, per function and in total."""

    suite_version: str
    runs: int
    live_cases: int = 0
    killed_by: Counter[str] = field(default_factory=Counter)  # by stage (STAGES)
    total: int = 0
    minutes: float | None = None  # None: every outcome came from the cache
    equivalent: list[tuple[str, str]] = field(default_factory=list)
    by_tests: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    by_function: dict[str, Counter[str]] = field(default_factory=dict)
    notes_used: set[str] = field(default_factory=set)
    not_rerun: int = 0
    not_judged: int = 0

    @property
    def killed(self) -> int:
        """Mutants killed, by any stage."""
        return sum(self.killed_by.values())

    @property
    def non_equivalent(self) -> int:
        """Judged mutants that are not documented as equivalent."""
        return self.total - self.not_judged - len(self.equivalent)

    @property
    def killed_share(self) -> float:
        """The share of all judged mutants killed, in percent."""
        return 100 * self.killed / max(self.total - self.not_judged, 1)

    def score(self, *stages: str) -> float:
        """The share of non-equivalent mutants killed by STAGES (all when none are
        given), in percent (of those judged)."""
        killed = sum(self.killed_by[stage] for stage in stages or STAGES)
        return 100 * killed / max(self.non_equivalent, 1)


def note_key(mutant: Mutant, source_lines: list[str]) -> str:
    """A key that survives line moves: module, function, the line's text and the change."""
    text = source_lines[mutant.line - 1].strip()
    return f"{mutant.module}:{mutant.qualname}: {text} | {mutant.change}"


def report_lines(results: Results) -> list[str]:
    """vectors/MUTATION.md: the score, per function, and every survivor."""
    equivalent = len(results.equivalent)
    by = results.killed_by
    lines = [
        "# Mutation score of the vector suite",
        "",
        "How much of the reference implementation's receive and send paths the vectors can",
        "tell apart. Each mutant changes one comparison, boolean, arithmetic or bitwise",
        "operator, or one integer or boolean constant (in a function, or in a module or",
        "class body: a layout's size, a block size, a registry code), and is killed when",
        "some vector, in some delivery and through some receive path, gets a wrong outcome",
        "(or the mutant crashes or hangs). A constant takes effect at import, so its mutant",
        "is judged on an implementation imported afresh with the change.",
        "",
        "Each mutant meets three judges in turn, and the first that fails on it kills it:",
        "",
        "1. the vectors through the adapter protocol (the reference adapter, in process);",
        "2. the live-only vectors (deadlines, lingering after an `ERROR`), played by live",
        "   mode (`--live-connect`, deadlines declared) against the reference echo server",
        "   of the mutated implementation, as spec 10.5 plays them against any echo peer;",
        "3. for a mutant that no vector can reach, the pytest tests",
        "   `tools/mutation-unanswered.json` names for it, or else the tests",
        "   `JUDGED_BY_TESTS` in `tools/mutants.py` names for its function (reported apart:",
        "   a test of the reference is not a conformance check).",
        "",
        (
            f"Reproduce with `make mutation` ({results.minutes:.0f} minutes on a shared "
            "2-core machine)."
            if results.minutes is not None
            else "Reproduce with `make mutation` (the outcomes below were judged by earlier "
            "runs on these same sources and vectors, and read from their cache)."
        ),
        "`tools/mutants.py` says what is mutated, and which functions",
        "no vector drives (streaming sends, pings, half-close, a transport's queries, event",
        "equality and repr, `framewire inspect`'s parser): every one is mutated, and the",
        "tests it names judge them. `tools/mutation-notes.json` says why each equivalent",
        "survivor is equivalent, and `tools/mutation-unanswered.json` why no vector can reach",
        "each of the others, and which pytest tests judge it.",
        "",
        "The per-vector tests (`pytest -k fw-<id>`, "
        "`tests/conformance/test_conformance_vectors.py`)",
        "judge the same way: the same requests (every delivery and receive path, from",
        "`runner.request_for`, with the same seed for the random splits) to the same",
        "adapter, judged by the same `runner.judge_reply`. A mutant killed here therefore",
        "fails the test of at least one vector, named by its id; that test file checks that",
        "the seeds agree.",
        "",
        f"- Vectors: suite {results.suite_version}, {results.runs} adapter requests "
        f"(every case, delivery and receive path; seed {SEED}), and {results.live_cases} "
        "live-only cases played live.",
        f"- Modules: {', '.join(f'`{name}`' for name in TARGETS)}. Not mutated: "
        "`_codec.diagnosis`, `_codec.units` and `_codec.peertext`, which only write text "
        "for people (an error's detail, escaped peer text) that no statement fixes and no "
        "vector judges, and `_codec.bytes_like` (type aliases).",
        *(
            [
                f"- {results.not_rerun} mutants documented as equivalent were not judged "
                "again in this run (`--skip-noted`)."
            ]
            if results.not_rerun
            else []
        ),
        f"- Mutants: {results.total}; killed {results.killed}: {by['vectors']} by the "
        f"vectors through the adapter, {by['live']} by the live vectors, {by['tests']} by "
        f"tests; survived {results.total - results.not_judged - results.killed}: "
        f"{equivalent} equivalent (documented), {len(results.gaps)} not answered.",
        *(
            [
                f"- {results.not_judged} mutants were not judged before the run was "
                "stopped; they are left out of every figure below."
            ]
            if results.not_judged
            else []
        ),
        f"- **Score: {results.killed} of {results.non_equivalent} non-equivalent "
        f"mutants killed ({results.score():.1f}%)**; by the vectors alone (adapter and "
        f"live): {by['vectors'] + by['live']} ({results.score('vectors', 'live'):.1f}%); "
        f"of all mutants: {results.killed_share:.1f}%.",
        "",
        "## By function",
        "",
        "| function | mutants | killed by vectors | by live vectors | by tests | equivalent "
        "| not answered |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(results.by_function.items()):
        counts = " | ".join(str(row[key]) for key in ("total", *STAGES, "eq", "gap"))
        lines.append(f"| `{name.removeprefix('framewire.')}` | {counts} |")
    lines += ["", "## Equivalent survivors", ""]
    lines += [f"- `{where}`: {reason}" for where, reason in results.equivalent] or ["None."]
    lines += ["", "## Killed by tests only (out of every vector's reach)", ""]
    lines += [f"- {killed}" for killed in results.by_tests] or ["None."]
    lines += ["", "## Survivors not answered", ""]
    lines += [f"- {gap}" for gap in results.gaps] or ["None."]
    return lines


OPERATORS_VERSION = 4
"""Part of the cache key: raise it whenever the mutation operators, the scope or the stages
change."""
NOT_JUDGING = {"cli", "report", "results", "runner", "adapter_client"}
"""Modules of the runner that the tool loads but that cannot change an outcome."""


def judged_sources() -> str:
    """A hash of everything the outcome of a mutant's vector stages depends on: the
    framewire modules loaded to judge it (the targets, what they import, the adapter, the
    echo peer's transport and the judge) and the vectors, with the version of the
    operators. The CLI cannot change an outcome, nor can the report's layout in this
    file. Its test stage depends on its tests too: tests_signature()."""
    digest = hashlib.sha256(f"operators {OPERATORS_VERSION}".encode())
    loaded = [
        module.__file__
        for name, module in sorted(sys.modules.items())
        if name.startswith("framewire") and name.rpartition(".")[2] not in NOT_JUDGING
    ]
    for path in [*loaded, *sorted((ROOT / "vectors").glob("*.json"))]:
        digest.update(Path(str(path)).read_bytes())
    return digest.hexdigest()


@functools.cache
def tests_signature(tests: tuple[str, ...]) -> str:
    """A hash of a mutant's named TESTS and their files: when they change, only its test
    stage is judged again (what the vectors found stands)."""
    digest = hashlib.sha256(json.dumps(tests).encode())
    for path in sorted({ROOT / test.partition("::")[0] for test in tests}):
        digest.update(path.read_bytes())
    return digest.hexdigest()


STAGES = ("vectors", "live", "tests")
"""Who kills a mutant, tried in this order: the adapter requests of every vector; the
live-only vectors played against the mutated echo peer; the pytest tests that
`tools/mutation-unanswered.json` names for it."""


class Outcomes:
    """Each mutant's outcome: (executed, status, stage), from the cache or from judging it.

    `executed`: whether a vector runs the mutated line (by adapter or live); `stage`: the
    one of STAGES that killed it, or "" when it survived them all. The cache holds the
    signature of the tests it was judged by too: a survivor of the vectors whose tests
    changed meets only its test stage again.
    """

    def __init__(
        self,
        runs: list[Run],
        registry: Registry,
        live_cases: list[Case],
        tests: dict[str, list[str]],
        *,
        cached_only: bool = False,
    ) -> None:
        self.runs, self.registry, self.live_cases, self.tests = (
            runs,
            registry,
            live_cases,
            tests,
        )
        self.key = judged_sources()
        cached = json.loads(CACHE_FILE.read_text(encoding="utf-8")) if CACHE_FILE.exists() else {}
        self.cached_only = cached_only
        if cached_only and self.key not in cached and len(cached) == 1:
            (self.key,) = cached  # the outcomes of the last run, judged on other sources
            print(f"outcomes judged on other sources than these (key {self.key[:12]})")
        self.known: dict[str, list[Any]] = cached.get(self.key, {})
        self.reached: dict[tuple[str, int], list[int]] | None = None
        self.imported: set[tuple[str, int]] = set()
        self.live_reached: dict[tuple[str, int], list[int]] | None = None
        self.live_seconds: list[float] = []
        self.tests_pass = False  # the named tests pass on the unmutated implementation
        self.judged = 0  # how many outcomes this run judged rather than read from the cache
        self.timeout = 0.0

    def get(self, mutant: Mutant, tree: ast.Module, key: str) -> tuple[bool, int, str]:
        """Whether the mutated line runs under the vectors, the child's exit status, and
        the stage that killed the mutant. KEY: its note key (which tests judge it)."""
        name = f"{mutant.module}:{mutant.index}"
        tests = self.tests.get(key, [])
        signature = tests_signature(tuple(tests))
        entry = self.known.get(name)
        if entry is not None and self.recorded(mutant, key):
            return bool(entry[0]), int(entry[1]), str(entry[2])
        if self.cached_only:
            return False, EXIT_NOT_JUDGED, ""
        if entry is None:
            outcome = self._judge(mutant, tree, tests)
        else:  # the vectors left it alive, and its tests changed since
            outcome = self._tested(mutant, tree, tests, executed=bool(entry[0]))
        self.known[name] = [*outcome, signature]
        self.judged += 1
        self._save()
        return outcome

    def recorded(self, mutant: Mutant, key: str) -> bool:
        """Whether the cache holds MUTANT's outcome, judged by the tests named for it now."""
        entry = self.known.get(f"{mutant.module}:{mutant.index}")
        if entry is None:
            return False
        signature = tests_signature(tuple(self.tests.get(key, [])))
        return entry[2] in ("vectors", "live") or entry[3:] == [signature]

    def _judge(self, mutant: Mutant, tree: ast.Module, tests: list[str]) -> tuple[bool, int, str]:
        file = str(importlib.import_module(mutant.module).__file__)
        at_import = self._at_import(mutant)
        executed, status = self._by_vectors(mutant, tree, file, at_import=at_import)
        if status != EXIT_SURVIVED:
            return executed, status, "vectors"
        played, status = self._by_live(mutant, tree, file, at_import=at_import)
        if status != EXIT_SURVIVED:
            return True, status, "live"
        return self._tested(mutant, tree, tests, executed=executed or played)

    def _tested(
        self, mutant: Mutant, tree: ast.Module, tests: list[str], *, executed: bool
    ) -> tuple[bool, int, str]:
        """The test stage's outcome, for a mutant that the vectors left alive."""
        if tests:
            status = self._by_tests(mutant, tree, tests, at_import=self._at_import(mutant))
            if status != EXIT_SURVIVED:
                return executed, status, "tests"
        return executed, EXIT_SURVIVED, ""

    def _at_import(self, mutant: Mutant) -> bool:
        """Whether MUTANT takes effect at import: a constant, or a line the import runs."""
        file = str(importlib.import_module(mutant.module).__file__)
        imported = self._imported()  # first: it traces the requests the stages need
        return mutant.constant or (file, mutant.line) in imported

    def _imported(self) -> set[tuple[str, int]]:
        if self.reached is None:
            started = time.monotonic()
            self.reached = covering_runs(self.runs, self.registry)
            traced = time.monotonic() - started  # slower than a plain run: a generous base
            self.timeout = 3 * traced / len(self.runs)  # per request, for a hung mutant
            self.imported = import_lines()
            print(f"{len(self.runs)} requests, {traced:.1f} s traced", flush=True)
        return self.imported

    def _by_vectors(
        self, mutant: Mutant, tree: ast.Module, file: str, *, at_import: bool
    ) -> tuple[bool, int]:
        """The adapter stage: the requests that run the mutated line, or every request
        when the mutant takes effect at import."""
        assert self.reached is not None
        covering = None if mutant.constant else self.reached.get((file, mutant.line))
        if covering:
            runs, at_import = [self.runs[index] for index in covering], False
        elif at_import:
            runs = self.runs
        else:
            return False, EXIT_SURVIVED
        judge = functools.partial(judge_all, runs, self.registry)
        job = functools.partial(judge_mutant, mutant, tree, judge, at_import=at_import)
        return True, in_child(job, 10.0 + self.timeout * len(runs))[0]

    def _by_live(
        self, mutant: Mutant, tree: ast.Module, file: str, *, at_import: bool
    ) -> tuple[bool, int]:
        """The live stage: the live-only cases whose run executes the mutated line, or all
        of them when the mutant takes effect at import."""
        if self.live_reached is None:
            started = time.monotonic()
            self.live_reached, self.live_seconds = live_covering(self.live_cases, self.registry)
            print(
                f"{len(self.live_cases)} live cases, {time.monotonic() - started:.1f} s traced",
                flush=True,
            )
        covering = None if mutant.constant else self.live_reached.get((file, mutant.line))
        if covering:
            indexes, at_import = covering, False
        elif at_import:
            indexes = list(range(len(self.live_cases)))
        else:
            return False, EXIT_SURVIVED
        cases = [self.live_cases[index] for index in indexes]
        timeout = 30.0 + 3 * sum(self.live_seconds[index] for index in indexes)
        registry = self.registry
        job = functools.partial(
            judge_mutant, mutant, tree, lambda _: judge_live(cases, registry), at_import=at_import
        )
        for _ in range(LIVE_TRIES):
            status = in_child(job, timeout)[0]
            if status == EXIT_SURVIVED:
                return True, status
            # A deadline vector on a loaded machine could fail for want of CPU: the kill
            # stands only if the unmutated implementation passes the same cases now.
            if in_child(lambda: judge_live(cases, registry), timeout)[0] == EXIT_SURVIVED:
                return True, status
        raise SystemExit(f"the unmutated implementation failed live {LIVE_TRIES} times: too loaded")

    def _by_tests(
        self, mutant: Mutant, tree: ast.Module, tests: list[str], *, at_import: bool
    ) -> int:
        """The test stage: the pytest tests named for this mutant, which must pass on the
        unmutated implementation (checked once for all of them)."""
        if not self.tests_pass:
            named = sorted({test for listed in self.tests.values() for test in listed})
            status = in_child(lambda: judge_tests(named), TESTS_TIMEOUT)[0]
            if status != EXIT_SURVIVED:
                raise SystemExit(f"the named tests fail on the unmutated implementation: {named}")
            self.tests_pass = True
        job = functools.partial(
            judge_mutant,
            mutant,
            tree,
            lambda _: judge_tests(tests),
            at_import=at_import,
        )
        status = in_child(job, TESTS_TIMEOUT)[0]
        if status == EXIT_UNUSABLE:
            raise SystemExit(f"pytest cannot run {tests} (a wrong test id?)")
        return status

    def _save(self) -> None:
        CACHE_FILE.parent.mkdir(exist_ok=True)
        written = CACHE_FILE.with_suffix(".tmp")  # replaced whole: a stopped run loses nothing
        written.write_text(json.dumps({self.key: self.known}), encoding="utf-8")
        written.replace(CACHE_FILE)


TESTS_TIMEOUT = 300.0
"""Seconds for one run of a mutant's named tests (pytest's start included)."""


@dataclass(frozen=True)
class Unanswered:
    """A survivor of every vector that is not equivalent: why no vector reaches it, and
    the pytest tests that judge it (node ids relative to the repository)."""

    why: str
    tests: list[str]


def load_unanswered() -> dict[str, Unanswered]:
    """tools/mutation-unanswered.json, by note key."""
    entries = json.loads(UNANSWERED_FILE.read_text(encoding="utf-8"))
    return {key: Unanswered(entry["why"], list(entry["tests"])) for key, entry in entries.items()}


def judging_tests(
    scanned: list[tuple[ast.Module, list[Mutant], str]], unanswered: dict[str, Unanswered]
) -> dict[str, Unanswered]:
    """The tests of each mutant's test stage, by note key: those UNANSWERED names for it,
    else those JUDGED_BY_TESTS names for its function."""
    judging = dict(unanswered)
    for _, mutants, source in scanned:
        source_lines = source.splitlines()
        for mutant in mutants:
            for name, (why, tests) in JUDGED_BY_TESTS.get(mutant.module, {}).items():
                if mutant.qualname == name or mutant.qualname.startswith(name + "."):
                    judging.setdefault(note_key(mutant, source_lines), Unanswered(f"{why}.", tests))
    return judging


def run_mutants(
    scanned: list[tuple[ast.Module, list[Mutant], str]],
    outcomes: Outcomes,
    notes: dict[str, str],
    results: Results,
    *,
    unanswered: dict[str, Unanswered],
    skip_noted: bool = False,
) -> None:
    """Judge every mutant (in a child of its own) and record the outcome in RESULTS."""
    count = sum(len(mutants) for _, mutants, _ in scanned)
    print(f"{count} mutants", flush=True)
    for tree, mutants, source in scanned:
        source_lines = source.splitlines()
        for mutant in mutants:
            row = results.by_function.setdefault(f"{mutant.module}.{mutant.qualname}", Counter())
            row["total"] += 1
            results.total += 1
            key = note_key(mutant, source_lines)
            if skip_noted and key in notes and not outcomes.recorded(mutant, key):
                executed, status, stage = (
                    True,
                    EXIT_SURVIVED,
                    "",
                )  # documented: not rerun
                results.not_rerun += 1
            else:
                executed, status, stage = outcomes.get(mutant, tree, key)
            if status == EXIT_NOT_JUDGED:
                row["unjudged"] += 1
                results.not_judged += 1
                continue
            if status != EXIT_SURVIVED:
                row[stage] += 1
                results.killed_by[stage] += 1
                if stage == "tests":
                    results.notes_used.add(key)
                    entry = unanswered[key]
                    tests = ", ".join(f"`{test}`" for test in entry.tests)
                    which = "one or more of " if len(entry.tests) > 1 else ""
                    results.by_tests.append(
                        f"`{mutant.where}: {mutant.change}`: {entry.why} Killed by {which}{tests}."
                    )
                continue
            if key in notes:
                results.notes_used.add(key)
                row["eq"] += 1
                results.equivalent.append((f"{mutant.where}: {mutant.change}", notes[key]))
                continue
            row["gap"] += 1
            unreached = "" if executed else " (never executed by the vectors)"
            if key in unanswered:
                results.notes_used.add(key)
                why = f"{unanswered[key].why} Its tests pass on it: {unanswered[key].tests}"
            else:
                why = f"unexplained [{key}]"
            results.gaps.append(f"`{mutant.where}: {mutant.change}`{unreached}: {why}")
            print(f"survived: {mutant.where}: {mutant.change}{unreached}", flush=True)


def _matches(texts: list[str], mutant: Mutant, source: str) -> bool:
    key = note_key(mutant, source.splitlines())
    return any(text in key for text in texts)


def main(argv: list[str] | None = None) -> int:
    """Run every mutant; print the score and, with --write, write the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the report here (vectors/MUTATION.md)")
    parser.add_argument("--only", help="mutate only this module (e.g. framewire._codec.readers)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--match",
        action="append",
        help="judge only the mutants whose note key contains this text (repeatable)",
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="judge nothing: report the outcomes recorded by the last run",
    )
    parser.add_argument(
        "--skip-noted",
        action="store_true",
        help="count the mutants the notes document as equivalent without judging them again "
        "(unless the cache holds their outcome)",
    )
    args = parser.parse_args(argv)
    notes: dict[str, str] = json.loads(NOTES_FILE.read_text(encoding="utf-8"))
    unanswered = load_unanswered()
    scanned = [scan(name) for name in TARGETS if args.only in (None, name)]
    if args.match:
        scanned = [
            (tree, [m for m in found if _matches(args.match, m, source)], source)
            for tree, found, source in scanned
        ]
        scanned = [entry for entry in scanned if entry[1]]
    if args.list:
        for _, mutants, _ in scanned:
            print("\n".join(f"{mutant.where}: {mutant.change}" for mutant in mutants))
        return 0
    runs, registry, suite_version, live_cases = prepare_runs()
    results = Results(suite_version, len(runs), len(live_cases))
    started = time.monotonic()
    judging = judging_tests(scanned, unanswered)
    tests = {key: entry.tests for key, entry in judging.items()}
    outcomes = Outcomes(runs, registry, live_cases, tests, cached_only=args.cached_only)
    run_mutants(
        scanned,
        outcomes,
        notes,
        results,
        unanswered=judging,
        skip_noted=args.skip_noted,
    )
    if outcomes.judged:
        results.minutes = (time.monotonic() - started) / 60
    by = results.killed_by
    print(
        f"{results.killed} of {results.total} mutants killed ({by['vectors']} by vectors, "
        f"{by['live']} by live vectors, {by['tests']} by tests); "
        f"{len(results.equivalent)} equivalent; {len(results.gaps)} not answered; "
        f"score {results.score():.1f}%"
    )
    stale = sorted((set(notes) | set(unanswered)) - results.notes_used)
    if stale and args.only is None and not args.match:
        print("notes that match no survivor any more (remove them):", *stale, sep="\n  ")
    if args.write:
        args.write.write_text("\n".join(report_lines(results)) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
