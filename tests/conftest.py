"""Fixtures shared by the transport tests: where a server listens, and in which framing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tls_peers import TlsFiles, make_tls_files

from framewire.codec import Framing
from framewire.transport import Address


@pytest.fixture(params=["tcp", "unix"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Address:
    """Where the server under test listens: a free TCP port, or a Unix socket in tmp_path."""
    return ("127.0.0.1", 0) if request.param == "tcp" else str(tmp_path / "fw.sock")


@pytest.fixture(params=list(Framing), ids=[f.value for f in Framing])
def framing(request: pytest.FixtureRequest) -> Framing:
    """Each framing in turn (spec 4)."""
    result: Framing = request.param
    return result


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA, a server certificate signed by it and an unrelated CA, as PEM files."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))
