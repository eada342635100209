"""``python -m annotator.cli`` runs the ``labelloop`` command."""

import sys

from annotator.cli import main

sys.exit(main())
