"""``python -m framewire`` runs the ``framewire`` command line (see :mod:`framewire.cli`)."""

import sys

from framewire.cli import main

sys.exit(main())
