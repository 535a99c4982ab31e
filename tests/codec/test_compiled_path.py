"""The compiled receive path (framewire._codec.fastpath): how a wheel gets it or goes without it,
and that each receive loop is the one a decoder runs. That both loops give the same
results is checked where the results are: the vectors (test_conformance_vectors.py), the
round trips, the chunking and fast-path tests all run on both (the `receive_loop` fixture).
"""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from framewire import Decoder, Encoder, Message

PYTHON = Path(__file__).resolve().parents[2] / "python"


def _build_hook_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build", PYTHON / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel_build_data(tmp_path: Path) -> dict[str, Any]:
    """What the hook leaves in a standard wheel build's data."""
    hook_module = _build_hook_module()
    hook = hook_module.CompiledPathHook(str(PYTHON), {}, None, None, str(tmp_path), "wheel")
    build_data: dict[str, Any] = {"force_include": {}, "pure_python": True, "infer_tag": False}
    hook.initialize("standard", build_data)
    for source in build_data["force_include"]:
        assert Path(source).is_file()
    hook.finalize("standard", build_data, str(tmp_path / "framewire.whl"))
    return build_data


def test_a_wheel_built_with_a_compiler_holds_the_compiled_module(tmp_path: Path) -> None:
    build_data = _wheel_build_data(tmp_path)
    name = f"fastpath{sysconfig.get_config_var('EXT_SUFFIX')}"
    assert list(build_data["force_include"].values()) == [f"framewire/_codec/{name}"]
    assert build_data["pure_python"] is False
    assert build_data["infer_tag"] is True


def test_a_wheel_built_without_a_compiler_is_pure_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LDSHARED", str(tmp_path / "no-such-compiler"))
    build_data = _wheel_build_data(tmp_path)
    assert build_data == {"force_include": {}, "pure_python": True, "infer_tag": False}
    assert "the compiled receive path was not built" in capsys.readouterr().err


def test_framewire_pure_python_at_build_time_builds_a_pure_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAMEWIRE_PURE_PYTHON", "1")
    build_data = _wheel_build_data(tmp_path)
    assert build_data == {"force_include": {}, "pure_python": True, "infer_tag": False}


def test_each_decoder_runs_the_loop_in_force(receive_loop: str) -> None:
    decoder = Decoder()
    reader: Any = decoder._reader
    if receive_loop == "pure":
        assert reader.fast_paths.compiled_run is None
    else:
        from framewire._codec.fastpath import decode_run  # noqa: PLC0415

        assert reader.fast_paths.compiled_run is decode_run
    messages = [Message(0x40 + n, bytes([n]) * n, n % 16) for n in range(40)]
    encoder = Encoder(checksum=True)
    decoder.feed(b"".join(encoder.encode(m) for m in messages))
    received = decoder.next_events()
    assert received == messages
    assert all(type(m) is Message for m in received)


def test_the_compiled_module_checks_its_arguments() -> None:
    from framewire._codec.fastpath import decode_run  # noqa: PLC0415

    with pytest.raises(ValueError, match="offsets outside the buffer"):
        decode_run(bytearray(9), 0, 10, 256, Message, [], 1, 0, 0)
    with pytest.raises(TypeError, match="a tuple type and a list"):
        decode_run(bytearray(9), 0, 9, 256, dict, [], 1, 0, 0)
