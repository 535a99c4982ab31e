"""Shared fixtures: where a server listens, in which framing, an echo server there, and the
vectors one by one."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.conformance import REFERENCE_KNOWN_FAILURES, suite
from helpers.io_peers import FAST, echo
from helpers.tls_peers import TlsFiles, make_tls_files
from hypothesis import settings

from framewire import Framing
from framewire._codec import compiled
from framewire.addresses import Address
from framewire.conformance.adapter import ReferenceAdapter
from framewire.conformance.results import KnownFailures
from framewire.conformance.runner import not_applicable
from framewire.conformance.vectors import Case
from framewire.options import Options
from framewire.sync import Server, serve

# A suite started in the background without job control runs with SIGINT ignored, and the
# commands it starts would inherit that: the tests that press Ctrl-C (SIGINT) on a command
# would then see it go on. A handler, unlike an ignored signal, is reset to the default
# action in every program the suite starts.
signal.signal(signal.SIGINT, signal.default_int_handler)

# Hypothesis fails an example that runs longer than its deadline: a check of speed, which a
# loaded machine, or the parallel workers of `make pytest`, would fail for nothing.
settings.register_profile("framewire", deadline=None)
settings.load_profile("framewire")


@pytest.fixture(params=["tcp", "unix"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Address:
    """Where the server under test listens: a free TCP port, or a Unix socket in tmp_path."""
    return ("127.0.0.1", 0) if request.param == "tcp" else str(tmp_path / "fw.sock")


@pytest.fixture(params=list(Framing), ids=[f.value for f in Framing])
def framing(request: pytest.FixtureRequest) -> Framing:
    """Each framing in turn (spec 4)."""
    result: Framing = request.param
    return result


@pytest.fixture
def echo_server(address: Address, framing: Framing) -> Iterator[Server]:
    """A blocking echo server at ``address`` in ``framing``, with short deadlines (FAST)."""
    with serve(address, echo, options=Options(framing), deadlines=FAST) as server:
        yield server


REFERENCE_CASES = [
    case for case in suite().cases if not_applicable(case, ReferenceAdapter.profiles) is None
]
"""The vectors an adapter claiming the reference's profiles runs (live-only ones are not)."""


@pytest.fixture(params=REFERENCE_CASES, ids=[case.id for case in REFERENCE_CASES])
def vector_case(request: pytest.FixtureRequest) -> Case:
    """One vector a test item, its id the vector's: `pytest -k fw-497fd00a` selects it."""
    case: Case = request.param
    return case


@pytest.fixture(scope="session")
def known_failures() -> KnownFailures:
    """The vectors the reference declares it does not pass yet (FW-CNF-24)."""
    return KnownFailures.load(REFERENCE_KNOWN_FAILURES)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA, a server certificate signed by it and an unrelated CA, as PEM files."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


RECEIVE_LOOPS = ("compiled", "pure")
"""The two receive paths of the decoder's batched loop: framewire._codec.fastpath, and the
pure-Python reference (framewire._codec.compiled)."""


@pytest.fixture(scope="module", params=RECEIVE_LOOPS)
def receive_loop(request: pytest.FixtureRequest) -> Iterator[str]:
    """The tests that request it run once on each receive path; each decoder made during
    the test takes the path in force. Module-scoped, so hypothesis's tests may use it.
    The compiled module must be there: `make venv` builds it (python/hatch_build.py)."""
    loop = None
    if request.param == "compiled":
        try:
            from framewire._codec.fastpath import decode_run  # noqa: PLC0415
        except ImportError as error:
            pytest.fail(f"the compiled receive path is not built ({error}): run `make venv`")
        loop = decode_run
    saved = compiled.DECODE_RUN
    compiled.DECODE_RUN = loop
    yield request.param
    compiled.DECODE_RUN = saved
