"""The layouts of control payloads (spec 6.3 to 6.5), checked in one place.

A HELLO, ERROR, PING or PONG payload is judged the same way wherever it is met: by a
session that receives it (which fails with malformed-control), by an encoder asked to send
one inside a `Message` (which refuses it), and by ``framewire inspect`` (which flags it).
"""

from __future__ import annotations

from typing import NamedTuple

from framewire._codec import schema
from framewire.events import PeerHello

__all__ = ["ControlFault", "control_fault", "hello_limits"]


class ControlFault(NamedTuple):
    """Why a control payload breaks its layout, and the statement it breaks."""

    statement: str
    detail: str


def control_fault(frame_type: int, payload: bytes) -> ControlFault | None:
    """The first layout fault of a control payload of ``frame_type``, or None."""
    if frame_type == schema.TYPE_HELLO:
        return _hello_fault(payload)
    if frame_type == schema.TYPE_ERROR:
        return _error_fault(payload)
    if frame_type in (schema.TYPE_PING, schema.TYPE_PONG) and len(payload) != schema.PING_SIZE:
        name = schema.CONTROL_TYPE_NAMES[frame_type]
        return ControlFault(
            "FW-PNG-1", f"{name} payload is {len(payload)} bytes, not {schema.PING_SIZE}"
        )
    return None


def hello_limits(payload: bytes) -> PeerHello:
    """The limits a valid HELLO payload announces, defaults filled in (FW-HEL-2, FW-HEL-4)."""
    values = {setting.id: setting.default for setting in schema.SETTINGS}
    for setting_id, value in schema.SETTING_STRUCT.iter_unpack(payload):
        if setting_id in schema.SETTINGS_BY_ID:  # FW-HEL-4: unknown settings are ignored
            values[setting_id] = value
    return PeerHello(values[schema.MAX_FRAME_SIZE.id], values[schema.MAX_MESSAGE_SIZE.id])


def _hello_fault(payload: bytes) -> ControlFault | None:
    if len(payload) % schema.SETTING_SIZE:
        return ControlFault(
            "FW-HEL-3",
            f"HELLO payload of {len(payload)} bytes is not a multiple of {schema.SETTING_SIZE}",
        )
    count = len(payload) // schema.SETTING_SIZE
    if count > schema.MAX_HELLO_SETTINGS:
        return ControlFault(
            "FW-HEL-10",
            f"HELLO carries {count} settings, more than {schema.MAX_HELLO_SETTINGS}",
        )
    seen: set[int] = set()
    for setting_id, value in schema.SETTING_STRUCT.iter_unpack(payload):
        if setting_id in seen:
            return ControlFault("FW-HEL-3", f"setting 0x{setting_id:04x} appears twice")
        seen.add(setting_id)
        setting = schema.SETTINGS_BY_ID.get(setting_id)
        if setting is not None and not schema.setting_value_valid(setting, value):
            return ControlFault("FW-HEL-3", f"{setting.name} {value} is out of range")
    return None


def _error_fault(payload: bytes) -> ControlFault | None:
    if len(payload) < schema.ERROR_CODE_SIZE:
        return ControlFault(
            "FW-ERR-4", f"ERROR payload of {len(payload)} bytes is shorter than its code"
        )
    try:
        payload[schema.ERROR_CODE_SIZE :].decode("utf-8")
    except UnicodeDecodeError:
        return ControlFault("FW-ERR-4", "ERROR reason is not valid UTF-8")
    return None
