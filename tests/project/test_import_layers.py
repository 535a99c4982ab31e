"""The package is built in layers, and a module imports only from its own layer or the
layers below it: the sans-I/O core never reaches for a socket, a transport never for the
command line. ARCHITECTURE.md describes the same layers.

Every import counts, wherever it stands: at the top, inside a function (where a cycle
hides, as the command line's did), or under ``if TYPE_CHECKING``. ``from framewire.a
import b`` imports the module ``framewire.a.b`` when there is one, else ``framewire.a``;
the package ``framewire`` itself loads its names on first use, so importing a submodule
does not count as importing it.
"""

from __future__ import annotations

import ast
import graphlib
import re

import pytest
from helpers.package_modules import ROOT, SourceModule, package_modules

LAYERS: dict[str, list[str]] = {
    "schema": [
        "framewire._codec",
        "framewire._codec.schema",
        "framewire._codec.units",
        "framewire._codec.bytes_like",
        "framewire._codec.peertext",
        "framewire._codec.checksum",
        "framewire._codec.cobs_codec",
        "framewire._codec.fastpath",
    ],
    "model": [
        "framewire.errors",
        "framewire.events",
        "framewire.framing",
        "framewire.options",
        "framewire.deadlines",
        "framewire._codec.checks",
        "framewire._codec.control",
        "framewire._codec.diagnosis",
    ],
    "readers": [
        "framewire._codec.compiled",
        "framewire._codec.receive_buffer",
        "framewire._codec.assembler",
        "framewire._codec.fast_readers",
        "framewire._codec.readers",
    ],
    "codec": [
        "framewire.decoder",
        "framewire.encoder",
    ],
    "session": [
        "framewire.session",
        "framewire",
    ],
    "transport": [
        "framewire._io",
        "framewire.addresses",
        "framewire.tls",
        "framewire._io.tls_sync",
        "framewire._io.tls_aio",
        "framewire._io.transport",
        "framewire._io.lifecycle",
        "framewire._io.listen",
        "framewire._io.connlog",
        "framewire._io.arguments",
        "framewire._io.heap",
    ],
    "io": [
        "framewire.sync",
        "framewire.aio",
        "framewire.serial",
    ],
    "commands": [
        "framewire.cli._annotate",
        "framewire._cli_options",
        "framewire.cli._io",
        "framewire.cli._arenas",
        "framewire.cli._send",
        "framewire.cli._serial",
        "framewire.cli._wireshark",
        "framewire.conformance",
        "framewire.conformance.adapter",
        "framewire.conformance.adapter_client",
        "framewire.conformance.cli",
        "framewire.conformance.echo",
        "framewire.conformance.fuzzdiff",
        "framewire.conformance.fuzzgen",
        "framewire.conformance.judge",
        "framewire.conformance.live",
        "framewire.conformance.report",
        "framewire.conformance.results",
        "framewire.conformance.runner",
        "framewire.conformance.vectors",
        "framewire.conformance.wire",
    ],
    "cli": [
        "framewire.cli",
        "framewire.__main__",
        "framewire.conformance.__main__",
        "framewire.cli._demo",
    ],
}
"""Each layer's modules, the lowest layer first. A new module goes in the lowest layer
that holds everything it imports, unless its job belongs higher."""

LAYER_OF = {module: index for index, modules in enumerate(LAYERS.values()) for module in modules}
NOTE = ROOT / "ARCHITECTURE.md"
MODULES = package_modules()
NAMES = {module.name for module in MODULES}


def _resolve(module: SourceModule, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package modules an import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & NAMES
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    if source not in NAMES:
        return set()
    return {
        f"{source}.{alias.name}" if f"{source}.{alias.name}" in NAMES else source
        for alias in node.names
    }


def imports(module: SourceModule) -> dict[str, int]:
    """The package modules ``module`` imports (not itself), each with the line of its
    first import."""
    found: dict[str, int] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _resolve(module, node) - {module.name}:
                found.setdefault(name, node.lineno)
    return found


def test_every_module_has_one_layer() -> None:
    listed = [module for modules in LAYERS.values() for module in modules]
    assert sorted(NAMES - set(listed)) == [], "modules in no layer: add them to LAYERS"
    assert sorted(set(listed) - NAMES) == [], "LAYERS names modules that do not exist"
    assert len(listed) == len(set(listed)), "a module is in two layers"


@pytest.mark.parametrize("module", MODULES, ids=[module.name for module in MODULES])
def test_imports_go_down(module: SourceModule) -> None:
    layer = LAYER_OF[module.name]
    upward = [
        f"line {line}: {name} ({list(LAYERS)[LAYER_OF[name]]})"
        for name, line in imports(module).items()
        if LAYER_OF[name] > layer
    ]
    assert upward == [], f"{module.name} ({list(LAYERS)[layer]}) imports from above"


def test_no_import_cycle() -> None:
    """Within a layer too: a cycle makes two modules one that is harder to read."""
    graph = graphlib.TopologicalSorter({module.name: imports(module) for module in MODULES})
    graph.prepare()  # raises CycleError, naming the cycle


JUDGING_MODULES = [
    "framewire.conformance.vectors",
    "framewire.conformance.wire",
    "framewire.conformance.judge",
    "framewire.conformance.runner",
    "framewire.conformance.results",
    "framewire.conformance.report",
    "framewire.conformance.adapter_client",
    "framewire.conformance.fuzzgen",
    "framewire.conformance.fuzzdiff",
]
"""The conformance runner's modules that decide what is right: from the vectors alone."""


@pytest.mark.parametrize("name", JUDGING_MODULES)
def test_the_judge_loads_no_implementation(name: str) -> None:
    """FW-CNF-4: the runner must not load the implementation it judges."""
    module = next(module for module in MODULES if module.name == name)
    outside = [found for found in imports(module) if not found.startswith("framewire.conformance")]
    assert outside == []


def test_the_note_names_the_layers() -> None:
    """ARCHITECTURE.md's table has a row per layer, in the same order, lowest first."""
    rows = re.findall(r"^\| *`([\w-]+)` *\|", NOTE.read_text(encoding="utf-8"), re.MULTILINE)
    assert rows == list(LAYERS)


def test_an_upward_import_is_seen() -> None:
    """The check sees an import inside a function, relative or absolute."""
    session = next(module for module in MODULES if module.name == "framewire.session")
    tree = ast.parse("def f():\n    from .sync import connect\n    import framewire.cli\n")
    found = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _resolve(session, node)
    }
    assert found == {"framewire.sync", "framewire.cli"}
