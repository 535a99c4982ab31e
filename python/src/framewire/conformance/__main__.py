"""`python -m framewire.conformance`: the conformance runner's command line (the `cli` extra)."""

import sys

from framewire.__main__ import run

sys.exit(run("framewire.conformance.cli"))
