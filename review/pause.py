"""Pause points: the crash tests' only hook in the code that runs for users.

A test sets ``REVIEW_TEST_PAUSE_AT`` to a stage name, waits for ``review: paused at <stage>`` on
standard error, and kills the process there, to prove that a build or a finalize stopped at that
moment leaves the archive whole. Unset (always, for users), :func:`pause_at` only reads the
environment.

The stages, in the order a build meets them: ``locked`` (the period's lock is held), ``rendering``
(a worker is about to write a pack), ``rendered`` (every output is in memory), ``staging`` (the
revision's files are being written beside the archive), ``staged`` (written, not yet renamed into
place), ``storing`` (the earlier revision's recipes are written, its whole files not yet
removed); ``finalizing`` (``archive finalize`` is writing the final packs); and ``receipt``
(``review receive`` has filed a file and is about to append its line to the receipt log).
"""

from __future__ import annotations

import os
import sys
import time

#: The environment variable that names the stage to pause at.
PAUSE_ENV = "REVIEW_TEST_PAUSE_AT"


def pause_at(stage: str) -> None:
    """Sleep for ten minutes when ``REVIEW_TEST_PAUSE_AT`` names ``stage``; otherwise return at once."""
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"review: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(600)
