"""``python -m spaceinvoices.simulator``: the simulator's command line."""

import sys

from .cli import main

sys.exit(main())
