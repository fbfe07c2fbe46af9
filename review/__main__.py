"""``python -m review`` runs the command line, the same as the ``review`` command."""

import sys

from review.cli.main import main

sys.exit(main())
