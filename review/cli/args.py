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


def utc_time_arg(text: str) -> dt.datetime:
    """Return the UTC time ``text`` names (``2024-10-15T09:30``, ``2024-10-15 09:30Z`` or a day,
    read as its midnight), or an argparse error; a time with another offset is converted to UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time like 2024-10-15T09:30 (UTC), got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
