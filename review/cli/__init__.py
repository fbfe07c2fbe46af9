"""The command line: arguments, progress and exit codes; no business rules (``review --help``)."""

from review.cli.main import main

__all__ = ["main"]
