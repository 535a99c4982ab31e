"""The session's transitions table (framewire.session) is the spec's (spec 6.8), both ways.

The spec gives the transitions twice, as a table and as a diagram; both are read here and
compared with the code's table: every transition of the spec is in the code, and the code
has none that the spec lacks. The "accepts" column of the states table is compared with
the admission rules that the code reads from its transitions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from helpers.spec_tables import SPEC_DIR, code_spans, fw_tables

from framewire._codec import schema
from framewire.session import (
    _ADMISSIONS,
    _TRANSITIONS,
    Session,
    SessionState,
    _SessionInput,
    _StateAdmission,
)

Transition = tuple[SessionState, _SessionInput, SessionState]

TABLES = fw_tables("session.md")
MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
ARROW = re.compile(r"^\s*(\w+) --> (\w+): (.+)$", re.MULTILINE)


def _plain(cell: str) -> str:
    return cell.replace("`", "").strip()


def _spec_table() -> set[Transition]:
    rows = TABLES["session-transitions"]
    pairs = [(row["state"], row["input"]) for row in rows]
    assert len(set(pairs)) == len(pairs), "a (state, input) pair is listed twice"
    return {
        (
            SessionState(_plain(row["state"])),
            _SessionInput(_plain(row["input"])),
            SessionState(_plain(row["next state"])),
        )
        for row in rows
    }


def _spec_diagram() -> set[Transition]:
    """The arrows of 6.8's state diagram, one transition per input of a label (the
    arrows from the start and to the end are not transitions of the table)."""
    text = (SPEC_DIR / "session.md").read_text(encoding="utf-8")
    section = text[text.index("## 6.8 States") :]
    match = MERMAID.search(section)
    assert match is not None, "6.8 has no state diagram"
    return {
        (SessionState(source), _SessionInput(label.strip()), SessionState(target))
        for source, target, labels in ARROW.findall(match.group(1))
        for label in labels.split(",")
    }


def _code_table() -> set[Transition]:
    return {(state, happened, after) for (state, happened), after in _TRANSITIONS.items()}


@pytest.mark.parametrize("spec", [_spec_table, _spec_diagram], ids=["table", "diagram"])
def test_the_sessions_transitions_are_the_specs(spec: Callable[[], set[Transition]]) -> None:
    written = spec()
    code = _code_table()
    assert written - code == set(), "in the spec, not in the code"
    assert code - written == set(), "in the code, not in the spec"


def test_every_input_moves_some_state_and_failed_is_final() -> None:
    """No input is defined in vain; nothing leaves FAILED; every other state can fail."""
    code = _code_table()
    assert {happened for _, happened, _ in code} == set(_SessionInput)
    assert not [row for row in code if row[0] is SessionState.FAILED]
    for state in set(SessionState) - {SessionState.FAILED}:
        assert (state, _SessionInput.FAILURE, SessionState.FAILED) in code


def test_the_admission_rules_are_the_accepts_column() -> None:
    """Each state admits the frames its row accepts (spec 6.8, FW-SES-6), as read from the
    transitions; the states that read no frame have no rule of their own."""
    for row in TABLES["session-states"]:
        state = SessionState(_plain(row["state"]))
        accepts = row["accepts"]
        admission = _StateAdmission.of(state)
        named = set(code_spans(accepts))
        assert admission.control == {
            number for number, name in schema.CONTROL_TYPE_NAMES.items() if name in named
        }, state
        assert admission.data == accepts.startswith("data"), state
        reads_frames = admission.data or bool(admission.control)
        assert (state in _ADMISSIONS) == reads_frames, state


def test_a_transition_outside_the_table_is_a_defect() -> None:
    """The session moves only through the table: an input the table has no row for, in
    the state at hand, stops with the lookup's KeyError instead of a silent move."""
    session = Session()
    assert session.state is SessionState.AWAIT_PREFACE
    with pytest.raises(KeyError):
        session._move(_SessionInput.HELLO)
    assert session.state is SessionState.AWAIT_PREFACE
