"""Mutation testing of the reference implementation, judged by the test vectors alone.

Run: `make mutation` (or `nice .venv/bin/python tools/mutants.py --write vectors/MUTATION.md`).

A *mutant* is the reference implementation with one small change: a comparison, a boolean
operator, an arithmetic or bitwise operator or an integer or boolean constant changed at
one place. The vector suite *kills* it when some vector, in some delivery and through some
receive path (FW-CNF-12, FW-CNF-31), gets another outcome than the vector expects, or when
the mutant crashes or hangs. The share of mutants killed measures what the vectors can
tell apart; a mutant that survives is either equivalent (no input can tell it from the
original, and `tools/mutation-notes.json` says why) or a gap, answered by a new vector.
A gap that no vector can reach, because the adapter protocol does not show it, is
explained in `tools/mutation-unanswered.json`, with the pytest test that kills it; it
still counts as not killed.

Why its own mutator and not mutmut or cosmic-ray: the judge is the conformance runner's
own comparison, run in process through the reference adapter (one process start per
mutant instead of one per vector), and mutants are applied by swapping the code objects
of the mutated functions in a forked child, so the vectors are read and the module
imported once for the whole run.

What is mutated: the functions of the modules in TARGETS that decode and encode frames
and run a session, and the constants their module and class bodies assign (a layout's
size, a block size, a registry code), minus the guards of local API misuse (an `if`
whose body only raises LocalProtocolError: no vector misuses the API) and the functions
in OUT_OF_REACH, which the adapter protocol cannot drive at all (the session's sending
side: the adapter's application only receives, FW-CNF-16).

A mutant in a function that the vectors run is judged by swapping code objects, with the
requests that run its line. A constant, or a function that runs only while the modules
are imported (the layouts derived from the schemas), takes effect at import: such a
mutant is judged in a child that imports the implementation afresh, mutated, under the
reference adapter, with every request (the judge itself imports none of it). Mutants on
lines that neither the requests nor the import execute are reported as survivors without
being run.
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
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewire import _compiled
from framewire.conformance import runner
from framewire.conformance.adapter import DECODE_PATHS, SESSION_PATHS, ReferenceAdapter
from framewire.conformance.vectors import LIVE_ONLY_TAG, Case, Registry, deliveries, load_suite

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
    "framewire._receive_buffer",
    "framewire._readers",
    "framewire._assembler",
    "framewire.encoder",
    "framewire.session",
    "framewire.framing",
    "framewire._control",
    "framewire._cobs_codec",
    "framewire._checksum",
    "framewire._schema",
    "framewire.errors",
    "framewire.events",
    "framewire.options",
)
"""The receive and send paths: the decoder (split by job into a receive buffer, one reader
per framing and a message assembler), the encoder, the session, and what they share:
the framings, limits and header checks, the control payload layouts, COBS, CRC-32C, the
wire layouts, the error registry, the events and the options. Left out: the modules that
only write text for people (`_diagnosis`, `_units`, `_peertext`: the detail of an error
and escaped peer text, which no statement fixes and no vector judges) and `_typing`
(type aliases)."""

OUT_OF_REACH = {
    "framewire.decoder": {
        "Decoder.frame_in_progress": "a transport's deadline query, not a decoding step",
        "Decoder.frame_start": "a transport's deadline query, not a decoding step",
        "Decoder.buffered": "a transport's memory query",
        "Decoder.capacity": "a transport's memory query",
    },
    "framewire._receive_buffer": {
        "ReceiveBuffer.capacity": "a transport's memory query",
    },
    "framewire.encoder": {
        "Encoder.stream": "streaming send: no vector sends a message of unknown size",
        "MessageWriter": "streaming send: no vector sends a message of unknown size",
        "Encoder.ping": "the adapter's session never pings (FW-CNF-16)",
    },
    "framewire.session": {
        "Session.send": "the adapter's session only receives (FW-CNF-16)",
        "Session.start_message": "the adapter's session only receives (FW-CNF-16)",
        "Session.ping": "the adapter's session never pings (FW-CNF-16)",
        "Session.close": "the adapter's session never ends its direction (FW-CLS-7)",
        "Session.fail": "the application's own failures (deadlines) are live-only",
        "Session._check_can_send": "the adapter's session only receives (FW-CNF-16)",
        "Session.handshake_done": "a transport's deadline query",
        "Session.frame_in_progress": "a transport's deadline query",
        "Session.frame_start": "a transport's deadline query",
        "Session.pings_outstanding": "a transport's deadline query",
        "Session.sending_done": "a transport's query",
        "Session.receive_capacity": "a transport's memory query",
        "SessionMessageWriter": "the adapter's session only receives (FW-CNF-16)",
        "_check_message_size": "the adapter's session only receives (FW-CNF-16)",
    },
    "framewire.events": {
        "_equal_and_same_type": "event equality, for applications and tests: the adapter "
        "reports events as JSON",
        "_unequal_or_other_type": "event equality, for applications and tests: the adapter "
        "reports events as JSON",
        "_payload_repr": "an event's repr, for people: the adapter reports events as JSON",
    },
    "framewire._schema": {
        "parse_header": "framewire inspect's parser, on neither the receive nor the send path",
        "_raw_field": "framewire inspect's parser, on neither the receive nor the send path",
    },
}
"""Functions (qualified names; a class name covers its methods) that no vector can reach."""

SEED = 1
# The mutants are of the pure-Python code, the reference: a decoder made with the compiled
# loop (framewire._fastpath) would run it in place of the mutated Python loops.
_compiled.DECODE_RUN = None
MEMORY_LIMIT = 2 << 30
EXIT_SURVIVED, EXIT_KILLED, EXIT_TIMEOUT = 0, 1, 3
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
        original, swapped = type(node.op), ast.Or if isinstance(node.op, ast.And) else ast.And
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

    def __init__(self, module: str, skipped: dict[str, str]) -> None:
        self.module = module
        self.skipped = skipped
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
        if change is not None and (self._in_function() or constant):
            line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
            qualname = ".".join([*self.stack, *([self.assigned] if self.assigned else [])])
            self.mutants.append(
                Mutant(self.module, qualname, line, column, change, node_index, constant)
            )
        if isinstance(node, ast.Assign) and self.functions == 0 and self._in_scope():
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

    def _in_function(self) -> bool:
        """Inside a function in scope (a module or class body holds constants: those are
        mutated in their assignments only)."""
        return self.functions > 0 and self._in_scope()

    def _in_scope(self) -> bool:
        qualname = ".".join(self.stack)
        return not any(qualname == name or qualname.startswith(name + ".") for name in self.skipped)

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
        and call.func.id == "LocalProtocolError"
    )


def _raises_local_error_only(body: list[ast.stmt]) -> bool:
    return len(body) == 1 and isinstance(body[0], ast.Raise) and _is_local_error(body[0])


def scan(module_name: str) -> tuple[ast.Module, list[Mutant], str]:
    """The parsed module, its mutants in scope, and its source."""
    module = importlib.import_module(module_name)
    path = Path(str(module.__file__))
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    scanner = Scanner(module_name, OUT_OF_REACH.get(module_name, {}))
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


def prepare_runs() -> tuple[list[Run], Registry, str]:
    """Every request of the adapter mode (every case, delivery and receive path), the
    registry, and the suite version."""
    suite = load_suite(ROOT / "vectors")
    paths: dict[str, tuple[str | None, ...]] = {
        "decode": DECODE_PATHS,
        "session": SESSION_PATHS,
        "encode": (None,),
    }
    runs: list[Run] = []
    for case in suite.cases:
        if LIVE_ONLY_TAG in case.tags:
            continue
        cuts = [()] if case.kind == "encode" else [d.chunks for d in deliveries(case, SEED)]
        for chunks in cuts:
            for path in paths[case.kind]:
                op, fields = runner.request_for(case, chunks, path)
                runs.append(Run(case, {"op": op, "seq": 0, **fields}))
    return runs, suite.registry, suite.suite_version


def judge_all(
    runs: list[Run], registry: Registry, adapter_class: type[ReferenceAdapter] = ReferenceAdapter
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


def judge_mutant(mutant: Mutant, tree: ast.Module, runs: list[Run], registry: Registry) -> int:
    """In a child: install MUTANT, then judge it."""
    install(mutant, tree)
    return judge_all(runs, registry)


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
    """In a child: import the implementation with MUTANT applied, then judge it."""
    file = str(importlib.import_module(mutant.module).__file__)
    code = compile(mutated_tree(tree, mutant), file, "exec")
    return judge_all(runs, registry, fresh_adapter(code, mutant.module))


def import_lines() -> set[tuple[str, int]]:
    """The target lines (file, line) that a fresh import of the implementation executes,
    traced in a child so that this process keeps its modules."""
    files = {str(Path(str(importlib.import_module(name).__file__))) for name in TARGETS}
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        lines: set[tuple[str, int]] = set()

        def tracer(frame: types.FrameType, event: str, arg: object) -> Any:
            if frame.f_code.co_filename not in files:
                return None
            lines.add((frame.f_code.co_filename, frame.f_lineno))
            return tracer

        sys.settrace(tracer)
        fresh_adapter()
        sys.settrace(None)
        with os.fdopen(writer, "w", encoding="utf-8") as pipe:
            json.dump(sorted(lines), pipe)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, encoding="utf-8") as pipe:
        traced = json.load(pipe)
    os.waitpid(pid, 0)
    return {(file, line) for file, line in traced}


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
    killed: int = 0
    total: int = 0
    minutes: float | None = None  # None: every outcome came from the cache
    equivalent: list[tuple[str, str]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    by_function: dict[str, Counter[str]] = field(default_factory=dict)
    notes_used: set[str] = field(default_factory=set)
    not_rerun: int = 0
    not_judged: int = 0

    @property
    def score(self) -> float:
        """The share of non-equivalent mutants killed, in percent (of those judged)."""
        judged = self.total - self.not_judged - len(self.equivalent)
        return 100 * self.killed / max(judged, 1)


def note_key(mutant: Mutant, source_lines: list[str]) -> str:
    """A key that survives line moves: module, function, the line's text and the change."""
    text = source_lines[mutant.line - 1].strip()
    return f"{mutant.module}:{mutant.qualname}: {text} | {mutant.change}"


def report_lines(results: Results) -> list[str]:
    """vectors/MUTATION.md: the score, per function, and every survivor."""
    equivalent = len(results.equivalent)
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
        (
            f"Reproduce with `make mutation` ({results.minutes:.0f} minutes on a shared "
            "2-core machine)."
            if results.minutes is not None
            else "Reproduce with `make mutation` (the outcomes below were judged by earlier "
            "runs on these same sources and vectors, and read from their cache)."
        ),
        "`tools/mutants.py` says what is mutated and what is",
        "out of reach of any vector; `tools/mutation-notes.json` says why each equivalent",
        "survivor is equivalent, and `tools/mutation-unanswered.json` why no vector can reach",
        "each of the others through the adapter protocol, and which pytest test kills it.",
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
        f"(every case, delivery and receive path; seed {SEED}).",
        f"- Modules: {', '.join(f'`{name}`' for name in TARGETS)}. Not mutated: "
        "`_diagnosis`, `_units` and `_peertext`, which only write text for people (an "
        "error's detail, escaped peer text) that no statement fixes and no vector judges, "
        "and `_typing` (type aliases).",
        *(
            [
                f"- {results.not_rerun} mutants documented as equivalent were not judged "
                "again in this run (`--skip-noted`)."
            ]
            if results.not_rerun
            else []
        ),
        f"- Mutants: {results.total}; killed {results.killed}; survived "
        f"{results.total - results.not_judged - results.killed}: {equivalent} equivalent "
        "(documented), "
        f"{len(results.gaps)} not answered by a vector.",
        *(
            [
                f"- {results.not_judged} mutants were not judged before the run was "
                "stopped; they are left out of every figure below."
            ]
            if results.not_judged
            else []
        ),
        f"- **Score: {results.killed} of "
        f"{results.total - results.not_judged - equivalent} non-equivalent "
        f"mutants killed ({results.score:.1f}%)**; of all mutants: "
        f"{100 * results.killed / max(results.total - results.not_judged, 1):.1f}%.",
        "",
        "## By function",
        "",
        "| function | mutants | killed | equivalent | not answered |",
        "|---|---|---|---|---|",
    ]
    for name, row in sorted(results.by_function.items()):
        counts = " | ".join(str(row[key]) for key in ("total", "killed", "eq", "gap"))
        lines.append(f"| `{name.removeprefix('framewire.')}` | {counts} |")
    lines += ["", "## Equivalent survivors", ""]
    lines += [f"- `{where}`: {reason}" for where, reason in results.equivalent] or ["None."]
    lines += ["", "## Survivors not answered by a vector", ""]
    lines += [f"- {gap}" for gap in results.gaps] or ["None."]
    return lines


OPERATORS_VERSION = 2
"""Part of the cache key: raise it whenever the mutation operators or the scope change."""
NOT_JUDGING = {"cli", "report", "results", "runner", "adapter_client"}
"""Modules of the runner that the tool loads but that cannot change an outcome."""


def judged_sources() -> str:
    """A hash of everything a mutant's outcome depends on: the framewire modules loaded to
    judge it (the targets, what they import, the adapter and the judge) and the vectors,
    with the version of the operators. The transports and the CLI cannot change an
    outcome, nor can the report's layout in this file."""
    digest = hashlib.sha256(f"operators {OPERATORS_VERSION}".encode())
    loaded = [
        module.__file__
        for name, module in sorted(sys.modules.items())
        if name.startswith("framewire") and name.rpartition(".")[2] not in NOT_JUDGING
    ]
    for path in [*loaded, *sorted((ROOT / "vectors").glob("*.json"))]:
        digest.update(Path(str(path)).read_bytes())
    return digest.hexdigest()


class Outcomes:
    """Each mutant's outcome: (executed, status), from the cache or from judging it."""

    def __init__(self, runs: list[Run], registry: Registry, *, cached_only: bool = False) -> None:
        self.runs, self.registry = runs, registry
        self.key = judged_sources()
        cached = json.loads(CACHE_FILE.read_text(encoding="utf-8")) if CACHE_FILE.exists() else {}
        self.cached_only = cached_only
        if cached_only and self.key not in cached and len(cached) == 1:
            (self.key,) = cached  # the outcomes of the last run, judged on other sources
            print(f"outcomes judged on other sources than these (key {self.key[:12]})")
        self.known: dict[str, list[Any]] = cached.get(self.key, {})
        self.reached: dict[tuple[str, int], list[int]] | None = None
        self.imported: set[tuple[str, int]] = set()
        self.judged = 0  # how many outcomes this run judged rather than read from the cache
        self.timeout = 0.0

    def get(self, mutant: Mutant, tree: ast.Module) -> tuple[bool, int]:
        """Whether the mutated line runs under the vectors, and the child's exit status."""
        name = f"{mutant.module}:{mutant.index}"
        if name not in self.known and self.cached_only:
            return False, EXIT_NOT_JUDGED
        if name not in self.known:
            self.known[name] = list(self._judge(mutant, tree))
            self.judged += 1
            self._save()
        executed, status = self.known[name]
        return bool(executed), int(status)

    def _judge(self, mutant: Mutant, tree: ast.Module) -> tuple[bool, int]:
        if self.reached is None:
            started = time.monotonic()
            self.reached = covering_runs(self.runs, self.registry)
            traced = time.monotonic() - started  # slower than a plain run: a generous base
            self.timeout = 3 * traced / len(self.runs)  # per request, for a hung mutant
            self.imported = import_lines()
            print(f"{len(self.runs)} requests, {traced:.1f} s traced", flush=True)
        file = str(importlib.import_module(mutant.module).__file__)
        covering = None if mutant.constant else self.reached.get((file, mutant.line))
        if covering:
            runs = [self.runs[index] for index in covering]
            job = functools.partial(judge_mutant, mutant, tree, runs, self.registry)
        elif mutant.constant or (file, mutant.line) in self.imported:
            runs = self.runs
            job = functools.partial(judge_at_import, mutant, tree, runs, self.registry)
        else:
            return False, EXIT_SURVIVED
        return True, in_child(job, 10.0 + self.timeout * len(runs))[0]

    def _save(self) -> None:
        CACHE_FILE.parent.mkdir(exist_ok=True)
        written = CACHE_FILE.with_suffix(".tmp")  # replaced whole: a stopped run loses nothing
        written.write_text(json.dumps({self.key: self.known}), encoding="utf-8")
        written.replace(CACHE_FILE)


def run_mutants(
    scanned: list[tuple[ast.Module, list[Mutant], str]],
    outcomes: Outcomes,
    notes: dict[str, str],
    results: Results,
    *,
    unanswered: dict[str, str],
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
            if skip_noted and key in notes:
                executed, status = True, EXIT_SURVIVED  # documented as equivalent: not rerun
                results.not_rerun += 1
            else:
                executed, status = outcomes.get(mutant, tree)
            if status == EXIT_NOT_JUDGED:
                row["unjudged"] += 1
                results.not_judged += 1
                continue
            if executed and status != EXIT_SURVIVED:
                row["killed"] += 1
                results.killed += 1
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
                why = unanswered[key]
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
    parser.add_argument("--only", help="mutate only this module (e.g. framewire._readers)")
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
        help="count the mutants the notes document as equivalent without judging them again",
    )
    args = parser.parse_args(argv)
    notes: dict[str, str] = json.loads(NOTES_FILE.read_text(encoding="utf-8"))
    unanswered: dict[str, str] = json.loads(UNANSWERED_FILE.read_text(encoding="utf-8"))
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
    runs, registry, suite_version = prepare_runs()
    results = Results(suite_version, len(runs))
    started = time.monotonic()
    outcomes = Outcomes(runs, registry, cached_only=args.cached_only)
    run_mutants(
        scanned, outcomes, notes, results, unanswered=unanswered, skip_noted=args.skip_noted
    )
    if outcomes.judged:
        results.minutes = (time.monotonic() - started) / 60
    print(
        f"{results.killed} of {results.total} mutants killed; {len(results.equivalent)} "
        f"equivalent; {len(results.gaps)} not answered; score {results.score:.1f}%"
    )
    stale = sorted((set(notes) | set(unanswered)) - results.notes_used)
    if stale and args.only is None:
        print("notes that match no survivor any more (remove them):", *stale, sep="\n  ")
    if args.write:
        args.write.write_text("\n".join(report_lines(results)) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
