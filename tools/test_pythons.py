"""Run the Python test suite on every supported CPython this machine has.

    python tools/test_pythons.py [--versions 3.11 3.12 3.13] [--workers N] [--setup-only]
                                 [-- PYTEST_ARGS]
    python tools/test_pythons.py --others   # the supported versions other than this one

For each version, the interpreter is looked up at run time: pyenv's installed versions
(``pyenv root``/versions/X.Y*, the newest patch release first), else ``pythonX.Y`` on
PATH. Each gets its own virtual environment ``.venv-pyX.Y`` at the repository's root,
with ``./python[cli,dev,docs]`` installed, as ``make venv`` installs it (the API docs'
test reads the package with the docs extra's griffe); again only when
python/pyproject.toml changed.
The summary says which versions ran, with their pytest counts and wall time, and which
were not found; the exit status is 1 when a run failed, not when a version is missing
(a machine may have only some of them).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "python" / "pyproject.toml"
SUPPORTED = ("3.11", "3.12", "3.13")
"""What python/pyproject.toml's requires-python and classifiers promise."""


def default_passes(workers: int) -> list[list[str]]:
    """As ``make pytest`` (pytest.ini adds the rest): in ``workers`` processes, then the
    tests marked serial alone; the slow hostile-peer runs are left to ``make test-hostile``."""
    return [
        ["-n", str(workers), "--dist", "loadfile", "-m", "not slow_hostile and not serial"],
        ["-m", "serial and not slow_hostile"],
    ]


EXTRAS = "cli,dev,docs"
"""What ``make venv`` installs: the API docs' test reads the package with the docs
extra's griffe."""
_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass
class Run:
    """One version's outcome."""

    version: str
    interpreter: Path
    status: int
    summary: str
    seconds: float


def pyenv_versions_dir() -> Path | None:
    """pyenv's versions directory, from ``pyenv root`` or PYENV_ROOT, if pyenv is here."""
    root = os.environ.get("PYENV_ROOT")
    if root is None and (pyenv := shutil.which("pyenv")) is not None:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() if done.returncode == 0 else None
    if root is None:
        return None
    versions = Path(root) / "versions"
    return versions if versions.is_dir() else None


def _release(path: Path) -> tuple[int, ...]:
    """The numeric release of a pyenv version directory (3.12.10 after 3.12.9)."""
    return tuple(int(part) for part in re.findall(r"\d+", path.name))


def find_interpreter(version: str) -> Path | None:
    """The newest CPython ``version`` (X.Y) installed with pyenv, else on PATH."""
    versions = pyenv_versions_dir()
    if versions is not None:
        pattern = re.compile(rf"{re.escape(version)}\.\d+")
        found = sorted(
            (entry for entry in versions.iterdir() if pattern.fullmatch(entry.name)),
            key=_release,
            reverse=True,
        )
        for entry in found:
            candidate = entry / "bin" / f"python{version}"
            if candidate.is_file():
                return candidate
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path is not None else None


def prepare_venv(version: str, interpreter: Path) -> Path:
    """``.venv-pyX.Y`` with the package and its cli, dev and docs extras; its python."""
    venv = ROOT / f".venv-py{version}"
    python = venv / "bin" / "python"
    stamp = venv / ".framewire-install.stamp"
    if (
        stamp.exists()
        and stamp.stat().st_mtime >= PYPROJECT.stat().st_mtime
        and stamp.read_text() == EXTRAS
    ):
        return python
    print(f"==> creating {venv.name} with {interpreter}", flush=True)
    subprocess.run([str(interpreter), "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT / 'python'}[{EXTRAS}]"], check=True)
    stamp.write_text(EXTRAS)
    return python


def run_suite(version: str, interpreter: Path, passes: list[list[str]]) -> Run:
    """pytest on ``version``, once per pass (until one fails), from the repository's root
    (pytest.ini), output shown."""
    python = prepare_venv(version, interpreter)
    # The compiled receive path, built again for this Python: the venv may be older than
    # its C sources (the suite runs it beside the pure-Python path).
    subprocess.run([str(python), str(ROOT / "python" / "hatch_build.py")], check=True)
    print(f"==> pytest on Python {version} ({interpreter})", flush=True)
    started = time.monotonic()
    status, summaries = 0, []
    for pytest_args in passes:
        process = subprocess.Popen(
            [str(python), "-m", "pytest", "-q", *pytest_args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        last = ""
        for line in process.stdout:
            sys.stdout.write(line)
            if _COUNTS.search(line):
                last = line
        status = process.wait()
        summary = ", ".join(f"{count} {kind}" for count, kind in _COUNTS.findall(last))
        summaries.append(summary or "no summary line")
        if status != 0:
            break
    seconds = time.monotonic() - started
    return Run(version, interpreter, status, "; then ".join(summaries), seconds)


def main() -> int:
    """Parse the command line, run each version in turn, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", nargs="+", default=list(SUPPORTED), metavar="X.Y")
    parser.add_argument("--setup-only", action="store_true", help="create the venvs only")
    parser.add_argument(
        "--workers", type=int, default=4, help="pytest-xdist workers (default: %(default)s)"
    )
    parser.add_argument(
        "--others", action="store_true", help="print the supported versions but this one"
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: instead of the defaults")
    args = parser.parse_args()
    if args.others:
        this = f"{sys.version_info.major}.{sys.version_info.minor}"
        print(" ".join(version for version in SUPPORTED if version != this))
        return 0
    passes = [args.pytest_args] if args.pytest_args else default_passes(args.workers)
    runs: list[Run] = []
    missing: list[str] = []
    for version in args.versions:
        interpreter = find_interpreter(version)
        if interpreter is None:
            missing.append(version)
        elif args.setup_only:
            print(f"{prepare_venv(version, interpreter)} ready")
        else:
            runs.append(run_suite(version, interpreter, passes))
    print("\n==> Python versions tested")
    for run in runs:
        outcome = "ok" if run.status == 0 else f"FAILED (exit {run.status})"
        where = f"in {run.seconds:.0f} s ({run.interpreter})"
        print(f"  {run.version}: {outcome}: {run.summary} {where}")
    for version in missing:
        print(f"  {version}: not found on this machine (pyenv or python{version} on PATH)")
    return 1 if any(run.status != 0 for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
