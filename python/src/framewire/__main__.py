"""``python -m framewire`` runs the ``framewire`` command line (see ``framewire.cli``)."""

import sys

from framewire.cli import main

sys.exit(main())
