"""`python -m framewire.conformance`: the conformance runner."""

import sys

from framewire.conformance.cli import main

sys.exit(main())
