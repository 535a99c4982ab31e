"""The error registry in errors.py against spec/errors.md, and the exception hierarchy."""

from __future__ import annotations

import re

import pytest
from helpers.spec_tables import code_spans, defined_statements, fw_tables

from framewire.errors import (
    MAX_REASON_BYTES,
    ErrorCode,
    FramewireError,
    LocalFailureError,
    PeerError,
    ProtocolError,
    Recovery,
    RemoteProtocolError,
    TransportError,
    UsageError,
    truncate_reason,
)

REGISTRY = fw_tables("errors.md")["errors"]


def test_registry_rows_match_error_codes() -> None:
    assert [int(row["code"]) for row in REGISTRY] == [int(code) for code in ErrorCode]
    for row in REGISTRY:
        code = ErrorCode.lookup(int(row["code"]))
        assert code is not None
        assert code_spans(row["name"]) == [code.wire_name]
        assert tuple(re.findall(r"FW-[A-Z]+-\d+", row["statements"])) == code.statements
        assert row["delimited recovery"] == code.recovery.value
        assert row["ERROR frame"].startswith("yes") == code.sends_error_frame, code


def test_registry_statements_exist() -> None:
    defined = defined_statements()
    for code in ErrorCode:
        assert set(code.statements) <= defined, code


def test_lookup_by_name_and_number() -> None:
    for code in ErrorCode:
        assert ErrorCode.from_name(code.wire_name) is code
        assert ErrorCode.lookup(int(code)) is code
    assert ErrorCode.lookup(0) is None
    assert ErrorCode.lookup(399) is None
    with pytest.raises(KeyError):
        ErrorCode.from_name("no-such-error")


def test_every_code_builds_the_one_registry_error_class() -> None:
    for code in ErrorCode:
        error = RemoteProtocolError(code, "detail")
        assert type(error) is RemoteProtocolError
        assert error.code is code
        assert error.name == code.wire_name
        assert error.statement == code.statements[0]
        assert error.sends_error_frame == code.sends_error_frame
        assert not error.recoverable
        assert code.wire_name in str(error)
        assert str(int(code)) in str(error)


def test_protocol_error_is_the_base_of_both_sides_registry_failures() -> None:
    for kind in (LocalFailureError, RemoteProtocolError):
        assert issubclass(kind, ProtocolError)
        error = kind(ErrorCode.TIMEOUT, "handshake deadline expired")
        assert (error.code, error.name, error.statement) == (
            ErrorCode.TIMEOUT,
            "timeout",
            "FW-LIM-6",
        )
    with pytest.raises(ProtocolError):
        raise LocalFailureError(ErrorCode.INTERNAL_ERROR, "gave up")
    with pytest.raises(ProtocolError):
        raise RemoteProtocolError(ErrorCode.BAD_MAGIC, "first bytes 0x0000")
    assert not issubclass(LocalFailureError, RemoteProtocolError)
    assert not issubclass(RemoteProtocolError, LocalFailureError)
    assert not issubclass(UsageError, ProtocolError)  # misuse has no registry code
    assert str(UsageError("misuse")) == "misuse"


def test_protocol_error_fields() -> None:
    error = RemoteProtocolError(
        ErrorCode.CHECKSUM_MISMATCH, "trailer 0x1", statement="FW-CRC-3", recoverable=True
    )
    assert isinstance(error, FramewireError)
    assert (error.statement, error.detail, error.recoverable) == ("FW-CRC-3", "trailer 0x1", True)
    assert error.error_frame_reason() == "FW-CRC-3: trailer 0x1"
    quiet = RemoteProtocolError(ErrorCode.MALFORMED_CONTROL, "x", sends_error_frame=False)
    assert not quiet.sends_error_frame


def test_error_frame_reason_fits_254_bytes_without_splitting_characters() -> None:
    error = RemoteProtocolError(ErrorCode.INTERNAL_ERROR, "é" * 300)
    reason = error.error_frame_reason()
    assert len(reason.encode("utf-8")) <= MAX_REASON_BYTES
    assert reason.startswith("FW-ERR-6: é")
    assert truncate_reason("a" * 253 + "é") == "a" * 253


def test_peer_error_known_and_unknown_codes() -> None:
    known = PeerError(108, "bad crc")
    assert (known.code, known.name, known.reason) == (108, "checksum-mismatch", "bad crc")
    unknown = PeerError(4242, "")
    assert (unknown.code, unknown.name) == (4242, None)
    assert "4242" in str(unknown)


def test_the_kinds_of_errors_are_distinct() -> None:
    kinds = (ProtocolError, UsageError, PeerError, TransportError)
    for kind in kinds:
        assert issubclass(kind, FramewireError)
        assert [other for other in kinds if issubclass(kind, other)] == [kind]


def test_recovery_values_cover_the_registry() -> None:
    assert {code.recovery for code in ErrorCode} == set(Recovery)
