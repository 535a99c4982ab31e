"""The CLI reference shows real sessions: every transcript in examples/cli/ is replayed.

A transcript (``examples/cli/<name>.txt``, included into spec/reference/cli.md) is what a
user would see in a terminal: lines starting with ``$ `` are commands, the lines after
one are its output (standard output and standard error together, in the order they
were written). Each command runs with ``bash -c``, in a fresh temporary directory shared
by the transcript's commands, with the ``framewire`` of this virtualenv first on PATH.
Two forms exist for servers:

- ``$ COMMAND &`` starts COMMAND in the background; the one line after it is the first
  line it prints (a server's ``listening on ...``), which is awaited before going on.
- ``$ wait`` waits for every background command to exit; the lines after it are the
  rest of their output, in the order they were started.

Nothing is normalised: Unix sockets are given relative paths (``unix:fw.sock``) inside
the temporary directory, so neither ports nor temporary paths appear in any output.

To rewrite a transcript's outputs after an intended change of the CLI, run
``.venv/bin/python tests/cli/test_cli_docs.py examples/cli/<name>.txt`` and review the diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((ROOT / "examples" / "cli").glob("*.txt"))
CLI_PAGE = ROOT / "spec" / "reference" / "cli.md"
PROMPT = "$ "
BACKGROUND_SUFFIX = " &"
COMMAND_TIMEOUT = 30.0
"""Seconds a command (or a background command's first line, or `wait`) may take."""


@dataclass
class Step:
    """One ``$`` line of a transcript and the output that follows it."""

    command: str
    output: str


def parse(text: str) -> list[Step]:
    """Split a transcript into its commands and their expected outputs."""
    steps: list[Step] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(PROMPT):
            steps.append(Step(line[len(PROMPT) :].rstrip("\n"), ""))
        elif steps:
            steps[-1].output += line
        else:
            raise ValueError(f"a transcript must start with a '{PROMPT}' line, not {line!r}")
    return steps


def render(steps: list[Step]) -> str:
    return "".join(f"{PROMPT}{step.command}\n{step.output}" for step in steps)


def _environment() -> dict[str, str]:
    """A small, fixed environment: the output must not depend on the user's shell."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "framewire").exists():
        raise RuntimeError(f"no framewire script next to {sys.executable}: install the package")
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "COLUMNS": "80",  # argparse and rich wrap at the terminal width
        "TERM": "dumb",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
    }


def replay(steps: list[Step], directory: Path) -> list[Step]:
    """Run the commands of a transcript; return them with the output they really gave."""
    env = _environment()
    background: list[subprocess.Popen[str]] = []
    actual: list[Step] = []
    try:
        for step in steps:
            if step.command.endswith(BACKGROUND_SUFFIX):
                process = subprocess.Popen(
                    ["bash", "-c", step.command.removesuffix(BACKGROUND_SUFFIX)],
                    cwd=directory,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                background.append(process)
                assert process.stdout is not None
                output = _first_line(process)
            elif step.command == "wait":
                output = "".join(_rest_of_output(process) for process in background)
                background.clear()
            else:
                output = subprocess.run(
                    ["bash", "-c", step.command],
                    cwd=directory,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=COMMAND_TIMEOUT,
                    check=False,
                ).stdout
            actual.append(Step(step.command, output))
    finally:
        for process in background:
            process.kill()
            process.wait()
    assert not background, "a transcript must `$ wait` for its background commands"
    return actual


def _first_line(process: subprocess.Popen[str]) -> str:
    """The first line a background command prints, awaited at most the command timeout."""
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(COMMAND_TIMEOUT)
    if not lines:
        raise TimeoutError("a background command printed no line in time")
    return lines[0]


def _rest_of_output(process: subprocess.Popen[str]) -> str:
    """Everything a background command prints until it exits."""
    output, _ = process.communicate(timeout=COMMAND_TIMEOUT)
    return output


def replay_file(transcript: Path) -> str:
    """The transcript as the real CLI writes it today."""
    with tempfile.TemporaryDirectory() as directory:
        steps = parse(transcript.read_text(encoding="utf-8"))
        return render(replay(steps, Path(directory)))


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda path: path.stem)
def test_transcript_matches_the_real_cli(transcript: Path) -> None:
    assert replay_file(transcript) == transcript.read_text(encoding="utf-8")


def test_there_are_transcripts() -> None:
    assert TRANSCRIPTS, "no transcripts in examples/cli"


def test_every_transcript_is_on_the_cli_page() -> None:
    page = CLI_PAGE.read_text(encoding="utf-8")
    missing = [
        path.name for path in TRANSCRIPTS if f'"{path.relative_to(ROOT).as_posix()}"' not in page
    ]
    assert not missing, f"transcripts not included in {CLI_PAGE.name}: {missing}"


def test_every_command_has_a_transcript() -> None:
    """Each subcommand of `framewire` (plug-ins too) is run by at least one transcript."""
    from framewire.cli import build_parser  # noqa: PLC0415 - only this test needs it

    parser = build_parser()
    commands = {
        name
        for action in parser._subparsers._group_actions  # type: ignore[union-attr]
        for name in getattr(action, "choices", {})
    }
    commands_run = " ".join(
        step.command for path in TRANSCRIPTS for step in parse(path.read_text(encoding="utf-8"))
    )
    missing = sorted(command for command in commands if f"framewire {command}" not in commands_run)
    assert not missing, f"commands with no transcript: {missing}"


def test_parse_and_render_round_trip() -> None:
    text = "$ echo hi\nhi\n$ server &\nlistening\n$ wait\n"
    steps = parse(text)
    assert [step.command for step in steps] == ["echo hi", "server &", "wait"]
    assert [step.output for step in steps] == ["hi\n", "listening\n", ""]
    assert render(steps) == text


def test_replay_detects_a_wrong_output(tmp_path: Path) -> None:
    steps = parse("$ echo real\nclaimed\n")
    assert replay(steps, tmp_path) == [Step("echo real", "real\n")]


if __name__ == "__main__":  # rewrite transcripts' outputs after an intended CLI change
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(replay_file(path), encoding="utf-8")
        print(f"rewrote {path}; review it with git diff")
