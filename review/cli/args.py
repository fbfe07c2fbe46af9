"""Argument types shared by the commands: a period and a date, checked as argparse parses them."""

from __future__ import annotations

import argparse
import datetime as dt

from review.model.periods import Period


def period_arg(text: str) -> Period:
    """Return the period ``text`` names (``1444-Q4``), or an argparse error saying what is expected."""
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def date_arg(text: str) -> dt.date:
    """Return the ISO date ``text`` names (``2024-10-15``), or an argparse error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2024-10-15, got {text!r}") from None
