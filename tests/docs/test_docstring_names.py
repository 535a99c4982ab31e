"""Every dotted name a docstring of the package gives exists: a renamed or removed name
leaves no stale pointer behind.

The rule, for each module of ``python/src/framewire``:

- A docstring is a string literal standing as a statement: the first of a module, class
  or function, or one after an assignment (an attribute's docstring).
- A reference is, in a docstring, either text in single or double backticks that is
  entirely a dotted name (two or more identifiers joined by dots, optionally followed by
  ``()``), or any dotted name starting ``framewire.``, backticked or not.
- A reference resolves when its first identifier is ``framewire`` (the longest prefix
  that is a module is imported, the rest are attributes), a name of the module the
  docstring is in (attributes from there), or a library of OTHER_LIBRARIES (imported,
  then attributes). An attribute of a class is also one that the class, or a base of it,
  declares with an annotation (a dataclass field or named tuple field without a default).
- NOT_PYTHON lists the dotted names that are no Python name of this environment (a file
  name, a kernel setting), each with what it is.

A ``__main__`` module runs when imported, so only its ``framewire.`` references are
resolved; a reference to one of its own names fails.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from types import ModuleType

import pytest
from helpers.package_modules import SourceModule, package_modules

from framewire._io.connlog import LOGGER_NAME

OTHER_LIBRARIES = {
    "asyncio",
    "builtins",
    "cobs",
    "errno",
    "random",
    "serial",
    "socket",
    "ssl",
    "struct",
    "time",
}
"""Libraries whose names docstrings give (they are resolved in the library)."""

NOT_PYTHON = {
    LOGGER_NAME: "the logger of the connection log",
    "framewire.lua": "the Wireshark dissector's file",
    "net.core.somaxconn": "a Linux kernel setting (sysctl)",
    "bufio.Reader": "Go's buffered reader, a model for the receive buffer",
    "websockets.serve": "a function of the websockets library, not installed here",
}
"""Dotted names that are not Python names here, and what each is."""

BACKTICKED = re.compile(r"``([^`]+)``|`([^`]+)`")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?")
FRAMEWIRE_NAME = re.compile(r"(?<![\w.])framewire(?:\.[A-Za-z_]\w*)+")

MODULES = package_modules()


def docstrings(tree: ast.Module) -> list[tuple[int, str]]:
    """Each docstring of the tree (see the rule) with its line number."""
    found = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                found.append((statement.lineno, statement.value.value))
    return found


def references(text: str) -> set[str]:
    """The references in one docstring, without a trailing ``()``."""
    names = set(FRAMEWIRE_NAME.findall(text))
    for match in BACKTICKED.finditer(text):
        quoted = match.group(1) or match.group(2)
        if DOTTED.fullmatch(quoted):
            names.add(quoted.removesuffix("()"))
    return names


def _has_attribute(owner: object, name: str) -> bool:
    if hasattr(owner, name):
        return True
    return isinstance(owner, type) and any(
        name in getattr(base, "__annotations__", {}) for base in owner.__mro__
    )


def _attributes(owner: object, names: list[str]) -> bool:
    for name in names:
        if not _has_attribute(owner, name):
            return False
        owner = getattr(owner, name, None)
    return True


def _framewire_name(parts: list[str]) -> bool:
    for end in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        return _attributes(module, parts[end:])
    return False


def resolves(name: str, namespace: ModuleType | None) -> bool:
    """Whether ``name`` exists, read in ``namespace`` (the docstring's module, if loaded)."""
    if name in NOT_PYTHON:
        return True
    parts = name.split(".")
    first = parts[0]
    if first == "framewire":
        return _framewire_name(parts)
    if namespace is not None and hasattr(namespace, first):
        return _attributes(getattr(namespace, first), parts[1:])
    if first in OTHER_LIBRARIES:
        return _attributes(importlib.import_module(first), parts[1:])
    return hasattr(builtins, first) and _attributes(getattr(builtins, first), parts[1:])


def stale_names(module: SourceModule) -> list[str]:
    """The references in the module's docstrings that do not resolve, as ``line: name``."""
    runs_on_import = module.name.rpartition(".")[2] == "__main__"
    namespace = None if runs_on_import else importlib.import_module(module.name)
    return [
        f"{module.path.name}:{line}: {name}"
        for line, text in docstrings(module.tree)
        for name in sorted(references(text))
        if not resolves(name, namespace)
    ]


@pytest.mark.parametrize("module", MODULES, ids=[module.name for module in MODULES])
def test_docstring_names_exist(module: SourceModule) -> None:
    assert stale_names(module) == []


def test_rule_finds_references() -> None:
    """The rule sees the forms it names and skips what is no dotted name."""
    text = """See framewire.sync.serve, ``Session.feed()`` and `ssl.SSLContext`;
    not `--framing`, ``b"x.y"`` nor framewire[serial]. Ends with framewire.aio."""
    assert references(text) == {
        "framewire.sync.serve",
        "Session.feed",
        "ssl.SSLContext",
        "framewire.aio",
    }


def test_stale_names_fail() -> None:
    """A name that is gone fails, wherever it points."""
    sync = importlib.import_module("framewire.sync")
    assert resolves("framewire.sync.Channel.recv", None)
    assert resolves("Channel.recv", sync)
    assert not resolves("framewire.sync.NO_SUCH_NAME", None)
    assert not resolves("framewire.no_such_module", None)
    assert not resolves("Channel.no_such_method", sync)
    assert not resolves("ssl.NoSuchContext", None)
    assert not resolves("args.timeout", sync)
