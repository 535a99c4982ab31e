"""Smoke test: the package imports and reports its version."""

import framewire


def test_version_is_a_string() -> None:
    assert isinstance(framewire.__version__, str)
