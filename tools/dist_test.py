"""Test the built packages as a user gets them: installed, outside the checkout.

Run after `make dist`: `.venv/bin/python tools/dist_test.py [DIST_DIR]`. Exit status 1 on a
problem.

- Python: every file of `python/src/framewire` that the wheel should ship (all but the
  `exclude` patterns of pyproject.toml) is in the wheel and in the sdist. The wheel is
  installed with its `cli` and `dev` extras into a new venv in a temporary directory, and a
  part of the test suite (the vectors, the codec, the session, the blocking transport, the
  command line), copied there without `vectors/` beside it, runs against it: the vectors
  the tests read are the copy the package ships. The run fails unless `framewire` and those
  vectors are imported from the venv's site-packages and the installed metadata's version
  is `framewire.__version__`.
- JavaScript: the tarball holds the licence. It is installed into a new project in a
  temporary directory, and the JS tests run there with `../src` and `../bin` being the
  installed package's directories, so a file the tarball lacks fails them. The project
  resolves `@framewire/framewire` to the installed copy, and the run checks that it does.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / "python"
PACKAGE = PYTHON / "src" / "framewire"
JS = ROOT / "js"

PYTHON_TESTS = (
    "conformance/test_conformance_vectors.py",
    "codec/test_codec_delimited.py",
    "codec/test_codec_errors.py",
    "codec/test_codec_roundtrip.py",
    "session/test_session_core.py",
    "codec/test_events.py",
    "io/test_sync_transport.py",
    "cli/test_cli.py",
    "cli/test_cli_extra.py",
    "project/test_smoke.py",
)
"""Tests that need nothing of the checkout but tests/ (no spec/, tools/ or examples/)."""
PYTHON_DESELECT = (
    "conformance/test_conformance_vectors.py::test_the_mutation_score_is_judged_as_these_tests_judge",
)
"""It reads tools/mutants.py, which is no part of the package."""

JS_SKIPPED = ("package.test.js", "declarations.test.js")
"""They need the checkout's dev dependencies: the first packs the checkout and compiles
against it; the second parses the declarations with the TypeScript compiler."""
JS_TEST_DATA = ("vectors", "spec")
"""What the JS tests read beside js/ (`../../vectors`, `../../spec`): test data, which the
package does not ship; linked from the checkout."""

# Run by the venv's Python in the project directory (installed_check.py): the checks, then
# pytest with the arguments given.
PYTHON_CHECK = """
import importlib.metadata, sys, sysconfig
from pathlib import Path
import framewire, pytest
from framewire.conformance.vectors import default_vectors_dir
site = Path(sysconfig.get_paths()["purelib"]).resolve()
found = {"framewire": Path(framewire.__file__).resolve(), "vectors": default_vectors_dir()}
for name, path in found.items():
    if path is None or not Path(path).resolve().is_relative_to(site):
        sys.exit(f"{name} is read from {path}, not from the venv's {site}")
if importlib.metadata.version("framewire") != framewire.__version__:
    sys.exit("the installed metadata's version is not framewire.__version__")
from framewire._codec.compiled import RECEIVE_PATH
print(f"framewire {framewire.__version__} from {found['framewire'].parent}", flush=True)
print(f"receive path: {RECEIVE_PATH}", flush=True)
sys.exit(pytest.main(sys.argv[1:]))
"""

# Run in the consumer project: where `@framewire/framewire` resolves.
JS_RESOLVE = "console.log(new URL(import.meta.resolve('@framewire/framewire')).pathname)"


COMPILED_SOURCES = {
    "hatch_build.py",
    "framewire/_codec/fastpath.c",
    "c/include/framewire.h",
    "c/src/crc32c.c",
}
"""What an sdist needs to build the compiled receive path (paths as in_sdist has them)."""


def shipped_files() -> set[str]:
    """The files the wheel must hold: the package's (symbolic links followed) that its exclude
    patterns keep, and those its force-include table adds."""
    config = tomllib.loads((PYTHON / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    excluded = wheel.get("exclude", [])
    files = set()
    # files from outside the package directory (force-include: source -> place in the wheel)
    for source, place in wheel.get("force-include", {}).items():
        found = PYTHON / source
        inside = found.rglob("*") if found.is_dir() else [found]
        files |= {(Path(place) / p.relative_to(found)).as_posix() for p in inside if p.is_file()}
    for directory, dirs, names in os.walk(PACKAGE, followlinks=True):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in names:
            path = Path(directory, name)
            if any(_excludes(p, path.relative_to(PYTHON).as_posix()) for p in excluded):
                continue
            files.add(path.relative_to(PACKAGE.parent).as_posix())
    return files


def _excludes(pattern: str, path: str) -> bool:
    """Whether a hatch exclude pattern matches ``path``: as in .gitignore, ``**/`` stands
    for any number of directories, none included (fnmatch's ``*`` crosses ``/`` already)."""
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.replace("**/", ""))


def missing_from_archives(wheel: Path, sdist: Path) -> list[str]:
    """Each package file that the wheel or the sdist lacks, as a problem."""
    expected = shipped_files()
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        # an sdist holds one top directory, `framewire-<version>/`, with python/ inside it
        in_sdist = {name.partition("/")[2].removeprefix("src/") for name in archive.getnames()}
    problems = [f"{wheel.name} lacks {name}" for name in sorted(expected - in_wheel)]
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in in_wheel):
        problems.append(f"{wheel.name} lacks the licence (dist-info/licenses/LICENSE)")
    problems += [f"{sdist.name} lacks {name}" for name in sorted(expected - in_sdist)]
    # The compiled receive path: its sources in the sdist, the module in a wheel built
    # where a compiler is (as here).
    problems += [f"{sdist.name} lacks {name}" for name in sorted(COMPILED_SOURCES - in_sdist)]
    compiled = f"framewire/_codec/fastpath{sysconfig.get_config_var('EXT_SUFFIX')}"
    if compiled not in in_wheel:
        problems.append(f"{wheel.name} lacks the compiled receive path ({compiled})")
    return problems


def missing_from_tarball(tarball: Path) -> list[str]:
    """The licence, if the npm tarball lacks it, as a problem (npm packs files under `package/`)."""
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    return [] if "package/LICENSE" in names else [f"{tarball.name} lacks the licence (LICENSE)"]


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    """Run a command; a failure ends this script with the command's status."""
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, check=False)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}")


def clean_env() -> dict[str, str]:
    """This environment without what would point Python at the checkout or other vectors."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "FRAMEWIRE_VECTORS", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if key not in dropped}


def test_wheel(wheel: Path, work: Path) -> None:
    """Install the wheel into a new venv and run the Python subset against it."""
    venv = work / "venv"
    python = str(venv / "bin" / "python")
    run([sys.executable, "-m", "venv", str(venv)], work)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, f"{wheel}[cli,dev]"], work)
    tests = work / "project" / "tests"
    shutil.copytree(ROOT / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pytest.ini", tests.parent)
    args = [f"tests/{test}" for test in PYTHON_TESTS]
    args += [f"--deselect=tests/{test}" for test in PYTHON_DESELECT]
    check = tests.parent / "installed_check.py"
    check.write_text(PYTHON_CHECK, encoding="utf-8")
    run([python, check.name, "-q", *args], tests.parent, clean_env())


def test_tarball(tarball: Path, work: Path) -> None:
    """Install the npm tarball into a new project and run the JS tests against it."""
    project = work / "js-project"
    project.mkdir()
    (project / "package.json").write_text(
        json.dumps({"name": "framewire-dist-test", "private": True, "type": "module"}),
        encoding="utf-8",
    )
    npm = ["npm", "install", "--offline", "--no-audit", "--no-fund", "--loglevel=error"]
    run([*npm, str(tarball)], project)
    installed = (project / "node_modules" / "@framewire" / "framewire").resolve()
    resolved = subprocess.run(
        ["node", "--input-type=module", "-e", JS_RESOLVE],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(resolved).resolve().is_relative_to(installed):
        sys.exit(f"@framewire/framewire resolves to {resolved}, not to {installed}")
    tests = project / "js" / "test"
    shutil.copytree(JS / "test", tests, ignore=shutil.ignore_patterns(*JS_SKIPPED))
    for part in ("src", "bin"):
        (project / "js" / part).symlink_to(installed / part, target_is_directory=True)
    for data in JS_TEST_DATA:
        (project / data).symlink_to(ROOT / data, target_is_directory=True)
    print(f"@framewire/framewire from {installed}", flush=True)
    command = ["node", "--test", "--test-timeout=120000", "--test-reporter=tap"]
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=tests.parent, capture_output=True, text=True, check=False)
    # the TAP stream of every case: its summary, or all of it on a failure
    print(result.stdout if result.returncode else "\n".join(result.stdout.splitlines()[-8:]))
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", nargs="?", type=Path, default=ROOT / "dist")
    parser.add_argument("--only", choices=("python", "js"), help="test one package only")
    args = parser.parse_args(argv)
    dist: Path = args.dist.resolve()
    with tempfile.TemporaryDirectory(prefix="framewire-dist-") as temporary:
        work = Path(temporary)
        if args.only != "js":
            (wheel,) = dist.glob("framewire-*.whl")
            (sdist,) = dist.glob("framewire-*.tar.gz")
            problems = missing_from_archives(wheel, sdist)
            if problems:
                print("\n".join(problems), file=sys.stderr)
                return 1
            start = time.monotonic()
            test_wheel(wheel, work)
            print(f"==> the installed wheel passed in {time.monotonic() - start:.0f} s")
        if args.only != "python":
            (tarball,) = dist.glob("framewire-framewire-*.tgz")
            problems = missing_from_tarball(tarball)
            if problems:
                print("\n".join(problems), file=sys.stderr)
                return 1
            start = time.monotonic()
            test_tarball(tarball, work)
            print(f"==> the installed npm tarball passed in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
